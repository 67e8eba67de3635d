import * as tf from '@tensorflow/tfjs-core';
import { beforeAll, describe, expect, it } from 'vitest';
import { Activation, BatchNorm2d, Conv2d, FusedSequential, installHook, Linear, MaxPool2d, Sequential, setBackend } from '../src/index.js';

beforeAll(async () => {
  await setBackend('wasm');
});

describe('fused layers compute what the separate ops compute', () => {
  it('leaky_relu inside a fused conv uses torch slope 0.01', () => {
    const conv = new Conv2d(2, 3, 1, { bias: true });
    const x = tf.randomNormal([1, 4, 4, 2], 0, 1, 'float32', 1);
    const fused = conv.forwardAct(x, 'leaky_relu');
    const plain = tf.leakyRelu(conv.forward(x), 0.01);
    expect(tf.max(tf.abs(tf.sub(fused, plain))).dataSync()[0]).toBeLessThan(1e-6);
    const lin = new Linear(2, 3);
    const v = tf.randomNormal([5, 2], 0, 1, 'float32', 2);
    expect(tf.max(tf.abs(tf.sub(lin.forwardAct(v, 'leaky_relu'), tf.leakyRelu(lin.forward(v), 0.01)))).dataSync()[0]).toBeLessThan(1e-6);
  });

  it('BatchNorm folded into a conv equals conv then BatchNorm', () => {
    for (const groups of [1, 2, 4]) {
      const conv = new Conv2d(4, 8, 3, { groups, stride: 2 });
      const bn = new BatchNorm2d(8, { eps: 1e-3 });
      bn.loadStateDict({
        weight: { dtype: 'float32', shape: [8], data: Float32Array.from({ length: 8 }, (_, i) => 0.5 + i / 8) },
        bias: { dtype: 'float32', shape: [8], data: Float32Array.from({ length: 8 }, (_, i) => i / 10 - 0.3) },
        running_mean: { dtype: 'float32', shape: [8], data: Float32Array.from({ length: 8 }, (_, i) => i / 7 - 0.5) },
        running_var: { dtype: 'float32', shape: [8], data: Float32Array.from({ length: 8 }, (_, i) => 0.2 + i / 5) },
      });
      const x = tf.randomNormal([2, 9, 9, 4], 0, 1, 'float32', 3);
      const folded = conv.forwardBn(x, bn, 'relu');
      const plain = tf.relu(bn.forward(conv.forward(x)));
      expect(folded.shape).toEqual([2, 5, 5, 8]);
      expect(tf.max(tf.abs(tf.sub(folded, plain))).dataSync()[0], `groups ${groups}`).toBeLessThan(1e-5);
    }
  });

  it('FusedSequential has nn.Sequential keys and results, and a hook on a folded BatchNorm still fires', () => {
    const parts = () => [new Conv2d(3, 8, 3, { padding: 1 }), new BatchNorm2d(8), new Activation('relu'), new MaxPool2d(2), new Conv2d(8, 4, 1)];
    const fused = new FusedSequential(parts());
    const plain = new Sequential(parts());
    plain.loadStateDict(fused.stateDict());
    expect(Object.keys(fused.stateDict())).toEqual(Object.keys(plain.stateDict()));
    const x = tf.randomNormal([2, 8, 8, 3], 0, 1, 'float32', 5);
    const seen: number[][] = [];
    const remove = installHook(fused.at(1), 'forward', (t) => seen.push(t.shape));
    const [a, b] = [fused.forward(x), plain.forward(x)];
    expect(seen).toEqual([[2, 8, 8, 8]]);
    expect(tf.max(tf.abs(tf.sub(a, b))).dataSync()[0]).toBeLessThan(1e-5);
    remove();
    tf.dispose([x, a, b]);
    fused.dispose();
    plain.dispose();
  });
});
