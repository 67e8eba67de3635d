import { join } from 'node:path';
import { getDefaultTag, listModels } from '@zoo/core';
import { register } from '@zoo/mobilevit';
import { describeRegistry } from '@zoo/parity/registry';
import { describe, expect, it } from 'vitest';

describeRegistry(join(import.meta.dirname, '../../../tooling/timm-facts/registry/mobilevit.json'), register);

describe('MobileViT in the registry', () => {
  it("lists timm's 10 mobilevit architectures with their default tags", () => {
    expect(listModels({ module: 'mobilevit' })).toHaveLength(10);
    expect(listModels('mobilevitv2_*')).toHaveLength(7);
    expect(getDefaultTag('mobilevit_s')).toBe('cvnets_in1k');
    expect(getDefaultTag('mobilevitv2_200')).toBe('cvnets_in1k');
  });
});
