// timm parity beyond the public case (hgnetv2_b0): PP-HGNet V1 (hgnet_tiny: StemV1, ESE aggregation, no
// affine blocks) and features_only (made with shared/tools/make_fixtures.py from tooling/parity/cases-cnn-b.json).
import { join } from 'node:path';
import { describeParity } from '@zoo/parity/suite';
import '@zoo/hgnet';

describeParity('HGNet V1 and features match timm (wasm backend)', join(import.meta.dirname, 'fixtures-extra'), 2);
