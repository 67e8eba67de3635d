import * as tf from '@tensorflow/tfjs-core';
import { beforeAll, describe, expect, it } from 'vitest';
import { setBackend } from '../src/backend.js';
import { Param } from '../src/module.js';

beforeAll(async () => {
  await setBackend('wasm');
});

/** Elements that differ (bit-exact comparison; `toEqual` on long arrays is slow). */
function mismatches(a: Float32Array, b: Float32Array): number {
  if (a.length !== b.length) return Math.max(a.length, b.length);
  let n = 0;
  for (let i = 0; i < a.length; i++) if (a[i] !== b[i]) n++;
  return n;
}

const ramp = (n: number) => Float32Array.from({ length: n }, (_, i) => Math.sin(i * 0.37) * 10);

/** What the tfjs layout of a PyTorch entry must be, computed with tfjs' own transpose. */
function reference(data: Float32Array, shape: number[], layout: 'linear' | 'conv' | 'dwconv', tfShape: number[]): Float32Array {
  return tf.tidy(() => {
    const t = tf.tensor(data, shape);
    const perm = layout === 'linear' ? [1, 0] : [2, 3, 1, 0];
    return tf.reshape(tf.transpose(t, perm), tfShape).dataSync() as Float32Array;
  }).slice();
}

describe('Param.convert: PyTorch layout to tfjs layout', () => {
  const cases: { name: string; shape: number[]; layout: 'linear' | 'conv' | 'dwconv'; multiplier?: number }[] = [
    { name: 'linear (JS)', shape: [37, 53], layout: 'linear' },
    { name: 'linear, large (JS)', shape: [1000, 600], layout: 'linear' },
    { name: '1x1 conv, large (JS)', shape: [700, 513, 1, 1], layout: 'conv' },
    { name: '3x3 conv, small (JS)', shape: [24, 17, 3, 3], layout: 'conv' },
    { name: '3x3 conv, large (wasm)', shape: [160, 190, 3, 3], layout: 'conv' },
    { name: '7x5 conv, odd sizes', shape: [19, 3, 7, 5], layout: 'conv' },
    { name: 'depthwise 5x5, multiplier 2', shape: [64, 1, 5, 5], layout: 'dwconv', multiplier: 2 },
    { name: 'depthwise 3x3, large (wasm)', shape: [30000, 1, 3, 3], layout: 'dwconv' },
  ];
  for (const c of cases) {
    it(c.name, () => {
      const p = new Param(c.shape, { layout: c.layout, multiplier: c.multiplier });
      const data = ramp(c.shape.reduce((a, b) => a * b, 1));
      const before = tf.memory().numTensors;
      const t = p.convert({ dtype: 'float32', shape: c.shape, data });
      expect(tf.memory().numTensors).toBe(before + 1);
      expect(t.shape).toEqual(p.tfShape);
      expect(mismatches(t.dataSync() as Float32Array, reference(data, c.shape, c.layout, p.tfShape))).toBe(0);
      // And back: assign + toTorch gives the entry again.
      p.setTensor(t);
      expect(mismatches(p.toTorch().data as Float32Array, data)).toBe(0);
      p.dispose();
    });
  }
});
