import { join } from 'node:path';
import { register } from '@zoo/xception';
import { describeRegistry } from '@zoo/parity/registry';

describeRegistry(join(import.meta.dirname, '../../../tooling/timm-facts/registry/xception_aligned.json'), register);
describeRegistry(join(import.meta.dirname, '../../../tooling/timm-facts/registry/xception.json'), register);
