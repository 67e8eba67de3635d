// timm parity beyond the public cases (resmlp_12_224, gmlp_s16_224): the plain MixerBlock, the GLU mixer and
// the getter features wrapper (made with shared/tools/make_fixtures.py from tooling/parity/cases-mix.json).
import { join } from 'node:path';
import { describeParity } from '@zoo/parity/suite';
import '@zoo/mlp-mixer';

describeParity('MLP-Mixer, GLU mixer and mixer features match timm (wasm backend)', join(import.meta.dirname, 'fixtures-extra'), 3);
