import * as tf from '@tensorflow/tfjs-core';
import { beforeAll, describe, expect, it } from 'vitest';
import { setBackend } from '../src/backend.js';
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
