// More timm parity cases beyond the list: Res2NeXt blocks, deeper trees with the root shortcut, and
// features_only at timm's default levels (made with shared/tools/make_fixtures.py from tooling/parity/cases-cnn-dla.json).
import { join } from 'node:path';
import { describeParity } from '@zoo/parity/suite';
import '@zoo/dla';

describeParity('more DLA variants match timm (wasm backend)', join(import.meta.dirname, 'fixtures-extra'), 3);
