import * as tf from '@tensorflow/tfjs-core';
import { wasmFastPaths } from './portable.js';
import { unstackTensor } from './slice.js';

/** Multiply-adds per matrix from which a batch runs faster on tfjs-wasm as separate 2-D products (measured). */
const SPLIT_MIN_MACS = 1 << 17;

/**
 * `a @ b` (or `a @ bᵀ`) for each of the leading axis' matrices, as fast as the backend runs it. tfjs-wasm multiplies a
 * batch of matrices with a plain loop but a single matrix with XNNPACK (threaded, ≈ 10× the FLOP/s): there, a batch
 * of matrices big enough to pay for one call each (attention maps: heads × tokens × head_dim) is split into 2-D
 * products, with `b` transposed once up front (XNNPACK's transposed-operand path is the slower one). Elsewhere (and
 * for small matrices) it is `tf.matMul`. Call inside a `tf.tidy`.
 */
export function batchMatMul(a: tf.Tensor3D, b: tf.Tensor3D, transposeB = false): tf.Tensor3D {
  const [n, m, k] = a.shape;
  const cols = transposeB ? b.shape[1] : b.shape[2];
  if (n === 1 || b.shape[0] !== n || m * k * cols < SPLIT_MIN_MACS || !wasmFastPaths()) return tf.matMul(a, b, false, transposeB);
  const bs = unstackTensor(transposeB ? tf.transpose(b, [0, 2, 1]) : b) as tf.Tensor2D[];
  const as = unstackTensor(a) as tf.Tensor2D[];
  return tf.stack(as.map((ai, i) => tf.matMul(ai, bs[i]!))) as tf.Tensor3D;
}

/**
 * Softmax attention per leading-axis slice: `softmax(q kᵀ) v` for `q` `[n, Lq, d]` (already scaled), `k` `[n, Lk, d]`,
 * `v` `[n, Lk, dv]` → `[n, Lq, dv]`. On tfjs-wasm, where the maps are big enough, each slice runs as its own 2-D
 * products (XNNPACK) with its softmax in between, and only the outputs are stacked, so no `[n, Lq, Lk]` map is
 * stacked and split again; elsewhere it is two batched matmuls. Call inside a `tf.tidy`.
 */
export function softmaxAttention(q: tf.Tensor3D, k: tf.Tensor3D, v: tf.Tensor3D): tf.Tensor3D {
  const [n, lq, d] = q.shape;
  const lk = k.shape[1];
  if (n === 1 || lq * d * lk < SPLIT_MIN_MACS || !wasmFastPaths()) {
    return batchMatMul(tf.softmax(batchMatMul(q, k, true), -1) as tf.Tensor3D, v);
  }
  const qs = unstackTensor(q) as tf.Tensor2D[];
  const kts = unstackTensor(tf.transpose(k, [0, 2, 1])) as tf.Tensor2D[];
  const vs = unstackTensor(v) as tf.Tensor2D[];
  return tf.stack(qs.map((qi, i) => tf.matMul(tf.softmax(tf.matMul(qi, kts[i]!)) as tf.Tensor2D, vs[i]!))) as tf.Tensor3D;
}
