import { join } from 'node:path';
import * as tf from '@tensorflow/tfjs-core';
import { createModel, getDefaultTag, listModels } from '@zoo/core';
import { checkpointFilterFn, type MetaFormer, register } from '@zoo/metaformer';
import { describeRegistry } from '@zoo/parity/registry';
import { describe, expect, it } from 'vitest';

describeRegistry(join(import.meta.dirname, '../../../tooling/timm-facts/registry/metaformer.json'), register);

const zeros = (shape: number[]) => ({ dtype: 'float32' as const, shape, data: new Float32Array(shape.reduce((a, b) => a * b, 1)) });

describe('MetaFormer as timm registers it', () => {
  it("lists ConvFormer's five weights, in1k first (timm's default)", () => {
    expect(listModels('convformer_s18*', { pretrained: true })).toHaveLength(5);
    expect(getDefaultTag('convformer_s18')).toBe('sail_in1k');
  });

  it("renames the original PoolFormer v1 checkpoint's keys to timm's, reshaping layer scales", async () => {
    const m = (await createModel('poolformer_s12')) as MetaFormer;
    const out = checkpointFilterFn({
      'patch_embed.proj.weight': zeros([64, 3, 7, 7]),
      'network.0.0.mlp.fc1.weight': zeros([256, 64, 1, 1]),
      'network.0.1.layer_scale_1': zeros([64, 1, 1]),
      'network.1.proj.weight': zeros([128, 64, 3, 3]),
      'network.2.0.norm1.weight': zeros([128]),
      'network.6.1.norm2.bias': zeros([512]),
      'norm.weight': zeros([512]),
      'head.weight': zeros([1000, 512]),
    }, m);
    expect(Object.keys(out)).toEqual([
      'stem.conv.weight', 'stages.0.blocks.0.mlp.fc1.weight', 'stages.0.blocks.1.layer_scale1.scale', 'stages.1.downsample.conv.weight',
      'stages.1.blocks.0.norm1.weight', 'stages.3.blocks.1.norm2.bias', 'head.norm.weight', 'head.fc.weight',
    ]);
    expect(out['stages.0.blocks.1.layer_scale1.scale']!.shape).toEqual([64]);
    const timmKeys = { 'stem.conv.weight': zeros([64, 3, 7, 7]) };
    expect(checkpointFilterFn(timmKeys, m)).toBe(timmKeys);
    m.dispose();
  });

  it('gives NHWC stage maps from forwardIntermediates, refuses NLC, and four feature levels by default', async () => {
    const m = (await createModel('caformer_s18')) as MetaFormer;
    const x = tf.zeros([1, 64, 64, 3]);
    const r = m.forwardIntermediates(x, { indices: [1, 3] });
    expect(r.intermediates.map((t) => t.shape)).toEqual([[1, 8, 8, 128], [1, 2, 2, 512]]);
    expect(r.final.shape).toEqual([1, 2, 2, 512]);
    expect(() => m.forwardIntermediates(x, { outputFmt: 'NLC' })).toThrow(/NLC/);
    tf.dispose([r.final, ...r.intermediates]);
    m.resetClassifier(0, '');
    const unpooled = m.forwardHead(m.forwardFeatures(x));
    expect(unpooled.shape).toEqual([1, 2, 2, 512]);
    tf.dispose([x, unpooled]);
    m.dispose();
    const f = await createModel('poolformerv2_s12', { featuresOnly: true });
    expect(f.featureInfo.moduleName()).toEqual(['stages.0', 'stages.1', 'stages.2', 'stages.3']);
    expect(f.featureInfo.reduction()).toEqual([4, 8, 16, 32]);
    f.dispose();
  });
});
