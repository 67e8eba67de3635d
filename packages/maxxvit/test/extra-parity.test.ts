// More timm parity cases beyond the list, at 128 px (window / grid 4) to keep CI short: RelPosMlp in CoAtNet
// and MaxxViT, mixed ('C', 'T') stages, BatchNorm transformer blocks, the NormMlp head, ConvNeXt conv blocks,
// grid-only attention, parallel partition attention, features_only, and 224 checkpoints loaded at 128 through the
// pretrained path (both bias-table forms resized). Made with shared/tools/make_fixtures.py from
// tooling/parity/cases-maxxvit.json.
import { join } from 'node:path';
import { describeParity } from '@zoo/parity/suite';
import '@zoo/maxxvit';

describeParity('more MaxxVit variants match timm (wasm backend)', join(import.meta.dirname, 'fixtures-extra'), 11);
