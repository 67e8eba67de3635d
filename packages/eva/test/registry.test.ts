import { join } from 'node:path';
import { createModel, getDefaultTag, listModels } from '@zoo/core';
import { type Eva, register } from '@zoo/eva';
import { describeRegistry } from '@zoo/parity/registry';
import { describe, expect, it } from 'vitest';

describeRegistry(join(import.meta.dirname, '../../../tooling/timm-facts/registry/eva.json'), register);

describe('EVA as timm registers it', () => {
  it('lists EVA, EVA-02, the RoPE, DINOv3 and Perception Encoder ViTs', () => {
    expect(listModels('eva*')).toHaveLength(16);
    expect(listModels('*dinov3*')).toHaveLength(12);
    expect(listModels('vit_pe_*')).toHaveLength(12);
    expect(getDefaultTag('eva02_tiny_patch14_224')).toBe('mim_in22k');
  });

  it('drops the MAP head, fc norm and classifier when pruned for features, as timm', async () => {
    const m = (await createModel('vit_pe_core_tiny_patch16_384')) as Eva;
    expect(m.pruneIntermediateLayers([2])).toEqual([2]);
    expect(m.numClasses).toBe(0);
    expect(m.blocks).toHaveLength(3);
    expect(Object.keys(m.stateDict()).filter((k) => k.startsWith('attn_pool') || k.startsWith('head'))).toEqual([]);
    m.dispose();
  });
});
