import { join } from 'node:path';
import { describeParity } from '@zoo/parity/suite';
import '@zoo/vgg';

describeParity('VGG matches timm (wasm backend)', join(import.meta.dirname, 'fixtures'), 1);
