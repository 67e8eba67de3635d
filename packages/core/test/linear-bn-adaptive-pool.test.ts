import * as tf from '@tensorflow/tfjs-core';
import { beforeAll, describe, expect, it } from 'vitest';
import { adaptiveAvgPool2d, BnLinear, ConvBn, LinearBn, type StateDict, setBackend } from '../src/index.js';

beforeAll(async () => {
  await setBackend('wasm');
});

const entry = (shape: number[], f: (i: number) => number) => {
  const n = shape.reduce((a, b) => a * b, 1);
  return { dtype: 'float32' as const, shape, data: Float32Array.from({ length: n }, (_, i) => f(i)) };
};
const bnEntries = (prefix: string, c: number): StateDict => ({
  [`${prefix}.weight`]: entry([c], (i) => 0.8 + i / (2 * c)),
  [`${prefix}.bias`]: entry([c], (i) => Math.cos(i) / 10),
  [`${prefix}.running_mean`]: entry([c], (i) => Math.sin(i * 0.7) / 5),
  [`${prefix}.running_var`]: entry([c], (i) => 0.5 + (i % 3) / 2),
});
const maxDiff = (a: tf.Tensor, b: tf.Tensor) => tf.tidy(() => tf.max(tf.abs(tf.sub(a, b))).dataSync()[0]!);

describe('LinearBn / BnLinear / ConvBn (BatchNorm folded in eval mode)', () => {
  it('equal the unfolded linear → BN, BN → linear and conv → BN, on any rank', () => {
    const [inF, outF] = [6, 5];
    const w = entry([outF, inF], (i) => Math.sin(i * 0.31));
    const x = tf.tensor(Array.from({ length: 2 * 3 * 4 * inF }, (_, i) => Math.cos(i * 0.13)), [2, 3, 4, inF]);

    const lb = new LinearBn(inF, outF);
    expect(Object.keys(lb.stateDict())).toEqual(['linear.weight', 'bn.weight', 'bn.bias', 'bn.running_mean', 'bn.running_var', 'bn.num_batches_tracked']);
    lb.loadStateDict({ 'linear.weight': w, ...bnEntries('bn', outF) }, { strict: false });
    const bl = new BnLinear(inF, outF);
    bl.loadStateDict({ ...bnEntries('bn', inF), 'linear.weight': w, 'linear.bias': entry([outF], (i) => i / 7) }, { strict: false });
    const cb = new ConvBn(inF, outF, 1);
    cb.loadStateDict({ 'linear.weight': entry([outF, inF, 1, 1], (i) => Math.sin(i * 0.31)), ...bnEntries('bn', outF) }, { strict: false });

    for (const input of [x, tf.reshape(x, [2, 12, inF])]) {
      expect(maxDiff(lb.forward(input), lb.bn.forward(lb.linear.forward(input)))).toBeLessThan(1e-5);
      expect(maxDiff(bl.forward(input), bl.linear.forward(bl.bn.forward(input)))).toBeLessThan(1e-5);
    }
    // A 1×1 ConvBn is the LinearBn with the same weights.
    expect(maxDiff(cb.forward(x), lb.forward(x))).toBeLessThan(1e-5);
    expect(maxDiff(lb.forwardAct(x, 'relu'), tf.relu(lb.forward(x)))).toBeLessThan(1e-6);
    for (const m of [lb, bl, cb]) m.dispose();
    x.dispose();
  });
});

describe('adaptiveAvgPool2d', () => {
  /** PyTorch's bins, computed cell by cell: output (i, j) averages rows [⌊i·H/oh⌋, ⌈(i+1)·H/oh⌉) and likewise columns. */
  function naive(x: tf.Tensor4D, oh: number, ow: number): tf.Tensor4D {
    const [B, H, W, C] = x.shape;
    const v = x.arraySync();
    const out = new Float32Array(B * oh * ow * C);
    let n = 0;
    for (let b = 0; b < B; b++)
      for (let i = 0; i < oh; i++)
        for (let j = 0; j < ow; j++)
          for (let c = 0; c < C; c++) {
            const [r0, r1] = [Math.floor((i * H) / oh), Math.ceil(((i + 1) * H) / oh)];
            const [c0, c1] = [Math.floor((j * W) / ow), Math.ceil(((j + 1) * W) / ow)];
            let s = 0;
            for (let r = r0; r < r1; r++) for (let q = c0; q < c1; q++) s += v[b]![r]![q]![c]!;
            out[n++] = s / ((r1 - r0) * (c1 - c0));
          }
    return tf.tensor4d(out, [B, oh, ow, C]);
  }

  it("equals PyTorch's bins: divisible, uneven, upsampling and mixed sizes", () => {
    for (const [h, w, oh, ow] of [[14, 14, 7, 7], [10, 13, 7, 7], [5, 3, 7, 7], [8, 6, 4, 4], [7, 7, 7, 7]] as const) {
      const x = tf.tensor4d(Array.from({ length: 2 * h * w * 3 }, (_, i) => Math.sin(i * 0.17)), [2, h, w, 3]);
      const got = adaptiveAvgPool2d(x, [oh, ow]);
      const want = naive(x, oh, ow);
      expect(got.shape).toEqual([2, oh, ow, 3]);
      expect(maxDiff(got, want)).toBeLessThan(1e-6);
      tf.dispose([x, got, want]);
    }
  });
});
