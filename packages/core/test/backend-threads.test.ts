import * as tf from '@tensorflow/tfjs-core';
import { expect, it } from 'vitest';
import { setBackend } from '../src/index.js';

it("setBackend('wasm', { numThreads: 2 }) in Node runs the threaded SIMD build with 2 XNNPACK threads", async () => {
  const info = await setBackend('wasm', { numThreads: 2 });
  expect(info).toMatchObject({ backend: 'wasm', threads: 2, simd: true });
  const y = tf.conv2d(tf.ones([1, 32, 32, 8]) as tf.Tensor4D, tf.ones([3, 3, 8, 8]) as tf.Tensor4D, 1, 'same');
  expect(y.dataSync()[5 * 32 * 8 + 5 * 8]).toBe(72);
  y.dispose();
});
