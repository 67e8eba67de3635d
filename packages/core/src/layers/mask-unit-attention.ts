import * as tf from '@tensorflow/tfjs-core';
import { Module } from '../module.js';
import { Linear } from './linear.js';
import { softmaxAttention } from './matmul.js';
import { unstackTensor } from './slice.js';

export interface MaskUnitAttentionOptions {
  /** Pool q (max) over this many leading token chunks, flattened (2×2 → 4); 1 for none. */
  qStride?: number;
  /** Tokens of one mask unit after the pooling (flattened). */
  windowSize?: number;
  /** Attention within each mask unit; global attention over all tokens when false. */
  useMaskUnitAttn?: boolean;
}

/**
 * timm's Hiera `MaskUnitAttention` over unrolled tokens `[B, N, dim]` → `[B, N / qStride, dimOut]`: with mask-unit
 * attention the windows are the fastest-varying token index (`n = t * numWindows + w`), q is max-pooled over the
 * `qStride` leading chunks of each window's tokens, and each window attends within itself. Keys: qkv, proj.
 */
export class MaskUnitAttention extends Module {
  readonly headDim: number;
  readonly scale: number;
  readonly qStride: number;
  readonly windowSize: number;
  readonly useMaskUnitAttn: boolean;
  readonly qkv: Linear;
  readonly proj: Linear;
  constructor(readonly dim: number, readonly dimOut: number, readonly heads: number, options: MaskUnitAttentionOptions = {}) {
    super();
    if (!Number.isInteger(heads) || heads < 1 || dimOut % heads !== 0) {
      throw new Error(`MaskUnitAttention: dimOut ${dimOut} is not divisible by heads ${heads}`);
    }
    this.headDim = dimOut / heads;
    this.scale = this.headDim ** -0.5;
    this.qStride = options.qStride ?? 1;
    this.windowSize = options.windowSize ?? 0;
    this.useMaskUnitAttn = options.useMaskUnitAttn ?? false;
    this.qkv = this.addModule('qkv', new Linear(dim, 3 * dimOut));
    this.proj = this.addModule('proj', new Linear(dimOut, dimOut));
  }

  override forward(x: tf.Tensor): tf.Tensor {
    const [B, N] = x.shape as [number, number, number];
    const H = this.heads;
    const D = this.headDim;
    const S = this.qStride;
    // Global attention is the windowed computation with one window.
    const W = this.useMaskUnitAttn ? Math.floor(N / (S * this.windowSize)) : 1;
    if (W < 1 || N % (W * S) !== 0) {
      throw new Error(`MaskUnitAttention: ${N} tokens do not split into ${W} mask units pooled by ${S}`);
    }
    const T = N / W;
    // [B, T, W, 3, H, D] → [3, B, H, W, T, D]
    const qkv = tf.transpose(tf.reshape(this.qkv.forward(x), [B, T, W, 3, H, D]), [3, 0, 4, 2, 1, 5]);
    const [q, k, v] = unstackTensor(qkv, 0).map((t) => tf.reshape(t, [B * H * W, T, D])) as [tf.Tensor, tf.Tensor, tf.Tensor];
    const Tq = T / S;
    const qp = S > 1 ? tf.max(tf.reshape(q, [B * H * W, S, Tq, D]), 1) : q;
    const o = softmaxAttention(tf.mul(qp, this.scale) as tf.Tensor3D, k as tf.Tensor3D, v as tf.Tensor3D);
    // [B, H, W, Tq, D] → [B, Tq, W, H, D] → [B, Tq * W, H * D]
    const y = tf.reshape(tf.transpose(tf.reshape(o, [B, H, W, Tq, D]), [0, 3, 2, 1, 4]), [B, Tq * W, this.dimOut]);
    return this.proj.forward(y);
  }
}
