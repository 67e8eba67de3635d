import * as tf from '@tensorflow/tfjs-core';
import { setBackend, upsampleNearest } from '@zoo/core';
import { beforeAll, describe, expect, it } from 'vitest';
import { registerGradients } from '../src/index.js';

beforeAll(async () => {
  await setBackend('wasm');
  registerGradients();
});

// Core's nearest upsampling (HRNet's fusion) runs a resize op for inference and, while gradients are recorded,
// reshape + tile (kernels whose gradients this package registers): the same values, and a gradient that sums each
// s×s block of the output's gradient back onto its source pixel.
describe('nearest upsampling under gradient recording', () => {
  it('gives the same copies while gradients are recorded, and the gradient sums each s×s block', () => {
    const x = tf.randomNormal([2, 3, 4, 5], 0, 1, 'float32', 7);
    const plain = upsampleNearest(x, 4);
    const dy = tf.randomNormal([2, 12, 16, 5], 0, 1, 'float32', 8);
    let recorded: tf.Tensor | null = null;
    const dx = tf.grad((t: tf.Tensor) => {
      const y = upsampleNearest(t, 4);
      recorded = tf.keep(y.clone());
      return y;
    })(x, dy);
    expect(tf.tidy(() => tf.max(tf.abs(tf.sub(recorded!, plain))).dataSync()[0])).toBe(0);
    const want = tf.tidy(() => tf.sum(tf.reshape(dy, [2, 3, 4, 4, 4, 5]), [2, 4]));
    expect(tf.tidy(() => tf.max(tf.abs(tf.sub(dx, want))).dataSync()[0])).toBeLessThan(1e-5);
    tf.dispose([x, plain, dy, recorded!, dx, want]);
  });

});
