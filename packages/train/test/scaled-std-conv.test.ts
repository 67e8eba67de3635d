import * as tf from '@tensorflow/tfjs-core';
import { ScaledStdConv2d, setBackend } from '@zoo/core';
import { beforeAll, describe, expect, it } from 'vitest';
import { registerGradients } from '../src/index.js';

beforeAll(async () => {
  expect((await setBackend('wasm')).backend).toBe('wasm');
  registerGradients();
});

const entry = (shape: number[], f: (i: number) => number) => {
  const n = shape.reduce((a, b) => a * b, 1);
  return { dtype: 'float32' as const, shape, data: Float32Array.from({ length: n }, (_, i) => f(i)) };
};

describe("core's ScaledStdConv2d (NFNets) trains", () => {
  it('gradients reach the raw weight and the gain (the kernel is standardised inside the recorded step)', () => {
    const conv = new ScaledStdConv2d(2, 3, 3, { gamma: 1.5 });
    const x = tf.randomNormal([1, 5, 5, 2], 0, 1, 'float32', 11);
    const loss = () => tf.sum(tf.square(conv.forward(x))) as tf.Scalar;
    const [w, g] = [conv.weight.variable(), conv.gain.variable()];
    const { value, grads } = tf.variableGrads(loss, [w, g]);
    // The gain's gradient against a central difference of the loss (the loss is quadratic in the gain).
    const h = 1e-2;
    const at = (d: number) => {
      conv.gain.assign(entry([3, 1, 1, 1], (i) => 1 + (i === 1 ? d : 0)));
      return tf.tidy(() => loss().dataSync()[0]!);
    };
    const numeric = (at(h) - at(-h)) / (2 * h);
    expect(grads[g.name]!.dataSync()[1]).toBeCloseTo(numeric, 2);
    // Scaling one output channel's raw weight does not change its standardised kernel: that direction has no gradient.
    const gw = grads[w.name]!;
    const along = tf.tidy(() => tf.sum(tf.mul(tf.slice(gw, [0, 0, 0, 0], [-1, -1, -1, 1]), tf.slice(w, [0, 0, 0, 0], [-1, -1, -1, 1]))).dataSync()[0]!);
    expect(Math.abs(along)).toBeLessThan(1e-3 * Math.max(...tf.abs(gw).dataSync()));
    expect(Math.max(...tf.abs(gw).dataSync())).toBeGreaterThan(0);
    tf.dispose([x, value, ...Object.values(grads)]);
    conv.dispose();
  });

});
