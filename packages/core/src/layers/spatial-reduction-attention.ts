import * as tf from '@tensorflow/tfjs-core';
import { Module } from '../module.js';
import { applyAct } from './activations.js';
import { adaptiveAvgPool2d } from './adaptive-pool.js';
import { Conv2d } from './conv.js';
import { Linear } from './linear.js';
import { softmaxAttention } from './matmul.js';
import { LayerNorm } from './norm.js';
import { unstackTensor } from './slice.js';

export interface SpatialReductionAttentionOptions {
  numHeads?: number;
  /** Keys/values come from the map shrunk by an `srRatio`×`srRatio` stride-`srRatio` conv + LayerNorm (1: no reduction). */
  srRatio?: number;
  /** PVT-v2's linear variant: keys/values from the map pooled to 7×7, a 1×1 conv, LayerNorm and GELU. */
  linearAttn?: boolean;
  qkvBias?: boolean;
  /** Side of the linear variant's pooled map (timm: 7). */
  poolSize?: number;
}

/**
 * PVT-v2's spatial-reduction attention (timm's `pvt_v2.Attention`): queries from every token of the NHWC map, keys and
 * values from a reduced map, multi-head softmax attention, output projection. Keys: q, kv, proj, and sr, norm where
 * there is a reduction (the norm is nn.LayerNorm, eps 1e-5).
 */
export class SpatialReductionAttention extends Module {
  readonly numHeads: number;
  readonly headDim: number;
  readonly scale: number;
  readonly q: Linear;
  readonly kv: Linear;
  readonly proj: Linear;
  readonly sr: Conv2d | null;
  readonly norm: LayerNorm | null;
  readonly poolSize: number | null;
  constructor(readonly dim: number, options: SpatialReductionAttentionOptions = {}) {
    super();
    this.numHeads = options.numHeads ?? 8;
    if (dim % this.numHeads !== 0) throw new Error(`SpatialReductionAttention: dim ${dim} is not divisible by numHeads ${this.numHeads}`);
    this.headDim = dim / this.numHeads;
    this.scale = this.headDim ** -0.5;
    const bias = options.qkvBias ?? true;
    this.q = this.addModule('q', new Linear(dim, dim, { bias }));
    this.kv = this.addModule('kv', new Linear(dim, dim * 2, { bias }));
    this.proj = this.addModule('proj', new Linear(dim, dim));
    const sr = options.srRatio ?? 1;
    if (options.linearAttn) {
      this.poolSize = options.poolSize ?? 7;
      this.sr = this.addModule('sr', new Conv2d(dim, dim, 1, { bias: true }));
    } else {
      this.poolSize = null;
      this.sr = sr > 1 ? this.addModule('sr', new Conv2d(dim, dim, sr, { stride: sr, padding: 0, bias: true })) : null;
    }
    this.norm = this.sr ? this.addModule('norm', new LayerNorm(dim)) : null;
  }

  /** `x`: an NHWC map `[B, H, W, C]`; returns the same shape. */
  override forward(x: tf.Tensor): tf.Tensor {
    if (x.rank !== 4) throw new Error(`SpatialReductionAttention takes an NHWC map [B, H, W, C], got shape [${x.shape.join(', ')}]`);
    const [B, Hh, Ww, C] = x.shape as [number, number, number, number];
    const H = this.numHeads;
    const D = this.headDim;
    const N = Hh * Ww;
    // Queries [B, N, H, D] → [B·H, N, D], scaled up front.
    const q = tf.reshape(tf.transpose(tf.reshape(this.q.forward(x), [B, N, H, D]), [0, 2, 1, 3]), [B * H, N, D]);
    let src: tf.Tensor = x;
    if (this.sr) {
      if (this.poolSize !== null) src = adaptiveAvgPool2d(src as tf.Tensor4D, this.poolSize);
      src = this.norm!.forward(this.sr.forward(src));
      if (this.poolSize !== null) src = applyAct('gelu', src);
    }
    const M = src.shape[1]! * src.shape[2]!;
    // [B, M, 2, H, D] → [2, B, H, M, D]
    const kv = tf.transpose(tf.reshape(this.kv.forward(src), [B, M, 2, H, D]), [2, 0, 3, 1, 4]);
    const [k, v] = unstackTensor(kv, 0).map((t) => tf.reshape(t, [B * H, M, D])) as [tf.Tensor3D, tf.Tensor3D];
    const o = softmaxAttention(tf.mul(q, this.scale) as tf.Tensor3D, k, v); // [B·H, N, D]
    const y = tf.reshape(tf.transpose(tf.reshape(o, [B, H, N, D]), [0, 2, 1, 3]), [B, Hh, Ww, C]);
    return this.proj.forward(y);
  }
}
