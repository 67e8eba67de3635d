import { join } from 'node:path';
import { describeParity } from '@zoo/parity/suite';
import '@zoo/vit-hybrid';

describeParity('Hybrid ViT family matches timm (wasm backend)', join(import.meta.dirname, 'fixtures'), 1);
