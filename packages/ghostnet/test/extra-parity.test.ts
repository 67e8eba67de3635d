// timm parity beyond the public case (ghostnet_100): GhostNetV2 (DFC attention), GhostNetV3 (training-time
// re-parameterisable branches) and features_only (made with shared/tools/make_fixtures.py from
// tooling/parity/cases-cnn-b.json).
import { join } from 'node:path';
import { describeParity } from '@zoo/parity/suite';
import '@zoo/ghostnet';

describeParity('GhostNet V2 / V3 and features match timm (wasm backend)', join(import.meta.dirname, 'fixtures-extra'), 3);
