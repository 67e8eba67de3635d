import * as tf from '@tensorflow/tfjs-core';
import type { Pair } from './helpers.js';
import { sliceTensor } from './slice.js';

/** Bin `i` of PyTorch's adaptive pooling of `n` cells into `out` bins: cells [⌊i·n/out⌋, ⌈(i+1)·n/out⌉). */
function adaptiveBin(i: number, n: number, out: number): [start: number, length: number] {
  const start = Math.floor((i * n) / out);
  return [start, Math.ceil(((i + 1) * n) / out) - start];
}

/**
 * PyTorch's `adaptive_avg_pool2d` (nn.AdaptiveAvgPool2d) on an NHWC map to `outputSize` [H, W]. A size that divides the
 * map's is one plain average pool; otherwise each axis is pooled bin by bin (bins may overlap, as PyTorch's do).
 * Call inside a `tf.tidy`.
 */
export function adaptiveAvgPool2d(x: tf.Tensor4D, outputSize: number | Pair): tf.Tensor4D {
  const [oh, ow] = typeof outputSize === 'number' ? [outputSize, outputSize] : outputSize;
  const [, h, w] = x.shape;
  if (h === oh && w === ow) return x;
  if (h % oh === 0 && w % ow === 0) {
    const k: Pair = [h / oh, w / ow];
    return tf.avgPool(x, k, k, 'valid');
  }
  const pooled = (t: tf.Tensor4D, axis: 1 | 2, out: number): tf.Tensor4D => {
    const n = t.shape[axis];
    if (n === out) return t;
    const bins = Array.from({ length: out }, (_, i) => {
      const [start, length] = adaptiveBin(i, n, out);
      const begin = axis === 1 ? [0, start, 0, 0] : [0, 0, start, 0];
      const size = axis === 1 ? [-1, length, -1, -1] : [-1, -1, length, -1];
      return tf.mean(sliceTensor(t, begin, size), axis, true);
    });
    return tf.concat(bins, axis) as tf.Tensor4D;
  };
  return pooled(pooled(x, 1, oh), 2, ow);
}
