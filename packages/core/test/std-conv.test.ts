import * as tf from '@tensorflow/tfjs-core';
import { beforeAll, describe, expect, it } from 'vitest';
import {
  ClassifierHead, Conv2d, FilterResponseNormAct2d, FilterResponseNormTlu2d, GroupNorm, StdConv2d, StdConv2dSame, setBackend,
} from '../src/index.js';

beforeAll(async () => {
  await setBackend('wasm');
});

const maxDiff = (a: tf.Tensor, b: tf.Tensor) => tf.tidy(() => tf.max(tf.abs(tf.sub(a, b))).dataSync()[0]!);

/** A float32 state-dict entry. */
type F32 = { dtype: 'float32'; shape: number[]; data: Float32Array };

/** A PyTorch-layout kernel `[out, in/groups, kh, kw]` with a per-filter offset, so standardising it changes it. */
function kernel(shape: number[], seed: number): F32 {
  const n = shape.reduce((a, b) => a * b, 1);
  const per = n / shape[0]!;
  const data = Float32Array.from({ length: n }, (_, i) => Math.sin(seed + i * 1.7) * 0.2 + 0.05 * Math.floor(i / per));
  return { dtype: 'float32', shape, data };
}

/** timm's weight standardisation in float64 on a PyTorch-layout kernel: per output filter, biased variance. */
function standardizeRef(w: F32, eps: number): F32 {
  const per = w.data.length / w.shape[0]!;
  const out = new Float32Array(w.data.length);
  for (let o = 0; o < w.shape[0]!; o++) {
    let mean = 0;
    for (let i = 0; i < per; i++) mean += w.data[o * per + i]!;
    mean /= per;
    let v = 0;
    for (let i = 0; i < per; i++) v += (w.data[o * per + i]! - mean) ** 2;
    const inv = 1 / Math.sqrt(v / per + eps);
    for (let i = 0; i < per; i++) out[o * per + i] = (w.data[o * per + i]! - mean) * inv;
  }
  return { dtype: 'float32', shape: w.shape, data: out };
}

describe("StdConv2d: timm's weight-standardised conv", () => {
  it('equals a plain conv over the kernel standardised in float64 (plain, grouped and depthwise; eps per model)', () => {
    for (const [inC, outC, groups, eps] of [[4, 6, 1, 1e-6], [4, 6, 2, 1e-8], [4, 4, 4, 1e-8]] as const) {
      const w = kernel([outC, inC / groups, 3, 3], inC + groups);
      const std = new StdConv2d(inC, outC, 3, { stride: 2, groups, eps });
      std.loadStateDict({ weight: w });
      const ref = new Conv2d(inC, outC, 3, { stride: 2, groups });
      ref.loadStateDict({ weight: standardizeRef(w, eps) });
      const x = tf.randomNormal([2, 9, 9, inC], 0, 1, 'float32', 3);
      expect(maxDiff(std.forward(x), ref.forward(x)), `groups ${groups}`).toBeLessThan(1e-5);
      // The state dict keeps the raw weight: timm's keys and values.
      expect(Array.from(std.stateDict().weight!.data as Float32Array)).toEqual(Array.from(w.data));
      tf.dispose(x);
      std.dispose();
      ref.dispose();
    }
  });

  it('standardises once per weight change, not per forward, and leaks nothing', () => {
    const conv = new StdConv2d(3, 5, 3, { eps: 1e-8 });
    conv.loadStateDict({ weight: kernel([5, 3, 3, 3], 1) });
    const x = tf.randomNormal([1, 8, 8, 3], 0, 1, 'float32', 4);
    const k1 = conv.standardizedWeight();
    tf.dispose(conv.forward(x));
    const before = tf.memory().numTensors;
    for (let i = 0; i < 3; i++) tf.dispose(conv.forward(x));
    expect(tf.memory().numTensors).toBe(before);
    expect(conv.standardizedWeight()).toBe(k1);
    const w2 = kernel([5, 3, 3, 3], 9);
    conv.loadStateDict({ weight: w2 });
    const k2 = conv.standardizedWeight();
    expect(k2).not.toBe(k1);
    expect(k1.isDisposed).toBe(true);
    const ref = new Conv2d(3, 5, 3);
    ref.loadStateDict({ weight: standardizeRef(w2, 1e-8) });
    expect(maxDiff(conv.forward(x), ref.forward(x))).toBeLessThan(1e-5);
    tf.dispose(x);
    conv.dispose();
    ref.dispose();
  });

  it('StdConv2dSame pads as TensorFlow SAME (extra bottom / right), computed from the input size', () => {
    const w = kernel([4, 2, 3, 3], 3);
    const same = new StdConv2dSame(2, 4, 3, { stride: 2, eps: 1e-8 });
    same.loadStateDict({ weight: w });
    const valid = new StdConv2d(2, 4, 3, { stride: 2, eps: 1e-8, padding: 'valid' });
    valid.loadStateDict({ weight: w });
    const x = tf.randomNormal([1, 8, 8, 2], 0, 1, 'float32', 6);
    const y = same.forward(x);
    expect(y.shape).toEqual([1, 4, 4, 4]);
    expect(maxDiff(y, valid.forward(tf.pad(x, [[0, 0], [0, 1], [0, 1], [0, 0]])))).toBeLessThan(1e-6);
    tf.dispose(x);
    same.dispose();
    valid.dispose();
  });

  it('names a bad eps', () => {
    expect(() => new StdConv2d(2, 2, 1, { eps: 0 })).toThrow(/StdConv2d: eps must be a positive number, got 0/);
  });
});

