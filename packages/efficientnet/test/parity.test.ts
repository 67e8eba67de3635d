import { join } from 'node:path';
import { describeParity } from '@zoo/parity/suite';
import '@zoo/efficientnet';

describeParity('EfficientNet / MobileNet family matches timm (wasm backend)', join(import.meta.dirname, 'fixtures'), 13);
