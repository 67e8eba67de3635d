import * as tf from '@tensorflow/tfjs-core';
import { beforeAll, describe, expect, it } from 'vitest';
import { BatchNorm2d, Conv2d, Dropout, freeze, freezeExcept, Sequential, setBackend, unfreeze } from '../src/index.js';
import { differentiableConv2d } from '../src/layers/conv-autodiff.js';

beforeAll(async () => {
  await setBackend('wasm');
});

const maxDiff = (a: tf.Tensor, b: tf.Tensor) => tf.tidy(() => tf.max(tf.abs(tf.sub(a, b))).dataSync()[0]!);

describe('train() / eval()', () => {
  it('set the mode on every module below and return the module', () => {
    const m = new Sequential([new Conv2d(2, 4, 3), new BatchNorm2d(4), new Sequential([new Dropout(0.5)])]);
    expect(m.training).toBe(false);
    expect(m.train()).toBe(m);
    expect(m.namedModules().every(([, s]) => s.training)).toBe(true);
    expect(m.eval()).toBe(m);
    expect(m.namedModules().some(([, s]) => s.training)).toBe(false);
    m.dispose();
  });
});

describe('BatchNorm2d in training mode', () => {
  it('normalises with batch statistics and updates running stats as PyTorch (momentum, unbiased var, num_batches_tracked)', () => {
    const bn = new BatchNorm2d(3, { momentum: 0.2 });
    const x = tf.randomNormal([2, 4, 5, 3], 1, 2, 'float32', 3);
    bn.train();
    const y = bn.forward(x);
    // Per channel: mean 0 and biased variance 1 (weight 1, bias 0).
    const { mean, variance } = tf.moments(y, [0, 1, 2]);
    expect(Math.max(...Array.from(mean.dataSync()).map(Math.abs))).toBeLessThan(1e-5);
    expect(Math.max(...Array.from(variance.dataSync()).map((v) => Math.abs(v - 1)))).toBeLessThan(1e-3);
    const xd = x.dataSync();
    const n = 2 * 4 * 5;
    for (let c = 0; c < 3; c++) {
      let s = 0;
      for (let i = c; i < xd.length; i += 3) s += xd[i]!;
      const mu = s / n;
      let ss = 0;
      for (let i = c; i < xd.length; i += 3) ss += (xd[i]! - mu) ** 2;
      const unbiased = ss / (n - 1);
      expect(bn.runningMean.value.dataSync()[c]).toBeCloseTo(0.2 * mu, 5);
      expect(bn.runningVar.value.dataSync()[c]).toBeCloseTo(0.8 + 0.2 * unbiased, 4);
    }
    expect(bn.getParam('num_batches_tracked')!.intValue).toBe(1n);
    // Eval mode: running statistics, nothing updated.
    bn.eval();
    const before = bn.runningMean.version;
    bn.forward(x);
    expect(bn.runningMean.version).toBe(before);
    bn.dispose();
  });

  it('a conv → BN fold in eval mode follows parameters changed by training', () => {
    const conv = new Conv2d(2, 3, 3);
    const bn = new BatchNorm2d(3);
    const x = tf.randomNormal([2, 6, 6, 2], 0, 1, 'float32', 4);
    const folded0 = conv.forwardBn(x, bn);
    bn.train();
    conv.forwardBn(x, bn); // updates the running stats
    bn.eval();
    const folded1 = conv.forwardBn(x, bn);
    const plain = bn.forward(conv.forward(x));
    expect(maxDiff(folded1, plain)).toBeLessThan(1e-5);
    expect(maxDiff(folded0, folded1)).toBeGreaterThan(1e-3);
    conv.dispose();
    bn.dispose();
  });

  it('frozen (timm FrozenBatchNorm2d) keeps running statistics in training mode', () => {
    const m = new Sequential([new Conv2d(2, 3, 1), new BatchNorm2d(3)]);
    freeze(m, '1');
    m.train();
    const bn = m.at(1) as BatchNorm2d;
    void bn.runningMean.value; // created lazily (a version bump) on first use
    const v = bn.runningMean.version;
    m.forward(tf.randomNormal([1, 3, 3, 2], 0, 1, 'float32', 5));
    expect(bn.runningMean.version).toBe(v);
    expect(bn.weight.requiresGrad).toBe(false);
    expect((m.at(0) as Conv2d).weight.requiresGrad).toBe(true);
    unfreeze(m);
    expect(bn.frozen).toBe(false);
    expect(bn.weight.requiresGrad).toBe(true);
    freezeExcept(m, ['1']);
    expect((m.at(0) as Conv2d).weight.requiresGrad).toBe(false);
    expect(bn.weight.requiresGrad).toBe(true);
    expect(() => freeze(m, 'nope')).toThrow(/no submodule 'nope'.*0, 1/);
    m.dispose();
  });
});

