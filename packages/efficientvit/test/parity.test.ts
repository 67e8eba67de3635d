import { join } from 'node:path';
import { describeParity } from '@zoo/parity/suite';
import '@zoo/efficientvit';

describeParity('EfficientViT (MIT) matches timm (wasm backend)', join(import.meta.dirname, 'fixtures'), 1);
