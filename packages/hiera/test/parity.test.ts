import { join } from 'node:path';
import { describeParity } from '@zoo/parity/suite';
import '@zoo/hiera';

describeParity('Hiera matches timm (wasm backend)', join(import.meta.dirname, 'fixtures'), 1);
