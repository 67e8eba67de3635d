import { join } from 'node:path';
import { register } from '@zoo/densenet';
import { describeRegistry } from '@zoo/parity/registry';

describeRegistry(join(import.meta.dirname, 'fixtures/registry/densenet.json'), register);
