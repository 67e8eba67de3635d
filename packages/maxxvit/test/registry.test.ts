import { join } from 'node:path';
import { getDefaultTag, listModels } from '@zoo/core';
import { register } from '@zoo/maxxvit';
import { describeRegistry } from '@zoo/parity/registry';
import { describe, expect, it } from 'vitest';

describeRegistry(join(import.meta.dirname, '../../../tooling/timm-facts/registry/maxxvit.json'), register);

describe('MaxxVit as timm registers it', () => {
  it('lists CoAtNet, MaxViT and MaxxViT under one module', () => {
    expect(listModels({ module: 'maxxvit' })).toHaveLength(56);
    expect(getDefaultTag('maxvit_tiny_tf_224')).toBe('in1k');
    expect(getDefaultTag('coatnet_nano_rw_224')).toBe('sw_in1k');
  });
});
