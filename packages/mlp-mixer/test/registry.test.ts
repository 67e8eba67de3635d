import { join } from 'node:path';
import * as tf from '@tensorflow/tfjs-core';
import { createModel, getDefaultTag, listModels } from '@zoo/core';
import { checkpointFilterFn, type MlpMixer, register } from '@zoo/mlp-mixer';
import { describeRegistry } from '@zoo/parity/registry';
import { describe, expect, it } from 'vitest';

describeRegistry(join(import.meta.dirname, '../../../tooling/timm-facts/registry/mlp_mixer.json'), register);

describe('MLP-Mixer as timm registers it', () => {
  it("lists ResMLP's three weights with in1k first (timm's default)", () => {
    expect(listModels('resmlp_12_224*', { pretrained: true })).toEqual(['resmlp_12_224.fb_distilled_in1k', 'resmlp_12_224.fb_dino', 'resmlp_12_224.fb_in1k'].sort());
    expect(getDefaultTag('resmlp_12_224')).toBe('fb_in1k');
  });

  it("renames Facebook's original ResMLP keys to timm's, reshaping Affine's alpha / beta", () => {
    const v = (shape: number[]) => ({ dtype: 'float32' as const, shape, data: new Float32Array(shape.reduce((a, b) => a * b, 1)) });
    const out = checkpointFilterFn({
      'patch_embed.proj.weight': v([4, 3, 16, 16]),
      'blocks.0.attn.weight': v([196, 196]),
      'blocks.0.mlp.fc1.weight': v([16, 4]),
      'blocks.0.gamma_1': v([4]),
      'blocks.0.norm1.alpha': v([4]),
      'norm.beta': v([4]),
    });
    expect(Object.fromEntries(Object.entries(out).map(([k, t]) => [k, t.shape]))).toEqual({
      'stem.proj.weight': [4, 3, 16, 16],
      'blocks.0.linear_tokens.weight': [196, 196],
      'blocks.0.mlp_channels.fc1.weight': [16, 4],
      'blocks.0.ls1': [4],
      'blocks.0.norm1.alpha': [1, 1, 4],
      'norm.beta': [1, 1, 4],
    });
    const timmKeys = { 'stem.proj.weight': v([4, 3, 16, 16]) };
    expect(checkpointFilterFn(timmKeys)).toBe(timmKeys);
  });

  it('gives forwardIntermediates as NHWC maps or NLC tokens, and features from the last three blocks by default (timm out_indices=3)', async () => {
    const m = (await createModel('gmlp_ti16_224')) as MlpMixer;
    const x = tf.zeros([1, 224, 224, 3]);
    const nhwc = m.forwardIntermediates(x, { indices: [0, 29], intermediatesOnly: true });
    expect(nhwc.map((t) => t.shape)).toEqual([[1, 14, 14, 128], [1, 14, 14, 128]]);
    const nlc = m.forwardIntermediates(x, { indices: 1, outputFmt: 'NLC' });
    expect(nlc.final.shape).toEqual([1, 196, 128]);
    expect(nlc.intermediates[0]!.shape).toEqual([1, 196, 128]);
    const a = await nhwc[1]!.data();
    const b = await nlc.intermediates[0]!.data();
    expect(Array.from(a)).toEqual(Array.from(b));
    tf.dispose([x, ...nhwc, nlc.final, ...nlc.intermediates]);
    m.dispose();
    const f = await createModel('gmlp_ti16_224', { featuresOnly: true });
    expect(f.featureInfo.moduleName()).toEqual(['blocks.27', 'blocks.28', 'blocks.29']);
    const keys = Object.keys(f.stateDict());
    expect(keys.filter((k) => k.startsWith('model.norm.') || k.startsWith('model.head.'))).toEqual([]);
    const y = f.forward(tf.zeros([1, 224, 224, 3])) as tf.Tensor[];
    expect(y.map((t) => t.shape)).toEqual([[1, 14, 14, 128], [1, 14, 14, 128], [1, 14, 14, 128]]);
    tf.dispose(y);
    f.dispose();
  });
});
