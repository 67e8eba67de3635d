import { join } from 'node:path';
import { register } from '@zoo/cspnet';
import { describeRegistry } from '@zoo/parity/registry';

describeRegistry(join(import.meta.dirname, 'fixtures/registry/cspnet.json'), register);
