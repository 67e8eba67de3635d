import * as tf from '@tensorflow/tfjs-core';
import { beforeAll, describe, expect, it } from 'vitest';
import { OffsetBiasAttention, offsetBiasIndex, resizeOffsetBiasTable, setBackend } from '../src/index.js';

beforeAll(async () => {
  await setBackend('wasm');
});

/** timm's construction, written out: offsets numbered as first met, queries then keys in row-major order. */
function timmIndex(h: number, w: number): number[] {
  const points: [number, number][] = [];
  for (let i = 0; i < h; i++) for (let j = 0; j < w; j++) points.push([i, j]);
  const ids = new Map<string, number>();
  const out: number[] = [];
  for (const [a0, a1] of points) {
    for (const [b0, b1] of points) {
      const key = `${Math.abs(a0 - b0)},${Math.abs(a1 - b1)}`;
      if (!ids.has(key)) ids.set(key, ids.size);
      out.push(ids.get(key)!);
    }
  }
  return out;
}

describe('offset biases (TinyViT / EfficientFormer / LeViT)', () => {
  it('offsetBiasIndex numbers offsets as timm does, on square and oblong grids', () => {
    for (const [h, w] of [[3, 3], [2, 4], [4, 2], [7, 7]] as const) expect([...offsetBiasIndex([h, w])]).toEqual(timmIndex(h, w));
    // From the first query every offset (i, j) is i·w + j, so the table has exactly h·w rows.
    expect(Math.max(...offsetBiasIndex([5, 3])) + 1).toBe(15);
  });

  it('resizeOffsetBiasTable keeps a fitting table, keeps a constant per head constant, and names what does not fit', () => {
    const table = { dtype: 'float32' as const, shape: [2, 9], data: new Float32Array(18).map((_, i) => (i < 9 ? 1.5 : -2)) };
    expect(resizeOffsetBiasTable(table, [2, 9])).toBe(table);
    const big = resizeOffsetBiasTable(table, [2, 25]);
    expect(big.shape).toEqual([2, 25]);
    const d = big.data as Float32Array;
    for (let i = 0; i < 25; i++) {
      expect(d[i]).toBeCloseTo(1.5, 5);
      expect(d[25 + i]).toBeCloseTo(-2, 5);
    }
    expect(() => resizeOffsetBiasTable(table, [3, 25])).toThrow(/2 heads, the model 3/);
    expect(() => resizeOffsetBiasTable(table, [2, 24])).toThrow(/not square grids/);
  });

  it('OffsetBiasAttention adds the bias of each pair before the softmax, and refuses another token count', () => {
    const attn = new OffsetBiasAttention(4, 2, { numHeads: 2, attnRatio: 1, resolution: [2, 2] });
    // q = k = 0, so the scores are the biases alone; v = the head's two input channels; proj the identity.
    const qkvW = new Float32Array(12 * 4);
    for (let h = 0; h < 2; h++) for (let c = 0; c < 2; c++) qkvW[(h * 6 + 4 + c) * 4 + h * 2 + c] = 1;
    const bias = [0.5, -1, 2, 0.25, 0, 1.5, -0.5, 3];
    attn.loadStateDict({
      attention_biases: { dtype: 'float32', shape: [2, 4], data: Float32Array.from(bias) },
      'qkv.weight': { dtype: 'float32', shape: [12, 4], data: qkvW },
      'qkv.bias': { dtype: 'float32', shape: [12], data: new Float32Array(12) },
      'proj.weight': { dtype: 'float32', shape: [4, 4], data: new Float32Array(16).map((_, i) => (i % 5 === 0 ? 1 : 0)) },
      'proj.bias': { dtype: 'float32', shape: [4], data: new Float32Array(4) },
    });
    const xs = Array.from({ length: 16 }, (_, i) => Math.sin(i + 1));
    const x = tf.tensor3d(xs, [1, 4, 4]);
    const y = attn.forward(x).dataSync();
    const idx = offsetBiasIndex([2, 2]);
    for (let h = 0; h < 2; h++) {
      for (let i = 0; i < 4; i++) {
        const e = [0, 1, 2, 3].map((j) => Math.exp(bias[h * 4 + idx[i * 4 + j]!]!));
        const z = e.reduce((a, b) => a + b, 0);
        for (let c = 0; c < 2; c++) {
          const want = [0, 1, 2, 3].reduce((acc, j) => acc + (e[j]! / z) * xs[j * 4 + h * 2 + c]!, 0);
          expect(y[i * 4 + h * 2 + c]).toBeCloseTo(want, 5);
        }
      }
    }
    const bad = tf.zeros([1, 5, 4]);
    expect(() => attn.forward(bad)).toThrow(/2×2 grid \(4 tokens\), got 5 tokens/);
    tf.dispose([x, bad]);
    attn.dispose();
  });
});
