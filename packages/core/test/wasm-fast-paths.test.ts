import * as tf from '@tensorflow/tfjs-core';
import { beforeAll, describe, expect, it } from 'vitest';
import { setBackend } from '../src/backend.js';
import { BatchNorm2d, Conv2d, type PaddingArg } from '../src/index.js';
import { spatialMax, spatialMean } from '../src/layers/pool.js';
import { sliceTensor, splitTensor, unstackTensor } from '../src/layers/slice.js';

beforeAll(async () => {
  await setBackend('wasm');
});

/** Deterministic pseudo-random integers (so every case is reproducible). */
function lcg(seed: number): () => number {
  let s = seed >>> 0;
  return () => {
    s = (Math.imul(s, 1664525) + 1013904223) >>> 0;
    return s / 2 ** 32;
  };
}

function same(got: tf.Tensor, want: tf.Tensor): void {
  expect(got.shape).toEqual(want.shape);
  expect(got.dtype).toBe(want.dtype);
  expect(Array.from(got.dataSync())).toEqual(Array.from(want.dataSync()));
}

describe('sliceTensor / splitTensor / unstackTensor on wasm', () => {
  it('equal tf.slice for random slices of rank 1 to 5 (float32 and int32), leaving no tensor behind', () => {
    const rand = lcg(3);
    for (let t = 0; t < 200; t++) {
      const rank = 1 + Math.floor(rand() * 5);
      const shape = Array.from({ length: rank }, () => 1 + Math.floor(rand() * 6));
      const dtype = t % 3 === 0 ? 'int32' : 'float32';
      const n = shape.reduce((p, s) => p * s, 1);
      const x = tf.tensor(Array.from({ length: n }, (_, i) => i * 7 - 50), shape, dtype);
      const begin = shape.map((d) => Math.floor(rand() * d));
      // Some sizes -1 (to the end), some 0, the rest anything that fits.
      const size = shape.map((d, i) => {
        const r = rand();
        return r < 0.2 ? -1 : r < 0.25 ? 0 : Math.floor(rand() * (d - begin[i]! + 1));
      });
      const before = tf.memory().numTensors;
      const got = tf.tidy(() => sliceTensor(x, begin, size));
      expect(tf.memory().numTensors).toBe(before + 1);
      const want = tf.slice(x, begin, size);
      same(got, want);
      tf.dispose([x, got, want]);
    }
  });

  it('take a begin or size shorter than the rank as tf.slice does (missing axes from 0, to the end)', () => {
    tf.tidy(() => {
      const x = tf.reshape(tf.range(0, 60), [3, 4, 5]);
      same(sliceTensor(x, [1]), tf.slice(x, [1]));
      same(sliceTensor(x, 1, 1), tf.slice(x, 1, 1));
      same(sliceTensor(x, [0, 2], [2, -1]), tf.slice(x, [0, 2], [2, -1]));
    });
  });

  it('split and unstack as tf.split / tf.unstack do, along every axis, sizes with -1 included', () => {
    const x = tf.randomUniform([4, 6, 9, 3], -1, 1, 'float32', 5);
    for (let axis = -1; axis < 4; axis++) {
      const dim = x.shape[axis < 0 ? axis + 4 : axis]!;
      const parts = dim % 3 === 0 ? 3 : dim;
      const got = splitTensor(x, parts, axis);
      const want = tf.split(x, parts, axis);
      expect(got.length).toBe(want.length);
      for (let i = 0; i < got.length; i++) same(got[i]!, want[i]!);
      const gu = unstackTensor(x, axis);
      const wu = tf.unstack(x, axis);
      for (let i = 0; i < gu.length; i++) same(gu[i]!, wu[i]!);
      tf.dispose([...got, ...want, ...gu, ...wu]);
    }
    const got = splitTensor(x, [2, -1, 4], 2);
    const want = tf.split(x, [2, -1, 4], 2);
    for (let i = 0; i < got.length; i++) same(got[i]!, want[i]!);
    tf.dispose([x, ...got, ...want]);
  });

  it('name the problem for slices outside the tensor and sizes that do not add up', () => {
    const x = tf.zeros([2, 3]);
    expect(() => sliceTensor(x, [1, 2], [2, 1])).toThrow(/outside shape \[2,3\]/);
    expect(() => splitTensor(x, 2, 1)).toThrow(/does not divide into 2 parts/);
    expect(() => splitTensor(x, [1, 1], 1)).toThrow(/do not add up/);
    x.dispose();
  });

  it('copy only the slices: many head slices of a big tensor allocate no JS buffers (tf.slice copies the input each time)', () => {
    const x = tf.randomUniform([3, 6, 197, 64], -1, 1, 'float32', 9);
    const measure = (f: () => tf.Tensor[]) => {
      const before = process.memoryUsage().arrayBuffers;
      const outs = f();
      const grown = process.memoryUsage().arrayBuffers - before;
      tf.dispose(outs);
      return grown;
    };
    const slices = () => Array.from({ length: 18 }, (_, i) => [Math.floor(i / 6), i % 6]);
    const ours = measure(() => slices().map(([a, h]) => sliceTensor(x, [a!, h!, 0, 0], [1, 1, 197, 64])));
    const theirs = measure(() => slices().map(([a, h]) => tf.slice(x, [a!, h!, 0, 0], [1, 1, 197, 64])));
    const inputBytes = x.size * 4;
    // tf.slice on wasm copies the whole input out of the heap once per slice; ours never leaves the heap.
    expect(theirs).toBeGreaterThan(4 * inputBytes);
    expect(ours).toBeLessThan(inputBytes / 8);
    x.dispose();
  });
});

