import * as tf from '@tensorflow/tfjs-core';
import { beforeAll, describe, expect, it } from 'vitest';
import { AvgPool2dSame, Conv2d, GammaAct, NONLIN_GAMMA, nonlinGamma, ScaledStdConv2d, ScaledStdConv2dSame, type StateDict, setBackend } from '../src/index.js';

beforeAll(async () => {
  await setBackend('wasm');
});

const entry = (shape: number[], f: (i: number) => number) => {
  const n = shape.reduce((a, b) => a * b, 1);
  return { dtype: 'float32' as const, shape, data: Float32Array.from({ length: n }, (_, i) => f(i)) };
};

/** The standardised kernel computed by hand in PyTorch layout: per output channel, (w − mean) / √(var + eps) · gain · scale. */
function standardise(w: Float32Array, out: number, gain: Float32Array, scale: number, eps: number): Float32Array {
  const fan = w.length / out;
  const res = new Float32Array(w.length);
  for (let o = 0; o < out; o++) {
    const row = w.subarray(o * fan, (o + 1) * fan);
    const mean = row.reduce((a, b) => a + b, 0) / fan;
    const variance = row.reduce((a, b) => a + (b - mean) ** 2, 0) / fan;
    for (let i = 0; i < fan; i++) res[o * fan + i] = ((row[i]! - mean) / Math.sqrt(variance + eps)) * gain[o]! * scale;
  }
  return res;
}

const maxDiff = (a: tf.Tensor, b: tf.Tensor) => tf.tidy(() => tf.max(tf.abs(tf.sub(a, b))).dataSync()[0]!);

describe('ScaledStdConv2d', () => {
  it("holds timm's keys and equals a conv with the hand-standardised kernel (plain, grouped, depthwise, strided)", () => {
    for (const [inC, outC, groups, k, stride] of [[4, 6, 1, 3, 1], [4, 6, 2, 3, 2], [6, 6, 6, 3, 1], [4, 8, 1, 1, 1]] as const) {
      const conv = new ScaledStdConv2d(inC, outC, k, { stride, groups, gamma: 1.7, eps: 1e-5 });
      expect(Object.keys(conv.stateDict())).toEqual(['weight', 'bias', 'gain']);
      const shape = [outC, inC / groups, k, k];
      const sd: StateDict = {
        weight: entry(shape, (i) => Math.sin(i * 0.37) + 0.1 * (i % 5)),
        bias: entry([outC], (i) => i / 10 - 0.2),
        gain: entry([outC, 1, 1, 1], (i) => 0.5 + i / 4),
      };
      conv.loadStateDict(sd);
      const scale = 1.7 / Math.sqrt((inC / groups) * k * k);
      expect(conv.scale).toBeCloseTo(scale, 12);
      const ref = new Conv2d(inC, outC, k, { stride, groups, bias: true });
      ref.loadStateDict({ weight: { ...sd.weight!, data: standardise(sd.weight!.data as Float32Array, outC, sd.gain!.data as Float32Array, scale, 1e-5) }, bias: sd.bias! });
      const x = tf.randomNormal([1, 7, 7, inC], 0, 1, 'float32', 5);
      const y = conv.forward(x);
      const want = ref.forward(x);
      expect(y.shape).toEqual(want.shape);
      expect(maxDiff(y, want), `in ${inC} out ${outC} groups ${groups}`).toBeLessThan(1e-5);
      tf.dispose([x, y, want]);
      conv.dispose();
      ref.dispose();
    }
  });

  it('standardises the kernel once per load, not on every forward, and again after a new load', () => {
    const conv = new ScaledStdConv2d(3, 4, 3);
    const x = tf.ones([1, 5, 5, 3]);
    tf.dispose(conv.forward(x));
    const kernel = conv.standardizedWeight();
    const before = tf.memory().numTensors;
    tf.dispose(conv.forward(x));
    expect(tf.memory().numTensors).toBe(before);
    expect(conv.standardizedWeight()).toBe(kernel);
    conv.loadStateDict({ ...conv.stateDict(), gain: entry([4, 1, 1, 1], () => 2) });
    const again = conv.standardizedWeight();
    expect(again).not.toBe(kernel);
    // Every output channel of the new kernel has zero mean and a standard deviation of gain · scale (2 / √27).
    const { mean, variance } = tf.moments(again, [0, 1, 2]);
    expect(Math.max(...mean.dataSync().map(Math.abs))).toBeLessThan(1e-6);
    for (const v of variance.dataSync()) expect(Math.sqrt(v)).toBeCloseTo(2 / Math.sqrt(27), 4);
    tf.dispose([x, mean, variance]);
    conv.dispose();
  });

  it('ScaledStdConv2dSame pads as TensorFlow SAME (extra row / column bottom and right)', () => {
    const same = new ScaledStdConv2dSame(2, 3, 3, { stride: 2 });
    const valid = new ScaledStdConv2d(2, 3, 3, { stride: 2, padding: 'valid' });
    valid.loadStateDict(same.stateDict());
    const x = tf.randomNormal([1, 8, 8, 2], 0, 1, 'float32', 9);
    const y = same.forward(x);
    // TF SAME for 8 → 4 with a 3×3 kernel at stride 2: one pad bottom and right, none top and left.
    const want = valid.forward(tf.pad(x, [[0, 0], [0, 1], [0, 1], [0, 0]]));
    expect(y.shape).toEqual([1, 4, 4, 3]);
    expect(maxDiff(y, want)).toBeLessThan(1e-5);
    tf.dispose([x, y, want]);
  });

  it('refuses a BatchNorm fold, naming the layer', () => {
    expect(() => new ScaledStdConv2d(2, 2, 1).forwardBn()).toThrow(/ScaledStdConv2d: .*forwardBn/);
  });
});

describe('GammaAct, NONLIN_GAMMA, AvgPool2dSame', () => {
  it('GammaAct scales the activation by gamma; the constants are DeepMind’s', () => {
    const x = tf.tensor4d([-1, 0, 0.5, 2], [1, 2, 2, 1]);
    const y = new GammaAct('relu', nonlinGamma('relu')).forward(x);
    expect(Array.from(y.dataSync())).toEqual([0, 0, 0.5, 2].map((v) => Math.fround(v * Math.fround(1.7139588594436646))));
    expect(NONLIN_GAMMA.gelu).toBe(1.7015043497085571);
    expect(() => nonlinGamma('mish')).toThrow(/no NFNet gamma constant for activation 'mish'/);
    tf.dispose([x, y]);
  });

  it('AvgPool2dSame(2, stride 1) keeps the size and counts its zero padding in the mean', () => {
    const x = tf.tensor4d([1, 2, 3, 4], [1, 2, 2, 1]);
    const y = new AvgPool2dSame(2, { stride: 1, ceilMode: true }).forward(x);
    expect(Array.from(y.dataSync())).toEqual([(1 + 2 + 3 + 4) / 4, (2 + 4) / 4, (3 + 4) / 4, 4 / 4]);
    tf.dispose([x, y]);
  });
});
