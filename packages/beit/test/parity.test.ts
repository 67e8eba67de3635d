import { join } from 'node:path';
import { describeParity } from '@zoo/parity/suite';
import '@zoo/beit';

describeParity('BEiT family matches timm (wasm backend)', join(import.meta.dirname, 'fixtures'), 1);
