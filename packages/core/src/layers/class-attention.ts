import * as tf from '@tensorflow/tfjs-core';
import { Module } from '../module.js';
import { Linear } from './linear.js';
import { Dropout } from './misc.js';
import { sliceTensor } from './slice.js';

export interface ClassAttnOptions {
  numHeads?: number;
  /** Bias on the q, k and v projections (timm's `qkv_bias`, default false). */
  qkvBias?: boolean;
  /** Dropout on the attention map and after the projection (training only). */
  attnDrop?: number;
  projDrop?: number;
}

/**
 * timm's `ClassAttn` (CaiT's class attention, also XCiT's): only the class token (the first of `[B, N, C]`) queries;
 * keys and values come from every token. Returns the updated class token `[B, 1, C]`. Separate q / k / v projections,
 * as timm holds them (an original checkpoint's fused `qkv` is split by the family's checkpoint filter).
 * Keys: q, k, v, proj.
 */
export class ClassAttn extends Module {
  readonly numHeads: number;
  readonly headDim: number;
  readonly scale: number;
  readonly q: Linear;
  readonly k: Linear;
  readonly v: Linear;
  readonly proj: Linear;
  readonly attnDrop: Dropout;
  readonly projDrop: Dropout;
  constructor(readonly dim: number, options: ClassAttnOptions = {}) {
    super();
    this.numHeads = options.numHeads ?? 8;
    if (!Number.isInteger(this.numHeads) || this.numHeads < 1 || dim % this.numHeads !== 0) {
      throw new Error(`ClassAttn: dim ${dim} is not divisible by numHeads ${this.numHeads}`);
    }
    this.headDim = dim / this.numHeads;
    this.scale = this.headDim ** -0.5;
    const bias = options.qkvBias ?? false;
    this.q = this.addModule('q', new Linear(dim, dim, { bias }));
    this.k = this.addModule('k', new Linear(dim, dim, { bias }));
    this.v = this.addModule('v', new Linear(dim, dim, { bias }));
    this.attnDrop = this.addModule('attn_drop', new Dropout(options.attnDrop ?? 0));
    this.proj = this.addModule('proj', new Linear(dim, dim));
    this.projDrop = this.addModule('proj_drop', new Dropout(options.projDrop ?? 0));
  }

  override forward(x: tf.Tensor): tf.Tensor {
    const [B, N, C] = x.shape as [number, number, number];
    const H = this.numHeads;
    const D = this.headDim;
    const cls = sliceTensor(x, [0, 0, 0], [B, 1, C]);
    // q [B, H, 1, D]; k, v [B, H, N, D]
    const q = tf.transpose(tf.reshape(tf.mul(this.q.forward(cls), this.scale), [B, 1, H, D]), [0, 2, 1, 3]);
    const k = tf.transpose(tf.reshape(this.k.forward(x), [B, N, H, D]), [0, 2, 1, 3]);
    const v = tf.transpose(tf.reshape(this.v.forward(x), [B, N, H, D]), [0, 2, 1, 3]);
    const attn = this.attnDrop.forward(tf.softmax(tf.matMul(tf.reshape(q, [B * H, 1, D]), tf.reshape(k, [B * H, N, D]), false, true), -1));
    const o = tf.matMul(attn, tf.reshape(v, [B * H, N, D])); // [B*H, 1, D]
    // heads back to channels: [B, H, 1, D] → [B, 1, H·D]
    return this.projDrop.forward(this.proj.forward(tf.reshape(o, [B, 1, C])));
  }
}