describe('filter response norms', () => {
  it("FilterResponseNormTlu2d: x / sqrt(mean(x²) + eps) · weight + bias, then max(·, tau), as timm's", () => {
    const n = new FilterResponseNormTlu2d(3);
    const param = (v: number[]) => ({ dtype: 'float32' as const, shape: [3], data: Float32Array.from(v) });
    n.loadStateDict({ weight: param([1, 2, 0.5]), bias: param([0, 0.1, -0.2]), tau: param([-0.5, 0, 0.3]) });
    const x = tf.randomNormal([2, 4, 5, 3], 0.5, 1, 'float32', 7);
    const xs = x.arraySync() as number[][][][];
    const want = xs.map((img) => {
      const ms = [0, 1, 2].map((c) => img.flat().reduce((s, px) => s + px[c]! ** 2, 0) / 20);
      return img.map((row) => row.map((px) => px.map((v, c) => Math.max((v / Math.sqrt(ms[c]! + 1e-5)) * [1, 2, 0.5][c]! + [0, 0.1, -0.2][c]!, [-0.5, 0, 0.3][c]!))));
    });
    expect(maxDiff(n.forward(x), tf.tensor(want))).toBeLessThan(1e-5);
    expect(Object.keys(n.stateDict())).toEqual(['weight', 'bias', 'tau']);
    expect(Object.keys(new FilterResponseNormTlu2d(3, { applyAct: false }).stateDict())).toEqual(['weight', 'bias']);
    const act = new FilterResponseNormAct2d(3);
    expect(tf.min(act.forward(x)).dataSync()[0]).toBeGreaterThanOrEqual(0);
    expect(() => n.forward(tf.zeros([2, 3]))).toThrow(/FilterResponseNormTlu2d: expected NHWC input \(rank 4\), got rank 2/);
    tf.dispose(x);
  });
});

describe('GroupNorm over a large map with an offset', () => {
  it('stays as accurate as float64 allows (the mean is corrected for sequential float32 sums)', () => {
    const [h, w, c, g] = [56, 56, 64, 8];
    const data = Float32Array.from({ length: h * w * c }, (_, i) => 40 + Math.sin(i * 0.37) * 2 + Math.cos(i * 0.011));
    const gn = new GroupNorm(g, c);
    const y = gn.forward(tf.tensor4d(data, [1, h, w, c])).dataSync();
    // float64 reference
    const per = c / g;
    let worst = 0;
    for (let k = 0; k < g; k++) {
      let mean = 0;
      let count = 0;
      for (let p = 0; p < h * w; p++) for (let j = 0; j < per; j++) {
        mean += data[p * c + k * per + j]!;
        count++;
      }
      mean /= count;
      let v = 0;
      for (let p = 0; p < h * w; p++) for (let j = 0; j < per; j++) v += (data[p * c + k * per + j]! - mean) ** 2;
      const inv = 1 / Math.sqrt(v / count + 1e-5);
      for (let p = 0; p < h * w; p++) for (let j = 0; j < per; j++) {
        const i = p * c + k * per + j;
        worst = Math.max(worst, Math.abs(y[i]! - (data[i]! - mean) * inv));
      }
    }
    expect(worst).toBeLessThan(2e-5);
  });
});

describe('ClassifierHead with a conv classifier', () => {
  it("flattens logits and pre-logits to [B, C] as timm's, and keeps the map without a pool", () => {
    const head = new ClassifierHead(8, 5, { useConv: true });
    const x = tf.randomNormal([2, 3, 3, 8], 0, 1, 'float32', 8);
    expect(head.forwardHead(x, false).shape).toEqual([2, 5]);
    expect(head.forwardHead(x, true).shape).toEqual([2, 8]);
    head.reset(5, '');
    expect(head.forwardHead(x, false).shape).toEqual([2, 3, 3, 5]);
    tf.dispose(x);
  });
});
