import * as tf from '@tensorflow/tfjs-core';
import { beforeAll, describe, expect, it } from 'vitest';
import { Attention, ClNormMlpClassifierHead, gatherTokens, Identity, MaskUnitAttention, poolMaskUnitTokens, rerollIndex, setBackend, unrollIndex } from '../src/index.js';

beforeAll(async () => {
  await setBackend('wasm');
});

describe("Hiera's unroll / reroll tables", () => {
  it('unroll moves each stride offset to the front (by definition: out (sy, sx, i, j) = in (2i + sy, 2j + sx))', () => {
    const want: number[] = [];
    for (const sy of [0, 1]) for (const sx of [0, 1]) for (const i of [0, 1]) for (const j of [0, 1]) want.push((2 * i + sy) * 4 + 2 * j + sx);
    expect(Array.from(unrollIndex([4, 4], [[2, 2]]))).toEqual(want);
  });

  it('reroll undoes unroll on square and rectangular grids, one to three strides', () => {
    for (const [size, sched] of [[[8, 8], [[2, 2]]], [[8, 4], [[2, 2], [2, 2]]], [[16, 24], [[2, 2], [2, 2], [2, 2]]], [[6, 9], [[2, 3]]]] as const) {
      const u = unrollIndex([...size], sched.map((s) => [...s] as [number, number]));
      const r = rerollIndex([...size], sched.map((s) => [...s] as [number, number]));
      expect(Array.from(r, (i) => u[i])).toEqual(Array.from({ length: size[0] * size[1] }, (_, i) => i));
    }
  });

  it('refuses a grid the strides do not divide, and a table of the wrong length', () => {
    expect(() => unrollIndex([6, 6], [[2, 2], [2, 2]])).toThrow(/6x6 token grid does not divide/);
    expect(() => rerollIndex([5, 4], [[2, 2]])).toThrow(/5x4 token grid/);
    const x = tf.zeros([1, 5, 2]);
    expect(() => gatherTokens(x, unrollIndex([2, 2], [[2, 2]]))).toThrow(/5 tokens, the table orders 4/);
    x.dispose();
  });
});

describe('MaskUnitAttention', () => {
  const weights = (m: MaskUnitAttention | Attention) => {
    const sd = m.stateDict();
    for (const [k, v] of Object.entries(sd)) {
      const d = v.data as Float32Array;
      for (let i = 0; i < d.length; i++) d[i] = Math.sin(i * 0.37 + k.length);
    }
    return sd;
  };

  it('global and unpooled is timm Attention with qkv bias', () => {
    const mu = new MaskUnitAttention(8, 8, 2);
    const ref = new Attention(8, { numHeads: 2, qkvBias: true });
    ref.loadStateDict(weights(mu));
    mu.loadStateDict(weights(mu));
    const x = tf.randomNormal([2, 12, 8], 0, 1, 'float32', 3);
    const d = tf.tidy(() => tf.max(tf.abs(tf.sub(mu.forward(x), ref.forward(x)))).dataSync()[0]!);
    expect(d).toBeLessThan(1e-5);
    tf.dispose(x);
  });

  it('mask-unit attention (tokens mask-unit-major) is global attention within each unit, q max-pooled in it', () => {
    const W = 3;
    const T = 8;
    const mu = new MaskUnitAttention(8, 8, 2, { useMaskUnitAttn: true, windowSize: T / 2, qStride: 2 });
    const one = new MaskUnitAttention(8, 8, 2, { qStride: 2 });
    mu.loadStateDict(weights(mu));
    one.loadStateDict(weights(mu));
    const x = tf.randomNormal([1, T * W, 8], 0, 1, 'float32', 4);
    const d = tf.tidy(() => {
      const y = mu.forward(x, W);
      let worst = 0;
      for (let w = 0; w < W; w++) {
        const yw = tf.slice(y, [0, (w * T) / 2, 0], [1, T / 2, 8]);
        const rw = one.forward(tf.slice(x, [0, w * T, 0], [1, T, 8]));
        worst = Math.max(worst, tf.max(tf.abs(tf.sub(yw, rw))).dataSync()[0]!);
      }
      return worst;
    });
    expect(d).toBeLessThan(1e-5);
    // q pooled within units: the leading chunk of each unit's tokens against the next (2 units of 4 tokens, stride 2)
    const t = tf.tensor3d([[[1], [5], [2], [0], [7], [3], [4], [9]]]);
    expect(Array.from(poolMaskUnitTokens(t, 2, 2).dataSync())).toEqual([2, 5, 7, 9]);
    expect(Array.from(poolMaskUnitTokens(t, 2, 2, true).dataSync())).toEqual([1.5, 2.5, 5.5, 6]);
    t.dispose();
    expect(() => tf.tidy(() => mu.forward(tf.zeros([1, 9, 8])))).toThrow(/9 tokens do not split/);
    tf.dispose(x);
  });
});

describe('ClNormMlpClassifierHead', () => {
  it('pools NLC tokens, norms, classifies; reset with resetOther drops the norm and keeps the pool', () => {
    const h = new ClNormMlpClassifierHead(4, 3, { inputFmt: 'NLC', poolType: 'max' });
    const x = tf.randomNormal([2, 5, 4], 0, 1, 'float32', 5);
    const pre = h.forwardHead(x, true);
    const want = h.norm.forward(tf.max(x, 1));
    expect(tf.max(tf.abs(tf.sub(pre, want))).dataSync()[0]).toBeLessThan(1e-6);
    expect(h.forward(x).shape).toEqual([2, 3]);
    h.reset(0, undefined, true);
    expect(h.norm).toBeInstanceOf(Identity);
    expect(h.poolType).toBe('max');
    const y = h.forward(x);
    expect(Array.from(y.dataSync())).toEqual(Array.from(tf.max(x, 1).dataSync()));
    expect(() => h.reset(1, 'token')).toThrow(/poolType must be one of/);
    tf.dispose([x, pre, want, y]);
  });
});
