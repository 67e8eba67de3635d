// timm parity beyond the public cases (regnetz_b16, repvgg_a0, gernet_s, mobileone_s0): BAT / GC / ECA
// attention, EvoNorm, quad / tiered stems, edge / dark blocks, CLIP's attention-pool head, the MLP head, RepVGG's
// alternating groups, features_only and dilated avg-pool shortcuts (made with shared/tools/make_fixtures.py from
// tooling/parity/cases-cnn-byob.json).
import { join } from 'node:path';
import { describeParity } from '@zoo/parity/suite';
import '@zoo/byobnet';

describeParity('ByobNet block kinds, heads and features match timm (wasm backend)', join(import.meta.dirname, 'fixtures-extra'), 13);