describe('spatialMean / spatialMax on wasm', () => {
  it('equal tf.mean / tf.max over H and W (keepDims or not), from 1×1 maps to 112×112, leaving no tensor behind', () => {
    for (const [n, h, w, c] of [[1, 112, 112, 96], [2, 7, 7, 1152], [1, 1, 1, 8], [3, 5, 9, 4], [1, 1, 6, 3]] as const) {
      const x = tf.randomUniform([n, h, w, c], -3, 3, 'float32', h + c);
      for (const keepDims of [true, false]) {
        const before = tf.memory().numTensors;
        const [mean, max] = tf.tidy(() => [spatialMean(x, keepDims), spatialMax(x, keepDims)]);
        expect(tf.memory().numTensors).toBe(before + 2);
        const wantMean = tf.mean(x, [1, 2], keepDims);
        const wantMax = tf.max(x, [1, 2], keepDims);
        expect(mean!.shape).toEqual(wantMean.shape);
        expect(max!.shape).toEqual(wantMax.shape);
        // Summation order differs (XNNPACK's pooling vs a plain loop): float32 rounding only.
        expect(tf.max(tf.abs(tf.sub(mean!, wantMean))).dataSync()[0]).toBeLessThan(1e-6);
        same(max!, wantMax);
        tf.dispose([mean!, max!, wantMean, wantMax]);
      }
      x.dispose();
    }
  });
});

describe('depthwise convs tfjs-wasm has no fast kernel for (run as 3×3 pieces)', () => {
  const cases: [string, number, number | [number, number], number, PaddingArg, number][] = [
    // name, channels, kernel, stride, padding, channel multiplier
    ['ConvNeXt 7×7', 16, 7, 1, '', 1],
    ['7×7 stride 2, TF SAME on an odd map', 8, 7, 2, 'same', 1],
    ['9×9 (MixNet), multiplier 2', 6, 9, 1, '', 2],
    ['4×4 stride 2, explicit padding 1', 8, 4, 2, 1, 1],
    ['3×5 valid', 5, [3, 5], 1, 'valid', 1],
  ];
  for (const [name, c, k, stride, padding, mult] of cases) {
    it(`${name}: what tf.depthwiseConv2d gives, with bias and activation, BN folded too`, () => {
      const conv = new Conv2d(c, c * mult, k, { groups: c, stride, padding, bias: true });
      const bn = new BatchNorm2d(c * mult);
      const sd = conv.stateDict();
      conv.loadStateDict({ weight: { ...sd.weight!, data: Float32Array.from(sd.weight!.data as Float32Array, (_, i) => Math.sin(i)) }, bias: { ...sd.bias!, data: Float32Array.from({ length: c * mult }, (_, i) => i / 10) } });
      const x = tf.randomUniform([2, 13, 11, c], -1, 1, 'float32', c) as tf.Tensor4D;
      const [kh, kw] = typeof k === 'number' ? [k, k] : k;
      const filter = conv.weight.value as tf.Tensor4D;
      const pad = (conv as unknown as { pad: never }).pad; // as the conv resolved it (explicit for non-square kernels)
      const want = tf.tidy(() => tf.relu(tf.add(tf.depthwiseConv2d(x, filter, stride, pad), conv.bias!.value)));
      const before = tf.memory().numTensors;
      const got = tf.tidy(() => conv.forwardAct(x, 'relu'));
      expect(got.shape).toEqual(want.shape);
      expect(got.shape[1]).toBeGreaterThan(0);
      expect(tf.max(tf.abs(tf.sub(got, want))).dataSync()[0]).toBeLessThan(1e-5 * kh * kw);
      const folded = tf.tidy(() => conv.forwardBn(x, bn, 'identity'));
      const wantBn = tf.tidy(() => bn.forward(tf.add(tf.depthwiseConv2d(x, filter, stride, pad), conv.bias!.value)));
      expect(tf.max(tf.abs(tf.sub(folded, wantBn))).dataSync()[0]).toBeLessThan(1e-5 * kh * kw);
      // The pieces are kept once per load; a forward leaves only its output behind.
      const kept = tf.memory().numTensors;
      tf.dispose(tf.tidy(() => conv.forwardAct(x, 'relu')));
      expect(tf.memory().numTensors).toBe(kept);
      expect(kept).toBeGreaterThan(before);
      tf.dispose([x, want, got, folded, wantBn]);
      conv.dispose();
      bn.dispose();
    });
  }
});

describe('Conv2d with a non-square kernel and numeric padding', () => {
  // tfjs 4.x sizes the output width of a numerically padded conv from the kernel height: the conv must pass explicit pads.
  for (const [padding, want] of [['valid', [11, 7]], [1, [13, 9]], ['', [13, 11]]] as const) {
    it(`padding ${JSON.stringify(padding)} on a 13×11 map with a 3×5 kernel gives ${want.join('×')}, as PyTorch does`, () => {
      const conv = new Conv2d(3, 4, [3, 5], { padding });
      const x = tf.randomUniform([1, 13, 11, 3], -1, 1, 'float32', 4) as tf.Tensor4D;
      const y = conv.forward(x);
      expect(y.shape).toEqual([1, want[0], want[1], 4]);
      const [ph, pw] = padding === 'valid' ? [0, 0] : padding === '' ? [1, 2] : [1, 1];
      const ref = tf.conv2d(x, conv.weight.value as tf.Tensor4D, 1, [[0, 0], [ph, ph], [pw, pw], [0, 0]]);
      expect(tf.max(tf.abs(tf.sub(y, ref))).dataSync()[0]).toBeLessThan(1e-5);
      tf.dispose([x, y, ref]);
      conv.dispose();
    });
  }
});
