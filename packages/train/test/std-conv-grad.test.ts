import * as tf from '@tensorflow/tfjs-core';
import { StdConv2d, setBackend } from '@zoo/core';
import { beforeAll, describe, expect, it } from 'vitest';
import { registerGradients } from '../src/index.js';

beforeAll(async () => {
  await setBackend('wasm');
  registerGradients();
});

describe("core's StdConv2d under training", () => {
  it('passes gradients back to the raw weight through the standardisation (not through a kept copy)', () => {
    const conv = new StdConv2d(2, 3, 3);
    conv.loadStateDict({ weight: { dtype: 'float32', shape: [3, 2, 3, 3], data: Float32Array.from({ length: 54 }, (_, i) => Math.sin(i * 1.3) * 0.2 + 0.1 * Math.floor(i / 18)) } });
    const v = conv.weight.variable();
    const x = tf.randomNormal([1, 5, 5, 2], 0, 1, 'float32', 5);
    const target = tf.reshape(tf.range(0, 75), [1, 5, 5, 3]);
    const { grads } = tf.variableGrads(() => tf.sum(tf.mul(conv.forward(x), target)) as tf.Scalar, [v]);
    const g = grads[v.name]!;
    // The standardised kernel does not change when a filter's raw weights are shifted or scaled, so the gradient of
    // any loss sums to zero over each filter (HWIO: the last axis is the filter); one that skipped the
    // standardisation would not.
    const scale = tf.max(tf.abs(g)).dataSync()[0]!;
    expect(scale).toBeGreaterThan(1e-3);
    for (const s of tf.sum(g, [0, 1, 2]).dataSync()) expect(Math.abs(s)).toBeLessThan(1e-4 * 18 * scale);
    tf.dispose([x, target, g]);
    conv.dispose();
  });
});
