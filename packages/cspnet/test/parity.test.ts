import { join } from 'node:path';
import { describeParity } from '@zoo/parity/suite';
import '@zoo/cspnet';

describeParity('CSPNet family matches timm (wasm backend)', join(import.meta.dirname, 'fixtures'), 3);
