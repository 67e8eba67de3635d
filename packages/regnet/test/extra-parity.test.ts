// More timm parity cases beyond the list: the pre-activation (V) blocks with the avg-pool shortcut, GroupNorm,
// RegNet-Z (linear out, no downsample shortcut, final conv) and a dilated features_only model (made with
// shared/tools/make_fixtures.py from tooling/parity/cases-cnn-regnet.json).
import { join } from 'node:path';
import { describeParity } from '@zoo/parity/suite';
import '@zoo/regnet';

describeParity('more RegNet variants match timm (wasm backend)', join(import.meta.dirname, 'fixtures-extra'), 4);
