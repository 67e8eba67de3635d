import { join } from 'node:path';
import { describeParity } from '@zoo/parity/suite';
import '@zoo/convnext';

describeParity('ConvNeXt family matches timm (wasm backend)', join(import.meta.dirname, 'fixtures'), 4);
