import * as tf from '@tensorflow/tfjs-core';
import { Module } from '../module.js';
import { Linear } from './linear.js';
import { softmaxAttention } from './matmul.js';
import { splitTensor } from './slice.js';

export interface MaskUnitAttentionOptions {
  /** Pool q (max) over this many leading chunks of each mask unit's tokens, flattened (2×2 → 4); 1 for none. */
  qStride?: number;
  /** Tokens of one mask unit after the pooling (flattened; timm's `window_size`, informative here). */
  windowSize?: number;
  /** Attention within each mask unit; global attention over all tokens when false. */
  useMaskUnitAttn?: boolean;
}

/**
 * `[B, M * T, C]` tokens, mask-unit-major, max-pooled over `s` where each unit's token `t = s * (T / stride) + t'`
 * (timm's Hiera q-pool and the residual pool at width changes): `[B, M * T / stride, C]`. Mean with `mean`.
 */
export function poolMaskUnitTokens(x: tf.Tensor, numUnits: number, stride: number, mean = false): tf.Tensor {
  if (stride === 1) return x;
  const [B, N, C] = x.shape as [number, number, number];
  if (N % (numUnits * stride) !== 0) throw new Error(`poolMaskUnitTokens: ${N} tokens do not split into ${numUnits} mask units pooled by ${stride}`);
  const chunks = tf.reshape(x, [B, numUnits, stride, N / (numUnits * stride), C]);
  return tf.reshape(mean ? tf.mean(chunks, 2) : tf.max(chunks, 2), [B, N / stride, C]);
}

/**
 * timm's Hiera `MaskUnitAttention`, on tokens held mask-unit-major: `[B, M * T, dim]` with unit `w`'s tokens at
 * `w * T + t` (timm holds the same tokens as `t * M + w`; the model converts once, at the unroll, so that no block
 * needs more than a 4-D transpose). q is max-pooled by `qStride` within each unit; with mask-unit attention each
 * unit attends within itself, else all tokens attend globally. Out: `[B, M * T / qStride, dimOut]`, mask-unit-major.
 * Keys: qkv, proj.
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

  /** `x`: `[B, numUnits * T, dim]`, mask-unit-major. */
  override forward(x: tf.Tensor, numUnits = 1): tf.Tensor {
    const [B, N] = x.shape as [number, number, number];
    const H = this.heads;
    const D = this.headDim;
    const S = this.qStride;
    if (!Number.isInteger(numUnits) || numUnits < 1 || N % (numUnits * S) !== 0) {
      throw new Error(`MaskUnitAttention: ${N} tokens do not split into ${numUnits} mask units pooled by ${S}`);
    }
    const G = this.useMaskUnitAttn ? numUnits : 1;
    const [q, k, v] = splitTensor(this.qkv.forward(x), 3, 2) as [tf.Tensor, tf.Tensor, tf.Tensor];
    const qp = poolMaskUnitTokens(q, numUnits, S);
    // [B, G * L, H * D] → [B * G * H, L, D]
    const heads = (t: tf.Tensor) => {
      const L = t.shape[1]! / G;
      return (H === 1 ? tf.reshape(t, [B * G, L, D]) : tf.reshape(tf.transpose(tf.reshape(t, [B * G, L, H, D]), [0, 2, 1, 3]), [B * G * H, L, D])) as tf.Tensor3D;
    };
    const o = softmaxAttention(heads(tf.mul(qp, this.scale)), heads(k), heads(v));
    const Lq = o.shape[1];
    const y = H === 1 ? o : tf.transpose(tf.reshape(o, [B * G, H, Lq, D]), [0, 2, 1, 3]);
    return this.proj.forward(tf.reshape(y, [B, G * Lq, this.dimOut]));
  }
}
