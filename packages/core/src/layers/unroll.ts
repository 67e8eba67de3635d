import * as tf from '@tensorflow/tfjs-core';
import type { Pair } from './helpers.js';

/**
 * Token orders of timm's Hiera `Unroll` / `Reroll` as index tables. Both are fixed permutations of the tokens of one
 * image (the batch axis stays outermost), so each is computed once in JS and applied with one `tf.gather`.
 */

/** `src` (C order over `shape`) transposed by `perm`, as a new flat array. */
function transposeIndex(src: Int32Array, shape: readonly number[], perm: readonly number[]): Int32Array {
  const rank = shape.length;
  const strides = new Array<number>(rank);
  let s = 1;
  for (let d = rank - 1; d >= 0; d--) {
    strides[d] = s;
    s *= shape[d]!;
  }
  const outShape = perm.map((p) => shape[p]!);
  const outStrides = perm.map((p) => strides[p]!);
  const out = new Int32Array(src.length);
  const pos = new Array<number>(rank).fill(0);
  for (let o = 0; o < src.length; o++) {
    let at = 0;
    for (let d = 0; d < rank; d++) at += pos[d]! * outStrides[d]!;
    out[o] = src[at]!;
    for (let d = rank - 1; d >= 0; d--) {
      if (++pos[d]! < outShape[d]!) break;
      pos[d] = 0;
    }
  }
  return out;
}

function checkSchedule(who: string, size: Pair, schedule: readonly Pair[]): void {
  let [h, w] = size;
  for (const [sy, sx] of schedule) {
    if (h % sy || w % sx) throw new Error(`${who}: a ${size[0]}x${size[1]} token grid does not divide by the strides ${JSON.stringify(schedule)}`);
    h /= sy;
    w /= sx;
  }
}

/**
 * timm's Hiera `Unroll` as a table: `out[n] = in[table[n]]` over the `size[0] * size[1]` raster-order tokens, after
 * which each stride of `schedule` moved to the front (`[Sy, Sx, H/Sy, W/Sx]`, applied in turn), so that a q-pool is
 * a max over the leading `Sy*Sx` chunks and mask units lie contiguous.
 */
export function unrollIndex(size: Pair, schedule: readonly Pair[]): Int32Array {
  checkSchedule('unrollIndex', size, schedule);
  let idx: Int32Array = Int32Array.from({ length: size[0] * size[1] }, (_, i) => i);
  let [h, w] = size;
  let b = 1;
  for (const [sy, sx] of schedule) {
    h /= sy;
    w /= sx;
    // [B, H/Sy, Sy, W/Sx, Sx] → [B, Sy, Sx, H/Sy, W/Sx], then Sy, Sx join the batch
    idx = transposeIndex(idx, [b, h, sy, w, sx], [0, 2, 4, 1, 3]);
    b *= sy * sx;
  }
  return idx;
}

/**
 * timm's Hiera `Reroll` (unmasked) as a table: tokens unrolled by `schedule` (the strides still in effect at that
 * block) over a `size` grid back to raster order, `out[n] = in[table[n]]`.
 */
export function rerollIndex(size: Pair, schedule: readonly Pair[]): Int32Array {
  checkSchedule('rerollIndex', size, schedule);
  let n = size[0] * size[1];
  let idx: Int32Array = Int32Array.from({ length: n }, (_, i) => i);
  const mu: Pair = [1, 1];
  for (const [sy, sx] of schedule) {
    n /= sy * sx;
    // [Sy, Sx, N', MUy, MUx] → [N', Sy, MUy, Sx, MUx]: the stride joins the current mask unit
    idx = transposeIndex(idx, [sy, sx, n, mu[0], mu[1]], [2, 0, 3, 1, 4]);
    mu[0] *= sy;
    mu[1] *= sx;
  }
  // undo the windowing: [#MUy, #MUx, MUy, MUx] → [#MUy, MUy, #MUx, MUx]
  return transposeIndex(idx, [size[0] / mu[0], size[1] / mu[1], mu[0], mu[1]], [0, 2, 1, 3]);
}

/** Tokens `[B, N, C]` reordered by an index table (`out[:, n] = x[:, table[n]]`). Call inside a `tf.tidy`. */
export function gatherTokens(x: tf.Tensor, table: Int32Array): tf.Tensor {
  if (x.shape[1] !== table.length) throw new Error(`gatherTokens: ${x.shape[1]} tokens, the table orders ${table.length}`);
  return tf.gather(x, tf.tensor1d(table, 'int32'), 1);
}
