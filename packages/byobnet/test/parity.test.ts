import { join } from 'node:path';
import { describeParity } from '@zoo/parity/suite';
import '@zoo/byobnet';

describeParity('ByobNet family matches timm (wasm backend)', join(import.meta.dirname, 'fixtures'), 4);
