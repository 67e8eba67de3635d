import * as tf from '@tensorflow/tfjs-core';
import { Module } from '../module.js';
import { Linear } from './linear.js';
import { softmaxAttention } from './matmul.js';
import type { NormFactory } from './mlp.js';
import { LayerNorm } from './norm.js';
import { unstackTensor } from './slice.js';

export interface AttentionOptions {
  numHeads?: number;
  qkvBias?: boolean;
  projBias?: boolean;
  /** LayerNorm over each head's q and k (timm's `qk_norm`). */
  qkNorm?: boolean;
  /** LayerNorm before the output projection (timm's `scale_norm`). */
  scaleNorm?: boolean;
  /** The norm for the above (timm's `norm_layer`); default LayerNorm eps 1e-6. */
  normLayer?: NormFactory;
}

/**
 * timm's `Attention` (multi-head self-attention over tokens `[B, N, C]`), all heads in one batched matmul.
 * Keys: qkv, q_norm, k_norm, norm, proj.
 */
export class Attention extends Module {
  readonly numHeads: number;
  readonly headDim: number;
  readonly scale: number;
  readonly qkv: Linear;
  readonly qNorm: Module | null;
  readonly kNorm: Module | null;
  readonly norm: Module | null;
  readonly proj: Linear;
  constructor(readonly dim: number, options: AttentionOptions = {}) {
    super();
    this.numHeads = options.numHeads ?? 8;
    if (dim % this.numHeads !== 0) throw new Error(`Attention: dim ${dim} is not divisible by numHeads ${this.numHeads}`);
    this.headDim = dim / this.numHeads;
    this.scale = this.headDim ** -0.5;
    const mk = options.normLayer ?? ((d: number) => new LayerNorm(d, { eps: 1e-6 }));
    this.qkv = this.addModule('qkv', new Linear(dim, dim * 3, { bias: options.qkvBias ?? false }));
    this.qNorm = options.qkNorm ? this.addModule('q_norm', mk(this.headDim)) : null;
    this.kNorm = options.qkNorm ? this.addModule('k_norm', mk(this.headDim)) : null;
    this.norm = options.scaleNorm ? this.addModule('norm', mk(dim)) : null;
    this.proj = this.addModule('proj', new Linear(dim, dim, { bias: options.projBias ?? true }));
  }

  override forward(x: tf.Tensor): tf.Tensor {
    const [B, N, C] = x.shape as [number, number, number];
    const H = this.numHeads;
    const D = this.headDim;
    // [B, N, 3, H, D] → [3, B, H, N, D]
    const qkv = tf.transpose(tf.reshape(this.qkv.forward(x), [B, N, 3, H, D]), [2, 0, 3, 1, 4]);
    let [q, k, v] = unstackTensor(qkv, 0) as [tf.Tensor, tf.Tensor, tf.Tensor];
    if (this.qNorm) q = this.qNorm.forward(q);
    if (this.kNorm) k = this.kNorm.forward(k);
    const q3 = tf.reshape(tf.mul(q, this.scale), [B * H, N, D]) as tf.Tensor3D;
    const k3 = tf.reshape(k, [B * H, N, D]) as tf.Tensor3D;
    const v3 = tf.reshape(v, [B * H, N, D]) as tf.Tensor3D;
    const o = softmaxAttention(q3, k3, v3); // [B*H, N, D]
    let y = tf.reshape(tf.transpose(tf.reshape(o, [B, H, N, D]), [0, 2, 1, 3]), [B, N, C]);
    if (this.norm) y = this.norm.forward(y);
    return this.proj.forward(y);
  }
}
