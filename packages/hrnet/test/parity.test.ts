import { join } from 'node:path';
import { describeParity } from '@zoo/parity/suite';
import '@zoo/hrnet';

describeParity('HRNet matches timm (wasm backend)', join(import.meta.dirname, 'fixtures'), 2);
