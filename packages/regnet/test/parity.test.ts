import { join } from 'node:path';
import { describeParity } from '@zoo/parity/suite';
import '@zoo/regnet';

describeParity('RegNet matches timm (wasm backend)', join(import.meta.dirname, 'fixtures'), 2);
