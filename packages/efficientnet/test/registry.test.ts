import { join } from 'node:path';
import { describeRegistry } from '@zoo/parity/registry';
import { expect, it } from 'vitest';
import { EFFICIENTNET_LEFT_OUT, MOBILENETV3_LEFT_OUT, register } from '@zoo/efficientnet';

// Every architecture of both timm modules is built, so the full registry check applies to each.
it('leaves no architecture out', () => {
  expect([...EFFICIENTNET_LEFT_OUT, ...MOBILENETV3_LEFT_OUT]).toEqual([]);
});
describeRegistry(join(import.meta.dirname, '../../../tooling/timm-facts/registry/efficientnet.json'), register);
describeRegistry(join(import.meta.dirname, '../../../tooling/timm-facts/registry/mobilenetv3.json'), register);
