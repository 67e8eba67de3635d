import { join } from 'node:path';
import { describeParity } from '@zoo/parity/suite';
import '@zoo/vit-relpos';

describeParity('Relative-position ViT family matches timm (wasm backend)', join(import.meta.dirname, 'fixtures'), 1);
