import { join } from 'node:path';
import * as tf from '@tensorflow/tfjs-core';
import { createModel, getDefaultTag, listModels } from '@zoo/core';
import { type EfficientVit, register } from '@zoo/efficientvit';
import { describeRegistry } from '@zoo/parity/registry';
import { describe, expect, it } from 'vitest';

describeRegistry(join(import.meta.dirname, '../../../tooling/timm-facts/registry/efficientvit_mit.json'), register);

describe('EfficientViT (MIT) as timm registers it', () => {
  it('lists the B and L series with their ImageNet weights at several resolutions', () => {
    expect(listModels('efficientvit_*')).toEqual(['efficientvit_b0', 'efficientvit_b1', 'efficientvit_b2', 'efficientvit_b3', 'efficientvit_l1', 'efficientvit_l2', 'efficientvit_l3']);
    expect(listModels('efficientvit_l3*', { pretrained: true })).toEqual([
      'efficientvit_l3.r224_in1k', 'efficientvit_l3.r256_in1k', 'efficientvit_l3.r320_in1k', 'efficientvit_l3.r384_in1k',
    ]);
    expect(getDefaultTag('efficientvit_b1')).toBe('r224_in1k');
  });

  it('builds EfficientVitLarge (fused MBConv stages, tanh GELU, BatchNorm eps 1e-7) for the L series', async () => {
    const b = (await createModel('efficientvit_b0')) as EfficientVit;
    const l = (await createModel('efficientvit_l1')) as EfficientVit;
    expect([b.large, l.large]).toEqual([false, true]);
    const keys = l.namedParams().map(([k]) => k);
    expect(keys).toContain('stages.0.blocks.0.main.spatial_conv.conv.weight');
    expect(keys).toContain('stem.res0.main.conv1.conv.weight');
    expect([b.numFeatures, b.headHiddenSize, l.numFeatures, l.headHiddenSize]).toEqual([128, 1280, 512, 3200]);
    b.dispose();
    l.dispose();
  });

  it("refuses to disable the head's pooling, as timm's head asserts, and leaves the model as it was", async () => {
    const m = (await createModel('efficientvit_b0')) as EfficientVit;
    expect(() => m.resetClassifier(0, '')).toThrow(/cannot disable pooling/);
    expect(m.numClasses).toBe(1000);
    const x = tf.zeros([1, 64, 64, 3]);
    const y = m.forward(x);
    expect(y.shape).toEqual([1, 1000]);
    tf.dispose([x, y]);
    m.dispose();
    await expect(createModel('efficientvit_b0', { globalPool: '' })).rejects.toThrow(/cannot disable pooling/);
  });
});
