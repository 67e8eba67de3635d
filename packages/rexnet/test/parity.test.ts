import { join } from 'node:path';
import { describeParity } from '@zoo/parity/suite';
import '@zoo/rexnet';

describeParity('ReXNet matches timm (wasm backend)', join(import.meta.dirname, 'fixtures'), 1);
