import * as tf from '@tensorflow/tfjs-core';
import type { Pair } from './helpers.js';

/**
 * timm's `grid_partition` (MaxViT's dilated "grid" attention): `[B, H, W, C]` → `[B·(H/gh)·(W/gw), gh, gw, C]`, each
 * window holding the pixels `H/gh` rows and `W/gw` columns apart, windows in timm's order. Rank-4 transposes only.
 */
export function gridPartition(x: tf.Tensor, gridSize: Pair): tf.Tensor4D {
  const [B, H, W, C] = x.shape as [number, number, number, number];
  const [gh, gw] = gridSize;
  if (H % gh || W % gw) throw new Error(`gridPartition: a ${H}x${W} map is not divisible by the ${gh}x${gw} grid`);
  const [hp, wp] = [H / gh, W / gw];
  // (B, a, p, b, q, C) with row a·hp + p, column b·wp + q → (B, a, p, q, b, C) → (B, p·q, a, b·C).
  const t = tf.transpose(tf.reshape(x, [B * gh * hp, gw, wp, C]), [0, 2, 1, 3]);
  const w = tf.transpose(tf.reshape(t, [B, gh, hp * wp, gw * C]), [0, 2, 1, 3]);
  return tf.reshape(w, [-1, gh, gw, C]);
}

/** timm's `grid_reverse`: grid windows `[B·nW, gh, gw, C]` back to the `[B, H, W, C]` map {@link gridPartition} cut. */
export function gridReverse(windows: tf.Tensor, gridSize: Pair, H: number, W: number): tf.Tensor4D {
  const [gh, gw] = gridSize;
  const C = windows.shape[windows.rank - 1]!;
  const [hp, wp] = [H / gh, W / gw];
  const t = tf.transpose(tf.reshape(windows, [-1, hp * wp, gh, gw * C]), [0, 2, 1, 3]);
  const m = tf.transpose(tf.reshape(t, [-1, wp, gw, C]), [0, 2, 1, 3]);
  return tf.reshape(m, [-1, H, W, C]);
}