describe('Param.variable', () => {
  it('shares the held data (no copy) and later assignments write into the same variable', () => {
    const conv = new Conv2d(2, 3, 1);
    const t = conv.weight.value;
    const before = tf.memory().numBytes;
    const v = conv.weight.variable();
    expect(tf.memory().numBytes).toBe(before);
    expect(conv.weight.value).toBe(v);
    expect(t.isDisposed).toBe(true);
    const version = conv.weight.version;
    conv.weight.setTensor(tf.zeros(v.shape));
    expect(conv.weight.value).toBe(v);
    expect(conv.weight.version).toBe(version + 1);
    expect(v.dataSync().every((e) => e === 0)).toBe(true);
    conv.dispose();
  });
});

describe('differentiableConv2d (the conv while gradients are recorded)', () => {
  const cases: { name: string; k: number; s: number; d: number; pads: [number, number, number, number]; groups: number; depthwise: boolean; m?: number }[] = [
    { name: '3×3 s1 p1', k: 3, s: 1, d: 1, pads: [1, 1, 1, 1], groups: 1, depthwise: false },
    { name: '7×7 s2 p3', k: 7, s: 2, d: 1, pads: [3, 3, 3, 3], groups: 1, depthwise: false },
    { name: '1×1 s2', k: 1, s: 2, d: 1, pads: [0, 0, 0, 0], groups: 1, depthwise: false },
    { name: '3×3 dilation 2', k: 3, s: 1, d: 2, pads: [2, 2, 2, 2], groups: 1, depthwise: false },
    { name: 'TF SAME 3×3 s2 (extra pad bottom/right)', k: 3, s: 2, d: 1, pads: [0, 1, 0, 1], groups: 1, depthwise: false },
    { name: 'grouped 3×3', k: 3, s: 1, d: 1, pads: [1, 1, 1, 1], groups: 2, depthwise: false },
    { name: 'depthwise 5×5 s2', k: 5, s: 2, d: 1, pads: [2, 2, 2, 2], groups: 4, depthwise: true },
    { name: 'depthwise 3×3 multiplier 2', k: 3, s: 1, d: 1, pads: [1, 1, 1, 1], groups: 4, depthwise: true, m: 2 },
  ];
  for (const c of cases) {
    it(`equals tfjs' conv: ${c.name}`, () => {
      const cin = 4;
      const x = tf.randomNormal([2, 9, 8, cin], 0, 1, 'float32', 6) as tf.Tensor4D;
      const b = tf.randomNormal([c.depthwise ? cin * (c.m ?? 1) : 6], 0, 1, 'float32', 8);
      const explicit = [[0, 0], [c.pads[0], c.pads[1]], [c.pads[2], c.pads[3]], [0, 0]] as [[number, number], [number, number], [number, number], [number, number]];
      let ref: tf.Tensor;
      let w: tf.Tensor4D;
      if (c.depthwise) {
        w = tf.randomNormal([c.k, c.k, cin, c.m ?? 1], 0, 1, 'float32', 7) as tf.Tensor4D;
        ref = tf.add(tf.depthwiseConv2d(x, w, c.s, explicit, 'NHWC', c.d), b);
      } else {
        w = tf.randomNormal([c.k, c.k, cin / c.groups, 6], 0, 1, 'float32', 7) as tf.Tensor4D;
        const xs = tf.split(x, c.groups, 3) as tf.Tensor4D[];
        const ws = tf.split(w, c.groups, 3) as tf.Tensor4D[];
        ref = tf.add(tf.concat(xs.map((xi, i) => tf.conv2d(xi, ws[i]!, c.s, explicit, 'NHWC', c.d)), 3), b);
      }
      const ours = differentiableConv2d(x, w, b, { stride: c.s, dilation: c.d, pads: c.pads, groups: c.groups, depthwise: c.depthwise });
      expect(ours.shape).toEqual(ref.shape);
      expect(maxDiff(ours, ref)).toBeLessThan(1e-4);
    });
  }
});
