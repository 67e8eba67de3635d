import { join } from 'node:path';
import { describeRegistry } from '@zoo/parity/registry';
import { register } from '@zoo/vit';

describeRegistry(join(import.meta.dirname, '../../../tooling/timm-facts/registry/vision_transformer.json'), register);
describeRegistry(join(import.meta.dirname, '../../../tooling/timm-facts/registry/deit.json'), register);
