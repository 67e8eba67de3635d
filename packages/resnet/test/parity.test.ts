import { join } from 'node:path';
import { describeParity } from '@zoo/parity/suite';
import '@zoo/resnet';

describeParity('ResNet family matches timm (wasm backend)', join(import.meta.dirname, 'fixtures'), 14);
