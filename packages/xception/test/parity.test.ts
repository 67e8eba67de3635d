import { join } from 'node:path';
import { describeParity } from '@zoo/parity/suite';
import '@zoo/xception';

describeParity('Xception family matches timm (wasm backend)', join(import.meta.dirname, 'fixtures'), 3);
