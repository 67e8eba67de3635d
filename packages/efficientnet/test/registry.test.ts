import { join } from 'node:path';
import { describeRegistry } from '@zoo/parity/registry';
import { expect, it } from 'vitest';
import { listModules } from '@zoo/core';
import { MODULES, register } from '@zoo/efficientnet';

// Every architecture of both timm modules is built (the listings below equal timm's), so the full registry check applies to each.
it('registers both timm modules', () => {
  expect(listModules()).toEqual(expect.arrayContaining([...MODULES]));
});
describeRegistry(join(import.meta.dirname, '../../../tooling/timm-facts/registry/efficientnet.json'), register);
describeRegistry(join(import.meta.dirname, '../../../tooling/timm-facts/registry/mobilenetv3.json'), register);
