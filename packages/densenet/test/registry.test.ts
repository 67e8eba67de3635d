import { join } from 'node:path';
import { register } from '@zoo/densenet';
import { describeRegistry } from '@zoo/parity/registry';

describeRegistry(join(import.meta.dirname, '../../../tooling/timm-facts/registry/densenet.json'), register);
