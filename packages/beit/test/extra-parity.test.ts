// timm parity beyond the public case: features_only (FeatureGetterNet, out_indices 3) at img_size 96, where
// every relative position table is built for a 6x6 grid. Made with shared/tools/make_fixtures.py from
// tooling/parity/cases-beit-relpos.json.
import { join } from 'node:path';
import { describeParity } from '@zoo/parity/suite';
import '@zoo/beit';

describeParity('BEiT features match timm (wasm backend)', join(import.meta.dirname, 'fixtures-extra'), 1);
