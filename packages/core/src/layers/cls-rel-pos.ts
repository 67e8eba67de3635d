import * as tf from '@tensorflow/tfjs-core';
import { Module, type Param } from '../module.js';
import type { Pair } from './helpers.js';
import { batchMatMul } from './matmul.js';

/** Rows of a relative-position table over a `wh × ww` window plus BEiT's three class-token entries. */
export function numRelativeDistanceCls([wh, ww]: Pair): number {
  return (2 * wh - 1) * (2 * ww - 1) + 3;
}

/**
 * timm's `gen_relative_position_index` (beit.py, and timm.layers' with `class_token`): for the window's `wh·ww` tokens
 * (plus a leading class token unless `classToken` is false), the table row each (query, key) pair reads, row-major
 * `[N·N]`. Patch pairs read `(dy + wh − 1)·(2ww − 1) + (dx + ww − 1)`; with the class token (`N = A + 1`, `A = wh·ww`)
 * its row (query = cls) reads `T − 3`, its column (key = cls) `T − 2`, and cls→cls `T − 1`, `T` being
 * {@link numRelativeDistanceCls}.
 */
export function genRelativePositionIndex(windowSize: Pair, classToken = true): Int32Array {
  const [wh, ww] = windowSize;
  const area = wh * ww;
  const p = classToken ? 1 : 0;
  const n = area + p;
  const t = numRelativeDistanceCls(windowSize);
  const index = new Int32Array(n * n);
  for (let i = 0; i < area; i++) {
    const yi = Math.floor(i / ww);
    const xi = i % ww;
    for (let j = 0; j < area; j++) {
      const dy = yi - Math.floor(j / ww) + wh - 1;
      const dx = xi - (j % ww) + ww - 1;
      index[(i + p) * n + j + p] = dy * (2 * ww - 1) + dx;
    }
  }
  if (!classToken) return index;
  for (let j = 0; j < n; j++) index[j] = t - 3;
  for (let i = 0; i < n; i++) index[i * n] = t - 2;
  index[0] = t - 1;
  return index;
}

/**
 * The bias a relative-position table gives attention over a window plus class token (unless `classToken` is false):
 * `table[index]` as `[heads, N, N]`, for `table` `[T, heads]` (timm's `_get_rel_pos_bias` /
 * `RelativePositionBias.forward` / `RelPosBias.get_bias`). Call inside a `tf.tidy`.
 */
export function clsRelPosBias(table: tf.Tensor, windowSize: Pair, classToken = true): tf.Tensor3D {
  const n = windowSize[0] * windowSize[1] + (classToken ? 1 : 0);
  const rows = tf.gather(table, tf.tensor1d(genRelativePositionIndex(windowSize, classToken), 'int32')); // [n*n, heads]
  return tf.transpose(tf.reshape(rows, [n, n, table.shape[1]!]), [2, 0, 1]) as tf.Tensor3D;
}

/**
 * timm's beit `RelativePositionBias`: one table for every block (BEiT's `use_shared_rel_pos_bias`). Key:
 * relative_position_bias_table `[T, heads]`; `forward()` ignores its input and returns the `[heads, N, N]` bias.
 */
export class ClsRelativePositionBias extends Module {
  readonly relativePositionBiasTable: Param;
  constructor(readonly windowSize: Pair, readonly numHeads: number) {
    super();
    this.relativePositionBiasTable = this.addParam('relative_position_bias_table', [numRelativeDistanceCls(windowSize), numHeads]);
  }
  override forward(_x?: tf.Tensor): tf.Tensor {
    return clsRelPosBias(this.relativePositionBiasTable.value, this.windowSize);
  }
}

/**
 * `softmax(q kᵀ + bias) v` with `q` `[B·H, N, d]` (already scaled), `k`, `v` alike and `bias` broadcastable to
 * `[B, H, N, N]` (e.g. `[H, N, N]`): the attention of models with an additive position bias. Call inside a `tf.tidy`.
 */
export function biasedSoftmaxAttention(q: tf.Tensor3D, k: tf.Tensor3D, v: tf.Tensor3D, bias: tf.Tensor, numHeads: number): tf.Tensor3D {
  const [bh, n] = q.shape;
  const nk = k.shape[1];
  const scores = tf.reshape(batchMatMul(q, k, true), [bh / numHeads, numHeads, n, nk]);
  const attn = tf.reshape(tf.softmax(tf.add(scores, bias), -1), [bh, n, nk]) as tf.Tensor3D;
  return batchMatMul(attn, v);
}
