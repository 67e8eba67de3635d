import { join } from 'node:path';
import { describeParity } from '@zoo/parity/suite';
import '@zoo/fastvit';

// The public cases: fastvit_t8 (RepMixer stages, train-time branches) and fastvit_sa12 (an attention stage
// after a RepCPE), loaded unfused, as timm's state dict holds them.
describeParity('FastViT matches timm (wasm backend)', join(import.meta.dirname, 'fixtures'), 1);
