import * as tf from '@tensorflow/tfjs-core';
import { beforeAll, describe, expect, it } from 'vitest';
import { setBackend } from '../src/backend.js';
import { createNorm, createNormAct, LayerNormAct2d } from '../src/layers/create-norm.js';
import { EvoNorm2dS0 } from '../src/layers/evo-norm.js';
import { BatchNorm2d, BatchNormAct2d, GroupNorm, GroupNormAct } from '../src/layers/norm.js';

beforeAll(async () => {
  await setBackend('wasm');
});

describe("createNormAct / createNorm (timm's get_norm_act_layer / get_norm_layer)", () => {
  it('maps names and partial-style specs to the norm classes, with their arguments', () => {
    const bn = createNormAct('BatchNorm2d', 8, 'silu') as BatchNormAct2d;
    expect(bn).toBeInstanceOf(BatchNormAct2d);
    expect(bn.act).toBe('silu');
    expect((createNormAct({ type: 'batchnorm', eps: 1e-3 }, 8, 'relu', false) as BatchNormAct2d).act).toBe('identity');
    expect((createNormAct({ type: 'batchnorm', eps: 1e-3 }, 8) as BatchNormAct2d).eps).toBe(1e-3);
    const gn = createNormAct({ type: 'groupnorm', groupSize: 4 }, 16, 'relu') as GroupNormAct;
    expect(gn).toBeInstanceOf(GroupNormAct);
    expect(gn.numGroups).toBe(4);
    expect((createNormAct('group_norm', 64) as GroupNormAct).numGroups).toBe(32);
    expect(createNormAct('layernorm2d', 8, 'gelu')).toBeInstanceOf(LayerNormAct2d);
    expect(createNormAct({ type: 'evonorms0', groupSize: 4 }, 8)).toBeInstanceOf(EvoNorm2dS0);
    expect(createNorm(undefined, 8)).toBeInstanceOf(BatchNorm2d);
    expect(createNorm('batchnorm', 8)).not.toBeInstanceOf(BatchNormAct2d);
    expect(createNorm('groupnorm', 64)).toBeInstanceOf(GroupNorm);
  });

  it('keys are the plain norm keys', () => {
    expect(Object.keys(createNormAct('batchnorm', 4).stateDict())).toEqual(['weight', 'bias', 'running_mean', 'running_var', 'num_batches_tracked']);
    expect(Object.keys(createNormAct('layernorm', 4).stateDict())).toEqual(['weight', 'bias']);
  });

  it('the activation follows the norm (LayerNormAct2d with ReLU clamps what LayerNorm2d gives)', () => {
    const x = tf.randomNormal([1, 3, 3, 4], 0, 1, 'float32', 1);
    const withAct = createNormAct('layernorm', 4, 'relu').forward(x);
    const plain = createNormAct('layernorm', 4, null).forward(x);
    expect(Array.from(withAct.dataSync())).toEqual(Array.from(tf.relu(plain).dataSync()));
    expect(Math.min(...plain.dataSync())).toBeLessThan(0);
    tf.dispose([x, withAct, plain]);
  });

  it('an unknown norm or an indivisible group size is a clear error', () => {
    expect(() => createNormAct('batchnorm3d', 8)).toThrow(/Unknown norm layer 'batchnorm3d'\. Use one of: batchnorm, batchnorm2d, groupnorm/);
    expect(() => createNormAct({ type: 'groupnorm', groupSize: 3 }, 8)).toThrow(/channels \(8\) must be divisible by group_size \(3\)/);
  });
});
