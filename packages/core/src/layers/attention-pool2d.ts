import * as tf from '@tensorflow/tfjs-core';
import { Identity, Module, type Param } from '../module.js';
import { toPair } from './helpers.js';
import { Linear } from './linear.js';
import { softmaxAttention } from './matmul.js';
import { Dropout } from './misc.js';
import { resampleAbsPosEmbedTensor } from './pos-embed.js';
import { sliceTensor } from './slice.js';

export interface AttentionPool2dOptions {
  /** The feature map size the position embedding is made for (default 7). */
  featSize?: number | [number, number];
  /** Output projection width (undefined: `inFeatures`; 0: no projection). */
  outFeatures?: number;
  embedDim?: number;
  headDim?: number;
  numHeads?: number;
  qkvBias?: boolean;
  /** Separate `q`, `k`, `v` linears (CLIP's layout) instead of one `qkv`. */
  qkvSeparate?: boolean;
  /** 'token' (the mean token's output) or '' (the map). */
  poolType?: string;
  dropRate?: number;
}

/**
 * timm's AttentionPool2d (CLIP's attention pooling): the map's mean as an extra token, a learned absolute position
 * embedding, one multi-head attention layer, then the output projection; 'token' pooling keeps the mean token.
 * Keys: pos_embed `[1 + H·W, C]`, q/k/v (or qkv), proj. Classifier-head interface (`fc` is `proj`).
 */
export class AttentionPool2d extends Module {
  readonly embedDim: number;
  readonly inFeatures: number;
  outFeatures: number;
  readonly numHeads: number;
  readonly headDim: number;
  readonly featSize: [number, number];
  poolType: string;
  readonly posEmbed: Param;
  readonly q: Linear | null = null;
  readonly k: Linear | null = null;
  readonly v: Linear | null = null;
  readonly qkv: Linear | null = null;
  fc: Module;

  constructor(inFeatures: number, o: AttentionPool2dOptions = {}) {
    super();
    const poolType = o.poolType ?? 'token';
    if (poolType !== '' && poolType !== 'token') throw new Error(`AttentionPool2d: poolType must be 'token' or '', got '${poolType}'`);
    this.poolType = poolType;
    this.embedDim = o.embedDim || inFeatures;
    this.inFeatures = inFeatures;
    this.outFeatures = o.outFeatures === undefined ? inFeatures : o.outFeatures > 0 ? o.outFeatures : this.embedDim;
    if (o.numHeads) {
      if (this.embedDim % o.numHeads) throw new Error(`AttentionPool2d: embedDim ${this.embedDim} is not divisible by ${o.numHeads} heads`);
      this.numHeads = o.numHeads;
      this.headDim = this.embedDim / o.numHeads;
    } else {
      this.headDim = o.headDim ?? 64;
      if (this.embedDim % this.headDim) throw new Error(`AttentionPool2d: embedDim ${this.embedDim} is not divisible by head dim ${this.headDim}`);
      this.numHeads = this.embedDim / this.headDim;
    }
    this.featSize = toPair(o.featSize ?? 7);
    const bias = o.qkvBias ?? true;
    const std = inFeatures ** -0.5;
    this.posEmbed = this.addParam('pos_embed', [this.featSize[0] * this.featSize[1] + 1, inFeatures], { init: { kind: 'truncnormal', std } });
    if (o.qkvSeparate) {
      this.q = this.addModule('q', new Linear(inFeatures, this.embedDim, { bias }));
      this.k = this.addModule('k', new Linear(inFeatures, this.embedDim, { bias }));
      this.v = this.addModule('v', new Linear(inFeatures, this.embedDim, { bias }));
    } else this.qkv = this.addModule('qkv', new Linear(inFeatures, this.embedDim * 3, { bias }));
    this.addModule('drop', new Dropout(o.dropRate ?? 0));
    this.fc = this.addModule('proj', o.outFeatures !== 0 ? new Linear(this.embedDim, this.outFeatures) : new Identity());
  }

  /** timm's `reset`: a new projection for `numClasses` (0: none) and/or pool type. */
  reset(numClasses?: number, poolType?: string): void {
    if (poolType !== undefined) {
      if (poolType !== '' && poolType !== 'token') throw new Error(`AttentionPool2d: poolType must be 'token' or '', got '${poolType}'`);
      this.poolType = poolType;
    }
    if (numClasses !== undefined) {
      this.fc = this.addModule('proj', numClasses > 0 ? new Linear(this.embedDim, numClasses) : new Identity());
      this.outFeatures = numClasses > 0 ? numClasses : this.embedDim;
    }
  }

  private pool(x: tf.Tensor, h: number, w: number): tf.Tensor {
    const [b, n, c] = x.shape as [number, number, number];
    if (this.poolType === 'token') return tf.reshape(sliceTensor(x, [0, 0, 0], [b, 1, c]), [b, c]);
    return tf.reshape(sliceTensor(x, [0, 1, 0], [b, n - 1, c]), [b, h, w, c]);
  }

  forwardHead(x: tf.Tensor, preLogits: boolean): tf.Tensor {
    const [b, h, w, c] = x.shape as [number, number, number, number];
    const n = h * w + 1;
    let t = tf.reshape(x, [b, h * w, c]);
    t = tf.concat([tf.mean(t, 1, true), t], 1);
    const pos = resampleAbsPosEmbedTensor(tf.expandDims(this.posEmbed.value, 0), [h, w], this.featSize, 1);
    t = tf.add(t, pos);
    const heads = (y: tf.Tensor) => tf.reshape(tf.transpose(tf.reshape(y, [b, n, this.numHeads, this.headDim]), [0, 2, 1, 3]), [b * this.numHeads, n, this.headDim]) as tf.Tensor3D;
    let q: tf.Tensor3D;
    let k: tf.Tensor3D;
    let v: tf.Tensor3D;
    if (this.qkv) {
      const [a, bb, cc] = tf.split(this.qkv.forward(t), 3, -1);
      [q, k, v] = [heads(a!), heads(bb!), heads(cc!)];
    } else [q, k, v] = [heads(this.q!.forward(t)), heads(this.k!.forward(t)), heads(this.v!.forward(t))];
    const o = softmaxAttention(tf.mul(q, this.headDim ** -0.5) as tf.Tensor3D, k, v);
    let y = tf.reshape(tf.transpose(tf.reshape(o, [b, this.numHeads, n, this.headDim]), [0, 2, 1, 3]), [b, n, this.embedDim]);
    y = this.getChild('drop')!.forward(y);
    if (preLogits) return this.pool(y, h, w);
    return this.pool(this.fc.forward(y), h, w);
  }

  override forward(x: tf.Tensor): tf.Tensor {
    return this.forwardHead(x, false);
  }
}
