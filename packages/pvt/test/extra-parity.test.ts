// timm parity beyond the public case (pvt_v2_b0): the linear-attention b2_li, odd map sizes, features_only
// and timm's pretrained path with a new in_chans / num_classes (made with shared/tools/make_fixtures.py from
// tooling/parity/cases-pvt.json).
import { join } from 'node:path';
import { describeParity } from '@zoo/parity/suite';
import '@zoo/pvt';

describeParity('PVT-v2 variants and features match timm (wasm backend)', join(import.meta.dirname, 'fixtures-extra'), 4);
