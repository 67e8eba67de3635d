import { join } from 'node:path';
import { describeParity } from '@zoo/parity/suite';
import '@zoo/dla';

describeParity('DLA matches timm (wasm backend)', join(import.meta.dirname, 'fixtures'), 1);
