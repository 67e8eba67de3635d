import { join } from 'node:path';
import * as tf from '@tensorflow/tfjs-core';
import { createModel, listModels, setBackend } from '@zoo/core';
import { checkpointFilterFn, type Hiera, register } from '@zoo/hiera';
import { describeRegistry } from '@zoo/parity/registry';
import { beforeAll, describe, expect, it } from 'vitest';

describeRegistry(join(import.meta.dirname, '../../../tooling/timm-facts/registry/hiera.json'), register);

beforeAll(async () => {
  await setBackend('wasm');
});

describe('Hiera as timm registers it', () => {
  it('lists the MAE models (fine-tuned and not) and the abswin sbb2 models', () => {
    expect(listModels('hiera_tiny*', { pretrained: true })).toEqual(['hiera_tiny_224.mae', 'hiera_tiny_224.mae_in1k_ft_in1k']);
    expect(listModels('hiera*abswin*')).toEqual(['hiera_base_abswin_256', 'hiera_small_abswin_256']);
  });

  it("renames the original repository's keys to timm's, as timm's filter", () => {
    const t = { dtype: 'float32', shape: [1], data: new Float32Array(1) } as never;
    const sd = checkpointFilterFn({ 'head.projection.weight': t, 'encoder_norm.bias': t, 'norm.weight': t, pos_embed_abs: t, 'blocks.0.norm1.weight': t });
    expect(Object.keys(sd)).toEqual(['head.fc.weight', 'head.norm.bias', 'head.norm.weight', 'pos_embed', 'blocks.0.norm1.weight']);
    expect(Object.keys(checkpointFilterFn({ model_state: { 'norm.bias': t } } as never))).toEqual(['head.norm.bias']);
  });
});

describe('Hiera options', () => {
  it('builds for its imgSize and refuses another input size, naming both', async () => {
    const m = (await createModel('hiera_tiny_224', { imgSize: 64, numClasses: 3 })) as Hiera;
    expect(m.namedParams().find(([k]) => k === 'pos_embed')![1].shape).toEqual([1, 256, 96]);
    const x = tf.zeros([1, 64, 64, 3]);
    const y = m.forward(x);
    expect(y.shape).toEqual([1, 3]);
    const bad = tf.zeros([1, 96, 96, 3]);
    expect(() => m.forward(bad)).toThrow(/input is 96x96, the model was built for 64x64/);
    tf.dispose([x, y, bad]);
    m.dispose();
  });

  it('refuses what inference does not support, and grids the unroll cannot split', async () => {
    await expect(createModel('hiera_tiny_224', { sepPosEmbed: true })).rejects.toThrow(/sepPosEmbed/);
    await expect(createModel('hiera_tiny_224', { patchDropRate: 0.2 })).rejects.toThrow(/patchDropRate/);
    await expect(createModel('hiera_tiny_224', { imgSize: 100 })).rejects.toThrow(/25x25 token grid does not split into whole 8x8 mask units/);
    await expect(createModel('hiera_tiny_224', { imgSize: 100, maskUnitSize: 5 })).rejects.toThrow(/25x25 token grid does not divide by the strides/);
    await expect(createModel('hiera_tiny_224', { globalPool: 'token' })).rejects.toThrow(/poolType must be one of/);
  });

  it("keeps the head's pool on resetClassifier, as timm's ClNormMlpClassifierHead.reset", async () => {
    const m = (await createModel('hiera_tiny_224', { imgSize: 64, globalPool: 'max' })) as Hiera;
    m.resetClassifier(7);
    expect(m.head.poolType).toBe('max');
    expect(m.numClasses).toBe(7);
    m.resetClassifier(0, '');
    const x = tf.zeros([1, 64, 64, 3]);
    const y = m.forward(x);
    expect(y.shape).toEqual([1, 4, 768]);
    tf.dispose([x, y]);
    m.dispose();
  });
});
