import { join } from 'node:path';
import { listModels } from '@zoo/core';
import { register } from '@zoo/dla';
import { describeRegistry } from '@zoo/parity/registry';
import { describe, expect, it } from 'vitest';

describeRegistry(join(import.meta.dirname, '../../../tooling/timm-facts/registry/dla.json'), register);

describe('DLA in the registry', () => {
  it('lists the DLA-60 kinds (plain, X, Res2Net, Res2NeXt)', () => {
    expect(listModels('dla60*')).toEqual(['dla60', 'dla60_res2net', 'dla60_res2next', 'dla60x', 'dla60x_c']);
  });
});
