// timm parity beyond the public cases (poolformer_s12, convformer_s18): CAFormer's attention stages and
// MlpHead, PoolFormer v2's bias-free GroupNorm1 / StarReLU / residual scales, and features_only (made with
// shared/tools/make_fixtures.py from tooling/parity/cases-mix.json).
import { join } from 'node:path';
import { describeParity } from '@zoo/parity/suite';
import '@zoo/metaformer';

describeParity('CAFormer, PoolFormer v2 and MetaFormer features match timm (wasm backend)', join(import.meta.dirname, 'fixtures-extra'), 3);
