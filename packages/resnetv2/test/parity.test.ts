import { join } from 'node:path';
import { describeParity } from '@zoo/parity/suite';
import '@zoo/resnetv2';

describeParity('ResNetV2 matches timm (wasm backend)', join(import.meta.dirname, 'fixtures'), 2);
