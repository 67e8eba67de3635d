import { join } from 'node:path';
import { describeParity } from '@zoo/parity/suite';
import '@zoo/mlp-mixer';

describeParity('MLP-Mixer family (ResMLP, gMLP) matches timm (wasm backend)', join(import.meta.dirname, 'fixtures'), 1);
