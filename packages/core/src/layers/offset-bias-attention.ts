import * as tf from '@tensorflow/tfjs-core';
import { Module, type Param } from '../module.js';
import type { TensorData } from '../weights/types.js';
import type { Pair } from './helpers.js';
import { Linear } from './linear.js';
import { batchMatMul } from './matmul.js';
import { LayerNorm } from './norm.js';
import { resampleAbsPosEmbed } from './pos-embed.js';
import { splitTensor } from './slice.js';

/**
 * Attention biases looked up by position offset, as timm's TinyViT and EfficientFormer attentions (and LeViT's) hold
 * them: one learned scalar per head and per distinct offset `(|Δrow|, |Δcol|)` between a query and a key of an
 * `h × w` grid, stored as `attention_biases` `[heads, h·w]`.
 */

/**
 * The `[N, N]` (N = h·w) row-major table of which bias each (query, key) pair of an `h × w` grid reads: offsets are
 * numbered in the order timm first meets them, walking queries then keys in row-major order (so from the first
 * query every offset `(i, j)` gets `i·w + j`).
 */
export function offsetBiasIndex([h, w]: Pair): Int32Array {
  const n = h * w;
  const seen = new Map<number, number>();
  const out = new Int32Array(n * n);
  for (let a = 0; a < n; a++) {
    for (let b = 0; b < n; b++) {
      const key = Math.abs(Math.floor(a / w) - Math.floor(b / w)) * w + Math.abs((a % w) - (b % w));
      let id = seen.get(key);
      if (id === undefined) {
        id = seen.size;
        seen.set(key, id);
      }
      out[a * n + b] = id;
    }
  }
  return out;
}

/**
 * timm's `resize_rel_pos_bias_table_levit` on a `[heads, L]` table: each head's square `√L × √L` grid resized
 * to `√newLength` on a side (bicubic, antialiased, as timm's default), back to `[heads, newLength]`. The table is
 * returned as it is when its length already fits. Throws on a grid that is not square or a head-count mismatch.
 */
export function resizeOffsetBiasTable(table: TensorData, newShape: readonly number[]): TensorData {
  if (table.shape.length !== 2 || newShape.length !== 2) throw new Error(`resizeOffsetBiasTable: expected [heads, L] tables, got [${table.shape}] → [${newShape}]`);
  const [heads, len] = table.shape as [number, number];
  const [newHeads, newLen] = newShape as [number, number];
  if (heads !== newHeads) throw new Error(`resizeOffsetBiasTable: the table has ${heads} heads, the model ${newHeads}`);
  if (len === newLen) return table;
  const s1 = Math.trunc(Math.sqrt(len));
  const s2 = Math.trunc(Math.sqrt(newLen));
  if (s1 * s1 !== len || s2 * s2 !== newLen) throw new Error(`resizeOffsetBiasTable: ${len} → ${newLen} offsets are not square grids`);
  // As a one-image "position embedding" [1, L, heads] without prefix tokens: the same per-channel resample.
  const src = table.data as Float32Array;
  const tokens = new Float32Array(len * heads);
  for (let h = 0; h < heads; h++) for (let i = 0; i < len; i++) tokens[i * heads + h] = src[h * len + i]!;
  const resized = resampleAbsPosEmbed({ dtype: 'float32', shape: [1, len, heads], data: tokens }, [s2, s2], [s1, s1], 0);
  const r = resized.data as Float32Array;
  const out = new Float32Array(heads * newLen);
  for (let h = 0; h < heads; h++) for (let i = 0; i < newLen; i++) out[h * newLen + i] = r[i * heads + h]!;
  return { dtype: 'float32', shape: [heads, newLen], data: out };
}

export interface OffsetBiasAttentionOptions {
  numHeads?: number;
  /** Value width per head as a multiple of `keyDim` (timm's `attn_ratio`). */
  attnRatio?: number;
  /** The grid the biases are laid out for: inputs must hold exactly `h·w` tokens. */
  resolution?: Pair;
  /** A LayerNorm (eps 1e-5) over the input before `qkv` (TinyViT's); none by default (EfficientFormer's). */
  preNorm?: boolean;
}

