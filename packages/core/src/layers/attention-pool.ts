import * as tf from '@tensorflow/tfjs-core';
import { Module, type Param } from '../module.js';
import { Linear } from './linear.js';
import { softmaxAttention } from './matmul.js';
import { Mlp, type NormFactory } from './mlp.js';
import { LayerNorm } from './norm.js';
import { sliceTensor, unstackTensor } from './slice.js';

export interface AttentionPoolLatentOptions {
  numHeads?: number;
  mlpRatio?: number;
  qkvBias?: boolean;
  qkNorm?: boolean;
  latentLen?: number;
  /** 'token' (first latent), 'avg' (mean of latents) or '' (all latents). */
  poolType?: 'token' | 'avg' | '';
  /** timm's `norm_layer` (none when undefined: Identity). */
  normLayer?: NormFactory;
  actLayer?: string;
}

/**
 * timm's `AttentionPoolLatent` (the MAP head of SigLIP ViTs): learned latent queries attend over the tokens, then
 * proj and a residual MLP. Keys: latent, q, kv, q_norm, k_norm, proj, norm, mlp.
 */
export class AttentionPoolLatent extends Module {
  readonly numHeads: number;
  readonly headDim: number;
  readonly latentLen: number;
  readonly poolType: string;
  readonly latent: Param;
  readonly q: Linear;
  readonly kv: Linear;
  readonly qNorm: Module | null;
  readonly kNorm: Module | null;
  readonly proj: Linear;
  readonly norm: Module | null;
  readonly mlp: Mlp;
  constructor(readonly dim: number, options: AttentionPoolLatentOptions = {}) {
    super();
    this.numHeads = options.numHeads ?? 8;
    if (dim % this.numHeads !== 0) throw new Error(`AttentionPoolLatent: dim ${dim} is not divisible by numHeads ${this.numHeads}`);
    this.headDim = dim / this.numHeads;
    this.latentLen = options.latentLen ?? 1;
    this.poolType = options.poolType ?? 'token';
    const bias = options.qkvBias ?? true;
    this.latent = this.addParam('latent', [1, this.latentLen, dim], { init: { kind: 'truncnormal', std: dim ** -0.5 } });
    this.q = this.addModule('q', new Linear(dim, dim, { bias }));
    this.kv = this.addModule('kv', new Linear(dim, dim * 2, { bias }));
    const qkn = options.normLayer ?? ((d: number) => new LayerNorm(d, { eps: 1e-5 }));
    this.qNorm = options.qkNorm ? this.addModule('q_norm', qkn(this.headDim)) : null;
    this.kNorm = options.qkNorm ? this.addModule('k_norm', qkn(this.headDim)) : null;
    this.proj = this.addModule('proj', new Linear(dim, dim));
    this.norm = options.normLayer ? this.addModule('norm', options.normLayer(dim)) : null;
    this.mlp = this.addModule('mlp', new Mlp(dim, {
      hiddenFeatures: Math.trunc(dim * (options.mlpRatio ?? 4)), outFeatures: dim, actLayer: options.actLayer ?? 'gelu',
    }));
  }

  override forward(x: tf.Tensor): tf.Tensor {
    const [B, N, C] = x.shape as [number, number, number];
    const H = this.numHeads;
    const D = this.headDim;
    const L = this.latentLen;
    const lat = tf.broadcastTo(this.latent.value, [B, L, C]);
    let q = tf.transpose(tf.reshape(this.q.forward(lat), [B, L, H, D]), [0, 2, 1, 3]); // [B, H, L, D]
    const kv = tf.transpose(tf.reshape(this.kv.forward(x), [B, N, 2, H, D]), [2, 0, 3, 1, 4]);
    let [k, v] = unstackTensor(kv, 0) as [tf.Tensor, tf.Tensor]; // [B, H, N, D]
    if (this.qNorm) q = this.qNorm.forward(q);
    if (this.kNorm) k = this.kNorm.forward(k);
    const q3 = tf.reshape(tf.mul(q, D ** -0.5), [B * H, L, D]) as tf.Tensor3D;
    const o = softmaxAttention(q3, tf.reshape(k, [B * H, N, D]) as tf.Tensor3D, tf.reshape(v, [B * H, N, D]) as tf.Tensor3D);
    let y = this.proj.forward(tf.reshape(tf.transpose(tf.reshape(o, [B, H, L, D]), [0, 2, 1, 3]), [B, L, C]));
    y = tf.add(y, this.mlp.forward(this.norm ? this.norm.forward(y) : y));
    if (this.poolType === 'token') return tf.reshape(sliceTensor(y, [0, 0, 0], [B, 1, C]), [B, C]);
    if (this.poolType === 'avg') return tf.mean(y, 1);
    return y;
  }
}
