// timm parity beyond the public case (repvit_m0_9): the legacy token mixer (repvit_m1: the 1×1 branch with
// its own BN, no outer BN) and features_only (made with shared/tools/make_fixtures.py from
// tooling/parity/cases-cnn-b.json).
import { join } from 'node:path';
import { describeParity } from '@zoo/parity/suite';
import '@zoo/repvit';

describeParity('RepViT legacy and features match timm (wasm backend)', join(import.meta.dirname, 'fixtures-extra'), 2);
