import { join } from 'node:path';
import { describeParity } from '@zoo/parity/suite';
import '@zoo/swin';

// timm's Swin maps are NHWC (`output_fmt`): the fixtures say `layout: 'NHWC'` and are compared as they are.
describeParity('Swin family matches timm (wasm backend)', join(import.meta.dirname, 'fixtures'), 3);
