import * as tf from '@tensorflow/tfjs-core';
import { Module, type Param } from '../module.js';
import { Linear } from './linear.js';
import { batchMatMul } from './matmul.js';
import type { NormFactory } from './mlp.js';
import { RmsNorm } from './norm.js';
import { sliceTensor, splitTensor } from './slice.js';

export interface DiffAttentionOptions {
  numHeads?: number;
  qkvBias?: boolean;
  qkNorm?: boolean;
  scaleNorm?: boolean;
  projBias?: boolean;
  /** Norm for qk_norm / scale_norm (timm's `norm_layer`; default RmsNorm). */
  normLayer?: NormFactory;
  /** Block index: lambda_init = 0.8 - 0.6 exp(-0.3 depth). */
  depth?: number;
  /** Two scalar lambdas (lambda_a, lambda_b) instead of the paper's lambda_q/k vectors. */
  dualLambda?: boolean;
}

/**
 * timm's `DiffAttention` (Differential Transformer): two softmax maps from the two halves of each head's q/k,
 * `(softmax(q1 k1ᵀ) - λ softmax(q2 k2ᵀ)) v`, sub-normed (RmsNorm, eps 1e-5) and scaled by 1 - λ_init.
 * Keys: qkv, q_norm, k_norm, norm, proj, lambda_q1/k1/q2/k2 (or lambda_a/b), sub_norm.
 */
export class DiffAttention extends Module {
  readonly numHeads: number;
  readonly headDim: number;
  readonly lambdaInit: number;
  readonly qkv: Linear;
  readonly qNorm: Module | null;
  readonly kNorm: Module | null;
  readonly norm: Module | null;
  readonly proj: Linear;
  readonly subNorm: RmsNorm;
  private readonly lambdas: Param[];
  private readonly dual: boolean;
  constructor(readonly dim: number, options: DiffAttentionOptions = {}) {
    super();
    this.numHeads = options.numHeads ?? 8;
    if (dim % this.numHeads !== 0) throw new Error(`DiffAttention: dim ${dim} is not divisible by numHeads ${this.numHeads}`);
    this.headDim = Math.floor(dim / this.numHeads / 2);
    const mk = options.normLayer ?? ((d: number) => new RmsNorm(d));
    this.qkv = this.addModule('qkv', new Linear(dim, dim * 3, { bias: options.qkvBias ?? false }));
    this.qNorm = options.qkNorm ? this.addModule('q_norm', mk(this.headDim)) : null;
    this.kNorm = options.qkNorm ? this.addModule('k_norm', mk(this.headDim)) : null;
    this.norm = options.scaleNorm ? this.addModule('norm', mk(dim)) : null;
    this.proj = this.addModule('proj', new Linear(dim, dim, { bias: options.projBias ?? true }));
    this.dual = options.dualLambda ?? false;
    this.lambdas = this.dual
      ? ['lambda_a', 'lambda_b'].map((n) => this.addParam(n, [], { init: { kind: 'zeros' } }))
      : ['lambda_q1', 'lambda_k1', 'lambda_q2', 'lambda_k2'].map((n) => this.addParam(n, [this.headDim], { init: { kind: 'normal', std: 0.1 } }));
    this.subNorm = this.addModule('sub_norm', new RmsNorm(2 * this.headDim, { eps: 1e-5 }));
    this.lambdaInit = 0.8 - 0.6 * Math.exp(-0.3 * (options.depth ?? 0));
  }

  private lambdaFull(): tf.Tensor {
    const [a, b, c, d] = this.lambdas.map((p) => p.value);
    const l1 = this.dual ? tf.exp(a!) : tf.exp(tf.sum(tf.mul(a!, b!)));
    const l2 = this.dual ? tf.exp(b!) : tf.exp(tf.sum(tf.mul(c!, d!)));
    return tf.add(tf.sub(l1, l2), this.lambdaInit);
  }

  override forward(x: tf.Tensor): tf.Tensor {
    const [B, N, C] = x.shape as [number, number, number];
    const H = this.numHeads;
    const D = this.headDim;
    const [q0, k0, v0] = splitTensor(this.qkv.forward(x), 3, 2) as [tf.Tensor, tf.Tensor, tf.Tensor];
    let q = tf.transpose(tf.reshape(q0, [B, N, 2 * H, D]), [0, 2, 1, 3]); // [B, 2H, N, D]
    let k = tf.transpose(tf.reshape(k0, [B, N, 2 * H, D]), [0, 2, 1, 3]);
    const v = tf.reshape(tf.transpose(tf.reshape(v0, [B, N, H, 2 * D]), [0, 2, 1, 3]), [B * H, N, 2 * D]) as tf.Tensor3D;
    if (this.qNorm) q = this.qNorm.forward(q);
    if (this.kNorm) k = this.kNorm.forward(k);
    // head 2h + j of the 2H heads is half j of head h
    const q5 = tf.reshape(tf.mul(q, D ** -0.5), [B, H, 2, N, D]);
    const k5 = tf.reshape(k, [B, H, 2, N, D]);
    const half = (t: tf.Tensor, j: number) => tf.reshape(sliceTensor(t, [0, 0, j, 0, 0], [B, H, 1, N, D]), [B * H, N, D]) as tf.Tensor3D;
    const attn = (j: number) => batchMatMul(tf.softmax(batchMatMul(half(q5, j), half(k5, j), true), -1) as tf.Tensor3D, v);
    let y = tf.sub(attn(0), tf.mul(this.lambdaFull(), attn(1))); // [B*H, N, 2D]
    y = tf.mul(this.subNorm.forward(y), 1 - this.lambdaInit);
    y = tf.reshape(tf.transpose(tf.reshape(y, [B, H, N, 2 * D]), [0, 2, 1, 3]), [B, N, C]);
    if (this.norm) y = this.norm.forward(y);
    return this.proj.forward(y);
  }
}
