import { join } from 'node:path';
import { register } from '@zoo/cspnet';
import { describeRegistry } from '@zoo/parity/registry';

describeRegistry(join(import.meta.dirname, '../../../tooling/timm-facts/registry/cspnet.json'), register);