/**
 * Multi-head attention over the `h·w` tokens of a grid with biases by offset (timm's TinyViT `Attention`, and
 * EfficientFormer's without the norm): q, k, v of widths keyDim, keyDim, attnRatio·keyDim per head from one `qkv`
 * linear (laid out per head), softmax(q·kᵀ·keyDim^-½ + bias)·v, then `proj`.
 * Keys: attention_biases, norm (with preNorm), qkv, proj.
 */
export class OffsetBiasAttention extends Module {
  readonly numHeads: number;
  readonly valDim: number;
  readonly resolution: Pair;
  readonly scale: number;
  readonly attentionBiases: Param;
  readonly norm: LayerNorm | null;
  readonly qkv: Linear;
  readonly proj: Linear;
  private readonly index: Int32Array;
  constructor(dim: number, readonly keyDim: number, options: OffsetBiasAttentionOptions = {}) {
    super();
    this.numHeads = options.numHeads ?? 8;
    this.valDim = Math.trunc((options.attnRatio ?? 4) * keyDim);
    this.resolution = options.resolution ?? [14, 14];
    this.scale = keyDim ** -0.5;
    const n = this.resolution[0] * this.resolution[1];
    this.index = offsetBiasIndex(this.resolution);
    this.attentionBiases = this.addParam('attention_biases', [this.numHeads, n], { init: { kind: 'zeros' } });
    this.norm = options.preNorm ? this.addModule('norm', new LayerNorm(dim)) : null;
    this.qkv = this.addModule('qkv', new Linear(dim, this.numHeads * (this.valDim + 2 * keyDim)));
    this.proj = this.addModule('proj', new Linear(this.numHeads * this.valDim, dim));
  }

  /** The bias of every head, query and key, `[heads, N, N]`: gathered once per change of the table. */
  private biases(): tf.Tensor {
    const n = this.resolution[0] * this.resolution[1];
    const [b] = this.derived('biases', [this.attentionBiases], () => [
      tf.reshape(tf.gather(this.attentionBiases.value, tf.tensor1d(this.index, 'int32'), 1), [this.numHeads, n, n]),
    ]);
    return b!;
  }

  /** Tokens `[B, N, dim]` (N = h·w of the resolution) → `[B, N, dim]`. */
  override forward(x: tf.Tensor): tf.Tensor {
    const [B, N] = x.shape as [number, number, number];
    const n = this.resolution[0] * this.resolution[1];
    if (N !== n) throw new Error(`OffsetBiasAttention: biases laid out for a ${this.resolution.join('×')} grid (${n} tokens), got ${N} tokens`);
    const H = this.numHeads;
    if (this.norm) x = this.norm.forward(x);
    const t = tf.transpose(tf.reshape(this.qkv.forward(x), [B, N, H, -1]), [0, 2, 1, 3]); // [B, H, N, parts]
    const [q, k, v] = splitTensor(t, [this.keyDim, this.keyDim, this.valDim], 3) as [tf.Tensor, tf.Tensor, tf.Tensor];
    // As 3-D batches of B·H matrices: on tfjs-wasm the big ones then run as XNNPACK products (batchMatMul).
    const q3 = tf.reshape(tf.mul(q, this.scale), [B * H, N, this.keyDim]) as tf.Tensor3D;
    const scores = tf.add(tf.reshape(batchMatMul(q3, tf.reshape(k, [B * H, N, this.keyDim]) as tf.Tensor3D, true), [B, H, N, N]), this.biases());
    const attn = tf.reshape(tf.softmax(scores, -1), [B * H, N, N]) as tf.Tensor3D;
    const o = tf.reshape(batchMatMul(attn, tf.reshape(v, [B * H, N, this.valDim]) as tf.Tensor3D), [B, H, N, this.valDim]);
    return this.proj.forward(tf.reshape(tf.transpose(o, [0, 2, 1, 3]), [B, N, H * this.valDim]));
  }
}
