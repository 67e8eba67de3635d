import { join } from 'node:path';
import { describeParity } from '@zoo/parity/suite';
import '@zoo/pvt';

describeParity('PVT-v2 matches timm (wasm backend)', join(import.meta.dirname, 'fixtures'), 1);
