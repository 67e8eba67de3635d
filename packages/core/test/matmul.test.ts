import * as tf from '@tensorflow/tfjs-core';
import { beforeAll, describe, expect, it } from 'vitest';
import { setBackend } from '../src/backend.js';
import { batchMatMul, softmaxAttention } from '../src/layers/matmul.js';

beforeAll(async () => {
  await setBackend('wasm');
});

describe('batchMatMul', () => {
  const cases: [string, [number, number, number], [number, number, number], boolean][] = [
    ['attention scores (split into 2-D products)', [6, 197, 64], [6, 197, 64], true],
    ['attention-weighted values (split)', [6, 197, 197], [6, 197, 64], false],
    ['small matrices (one batched matmul)', [64, 16, 16], [64, 16, 16], false],
    ['one matrix', [1, 300, 64], [1, 64, 300], false],
  ];
  for (const [name, as, bs, tb] of cases) {
    it(`${name}: what tf.matMul gives, in one tidy with no tensor left`, () => {
      const a = tf.randomUniform(as, -1, 1, 'float32', 1) as tf.Tensor3D;
      const b = tf.randomUniform(bs, -1, 1, 'float32', 2) as tf.Tensor3D;
      const before = tf.memory().numTensors;
      const got = tf.tidy(() => batchMatMul(a, b, tb));
      expect(tf.memory().numTensors).toBe(before + 1);
      const want = tf.matMul(a, b, false, tb);
      expect(got.shape).toEqual(want.shape);
      const err = tf.max(tf.abs(tf.sub(got, want))).dataSync()[0]!;
      expect(err).toBeLessThan(1e-4);
      tf.dispose([a, b, got, want]);
    });
  }
});

describe('softmaxAttention', () => {
  const cases: [string, number, number, number, number][] = [
    ['ViT-S heads (split per head)', 6, 197, 197, 64],
    ['few small maps (batched)', 8, 10, 12, 16],
    ['latent query pooling (1 query per head)', 12, 1, 197, 64],
  ];
  for (const [name, n, lq, lk, d] of cases) {
    it(`${name}: softmax(q kᵀ) v, no tensor left`, () => {
      const q = tf.randomUniform([n, lq, d], -1, 1, 'float32', 3) as tf.Tensor3D;
      const k = tf.randomUniform([n, lk, d], -1, 1, 'float32', 4) as tf.Tensor3D;
      const v = tf.randomUniform([n, lk, d], -1, 1, 'float32', 5) as tf.Tensor3D;
      const before = tf.memory().numTensors;
      const got = tf.tidy(() => softmaxAttention(q, k, v));
      expect(tf.memory().numTensors).toBe(before + 1);
      const want = tf.tidy(() => tf.matMul(tf.softmax(tf.matMul(q, k, false, true)), v));
      expect(got.shape).toEqual([n, lq, d]);
      expect(tf.max(tf.abs(tf.sub(got, want))).dataSync()[0]!).toBeLessThan(1e-5);
      tf.dispose([q, k, v, got, want]);
    });
  }
});
