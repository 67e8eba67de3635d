// More timm parity cases beyond the list: the pre-activation (V) blocks with the avg-pool shortcut, GroupNorm,
// RegNet-Z (linear out, no downsample shortcut, final conv) and dilated features_only models (output stride 16, and 8
// where the avg-pool shortcut of a dilated stage is timm's AvgPool2dSame) (made with
// shared/tools/make_fixtures.py from tooling/parity/cases-cnn-regnet.json).
import { join } from 'node:path';
import { describeParity } from '@zoo/parity/suite';
import '@zoo/regnet';

describeParity('more RegNet variants match timm (wasm backend)', join(import.meta.dirname, 'fixtures-extra'), 5);
