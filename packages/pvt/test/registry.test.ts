import { join } from 'node:path';
import { listModels } from '@zoo/core';
import { describeRegistry } from '@zoo/parity/registry';
import { checkpointFilterFn, register } from '@zoo/pvt';
import { describe, expect, it } from 'vitest';

describeRegistry(join(import.meta.dirname, '../../../tooling/timm-facts/registry/pvt_v2.json'), register);

describe('PVT-v2 as timm registers it', () => {
  it('lists b0–b5 and the linear-attention b2_li, all with in1k weights', () => {
    expect(listModels('pvt_v2*', { pretrained: true })).toEqual([
      'pvt_v2_b0.in1k', 'pvt_v2_b1.in1k', 'pvt_v2_b2.in1k', 'pvt_v2_b2_li.in1k', 'pvt_v2_b3.in1k', 'pvt_v2_b4.in1k', 'pvt_v2_b5.in1k',
    ]);
  });

  it("renames the original repository's keys to timm's, as timm's filter", () => {
    const t = new Float32Array(1);
    const sd = checkpointFilterFn({
      'patch_embed1.proj.weight': t,
      'patch_embed3.norm.bias': t,
      'block2.1.mlp.dwconv.dwconv.weight': t,
      'block4.0.attn.sr.weight': t,
      'norm1.weight': t,
      'head.weight': t,
    } as never);
    expect(Object.keys(sd)).toEqual([
      'patch_embed.proj.weight', 'stages.2.downsample.norm.bias', 'stages.1.blocks.1.mlp.dwconv.weight', 'stages.3.blocks.0.attn.sr.weight',
      'stages.0.norm.weight', 'head.weight',
    ]);
    const timmFormat = { 'patch_embed.proj.weight': t } as never;
    expect(checkpointFilterFn(timmFormat)).toBe(timmFormat);
  });
});

describe('PVT-v2 classifier', () => {
  it("keeps its pool when the classifier is replaced, as timm's reset_classifier, and refuses a pool timm refuses", async () => {
    const { createModel } = await import('@zoo/core');
    const tf = await import('@tensorflow/tfjs-core');
    const m = (await createModel('pvt_v2_b0', { numClasses: 0, globalPool: '' })) as import('@zoo/pvt').PyramidVisionTransformerV2;
    m.resetClassifier(0);
    expect(m.globalPool).toBe('');
    m.resetClassifier(0, 'avg');
    expect(m.globalPool).toBe('avg');
    m.resetClassifier(0, '');
    const x = tf.zeros([1, 64, 64, 3]);
    const y = m.forward(x);
    expect(y.shape).toEqual([1, 2, 2, 256]);
    expect(() => m.resetClassifier(5, 'max')).toThrow(/globalPool must be 'avg' or ''/);
    expect(m.numClasses).toBe(0);
    tf.dispose([x, y]);
    m.dispose();
  });
});
