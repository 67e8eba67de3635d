import { join } from 'node:path';
import { register } from '@zoo/byobnet';
import { getDefaultTag, listModels } from '@zoo/core';
import { describeRegistry } from '@zoo/parity/registry';
import { describe, expect, it } from 'vitest';

describeRegistry(join(import.meta.dirname, '../../../tooling/timm-facts/registry/byobnet.json'), register);

describe('ByobNet in the registry', () => {
  it("lists timm's 53 byobnet architectures with their default tags", () => {
    expect(listModels({ module: 'byobnet' })).toHaveLength(53);
    expect(listModels('repvgg_*')).toHaveLength(11);
    expect(listModels('mobileone_*')).toHaveLength(5);
    expect(getDefaultTag('resnet50_clip')).toBe('openai');
    expect(getDefaultTag('mobileone_s0')).toBe('apple_in1k');
  });
});
