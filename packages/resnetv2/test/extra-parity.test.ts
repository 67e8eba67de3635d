// More timm parity cases beyond the list: the FRN and EvoNorm norms, the tiered stem, a dilated features_only
// model (AvgPool2dSame in the 'd' shortcut) and the ViT hybrids' backbone shape (non-pre-activation bottlenecks,
// TF-SAME max pool, three stages). Made with shared/tools/make_fixtures.py from tooling/parity/cases-cnn-resnetv2.json.
import { join } from 'node:path';
import { describeParity } from '@zoo/parity/suite';
import '@zoo/resnetv2';

describeParity('more ResNetV2 variants match timm (wasm backend)', join(import.meta.dirname, 'fixtures-extra'), 5);
