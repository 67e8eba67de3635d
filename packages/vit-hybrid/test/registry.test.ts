import { join } from 'node:path';
import { getDefaultTag, listModels } from '@zoo/core';
import { describeRegistry } from '@zoo/parity/registry';
import { register } from '@zoo/vit-hybrid';
import { describe, expect, it } from 'vitest';

describeRegistry(join(import.meta.dirname, '../../../tooling/timm-facts/registry/vision_transformer_hybrid.json'), register);

describe('hybrid ViTs as timm registers them', () => {
  it('lists the ResNet-V2, ResNet and conv-stem hybrids with their tags', () => {
    expect(listModels('vit_*_r*_s*')).toHaveLength(10);
    expect(listModels('vit_*_resnet*')).toHaveLength(4);
    expect(getDefaultTag('vit_tiny_r_s16_p8_224')).toBe('augreg_in21k_ft_in1k');
    expect(getDefaultTag('vit_base_mci_224')).toBe('apple_mclip_lt');
  });
});
