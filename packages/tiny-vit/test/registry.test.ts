import { join } from 'node:path';
import * as tf from '@tensorflow/tfjs-core';
import { createModel, getDefaultTag, listModels, type StateDict } from '@zoo/core';
import { describeRegistry } from '@zoo/parity/registry';
import { checkpointFilterFn, register, type TinyVit } from '@zoo/tiny-vit';
import { describe, expect, it } from 'vitest';

describeRegistry(join(import.meta.dirname, '../../../tooling/timm-facts/registry/tiny_vit.json'), register);

describe('TinyViT as timm registers it', () => {
  it('lists every pretrained tag, the ImageNet-22k distilled weights first', () => {
    expect(listModels('tiny_vit_21m*', { pretrained: true })).toEqual([
      'tiny_vit_21m_224.dist_in22k', 'tiny_vit_21m_224.dist_in22k_ft_in1k', 'tiny_vit_21m_224.in1k',
      'tiny_vit_21m_384.dist_in22k_ft_in1k', 'tiny_vit_21m_512.dist_in22k_ft_in1k',
    ]);
    expect(getDefaultTag('tiny_vit_5m_224')).toBe('dist_in22k');
  });

  it("the checkpoint filter drops attention_bias_idxs and resizes bias tables to the model's windows", async () => {
    const m = (await createModel('tiny_vit_5m_224', { windowSizes: [12, 12, 24, 12], numClasses: 0 })) as TinyVit;
    const key = 'stages.2.blocks.0.attn.attention_biases';
    // A 14×14 table that is linear in the row, so any interpolation of it stays linear-ish and bounded by its range.
    const data = new Float32Array(5 * 196).map((_, i) => Math.floor((i % 196) / 14));
    const sd = checkpointFilterFn({ [key]: { dtype: 'float32', shape: [5, 196], data }, 'stages.1.blocks.0.attn.attention_bias_idxs': { dtype: 'int32', shape: [1], data: new Int32Array(1) } } as StateDict, m);
    expect(Object.keys(sd)).toEqual([key]);
    expect(sd[key]!.shape).toEqual([5, 576]);
    const out = sd[key]!.data as Float32Array;
    expect(Math.min(...out)).toBeGreaterThanOrEqual(-0.5);
    expect(Math.max(...out)).toBeLessThanOrEqual(13.5);
    expect(out[0]).toBeLessThan(out[575]!);
    m.dispose();
  });

  it('refuses a bias table of another head count, naming it', async () => {
    const m = (await createModel('tiny_vit_5m_224', { numClasses: 0 })) as TinyVit;
    const key = 'stages.2.blocks.0.attn.attention_biases';
    expect(() => checkpointFilterFn({ [key]: { dtype: 'float32', shape: [4, 196], data: new Float32Array(4 * 196) } } as StateDict, m)).toThrow(/4 heads, the model 5/);
    m.dispose();
  });

  it('runs inputs whose maps are not whole windows (padded as timm pads) and keeps no tensors', async () => {
    const m = (await createModel('tiny_vit_5m_224', { numClasses: 3 })) as TinyVit;
    const x = tf.zeros([1, 96, 96, 3]);
    m.forward(x).dispose(); // the first run materialises weights, folded BatchNorms and gathered bias tables
    const before = tf.memory().numTensors;
    const y = m.forward(x);
    expect(y.shape).toEqual([1, 3]);
    y.dispose();
    expect(tf.memory().numTensors).toBe(before);
    x.dispose();
    m.dispose();
  });

  it('refuses stage lists of different lengths, naming the option', () => {
    return expect(createModel('tiny_vit_5m_224', { windowSizes: [7, 7, 14] })).rejects.toThrow(/windowSizes needs 4 values/);
  });
});
