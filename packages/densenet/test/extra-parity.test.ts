// More timm parity cases beyond the list: other variants, feature extraction settings and input sizes
// (made with shared/tools/make_fixtures.py from tooling/parity/cases-extra.json and cases-sweep.json).
import { join } from 'node:path';
import { describeParity } from '@zoo/parity/suite';
import '@zoo/densenet';

describeParity('more densenet variants match timm (wasm backend)', join(import.meta.dirname, 'fixtures-extra'), 2);
