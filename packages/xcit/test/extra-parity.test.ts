// timm parity beyond the public case (xcit_nano_12_p16_224): patch 8, tokens_norm, features_only (timm's
// getter, default and chosen out_indices), other input sizes (a non-square grid; sides the patch does not divide) and
// the avg pool (made with shared/tools/make_fixtures.py from tooling/parity/cases-xcit.json).
import { join } from 'node:path';
import { describeParity } from '@zoo/parity/suite';
import '@zoo/xcit';

describeParity('XCiT variants and features match timm (wasm backend)', join(import.meta.dirname, 'fixtures-extra'), 7);
