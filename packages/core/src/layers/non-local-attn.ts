import * as tf from '@tensorflow/tfjs-core';
import { Module } from '../module.js';
import { Conv2d } from './conv.js';
import { ConvNormAct } from './conv-norm-act.js';
import { makeDivisible } from './helpers.js';

/**
 * timm's BilinearAttnTransform (BAT): per group, a row and a column `blockSize`² mixing matrix (sigmoid, normalised)
 * from max-pooled context, expanded to the map size (Kronecker product with the identity) and applied as `P x Q`.
 * Keys conv1, conv_p, conv_q, conv2.
 */
export class BilinearAttnTransform extends Module {
  readonly conv1: ConvNormAct;
  readonly convP: Conv2d;
  readonly convQ: Conv2d;
  readonly conv2: ConvNormAct;
  constructor(readonly inChannels: number, readonly blockSize: number, readonly groups: number, act = 'relu') {
    super();
    const n = blockSize * blockSize * groups;
    this.conv1 = this.addModule('conv1', new ConvNormAct(inChannels, groups, 1, { actLayer: act }));
    this.convP = this.addModule('conv_p', new Conv2d(groups, n, [blockSize, 1], { padding: 0, bias: true }));
    this.convQ = this.addModule('conv_q', new Conv2d(groups, n, [1, blockSize], { padding: 0, bias: true }));
    this.conv2 = this.addModule('conv2', new ConvNormAct(inChannels, inChannels, 1, { actLayer: act }));
  }

  /** `[B, G, bs, bs]` mixing matrices → `[B·C, size, size]`: each group's matrix ⊗ I(size / bs), one per channel. */
  private expand(m: tf.Tensor, b: number, c: number, size: number): tf.Tensor3D {
    const bs = this.blockSize;
    const t = size / bs;
    const perGroup = tf.tile(tf.reshape(m, [b, this.groups, 1, bs, bs]), [1, 1, c / this.groups, 1, 1]);
    const eye = tf.reshape(tf.eye(t), [1, 1, t, 1, t]);
    return tf.reshape(tf.mul(tf.reshape(perGroup, [b * c, bs, 1, bs, 1]), eye), [b * c, size, size]) as tf.Tensor3D;
  }

  override forward(x: tf.Tensor): tf.Tensor {
    const [b, h, w, c] = x.shape as [number, number, number, number];
    const bs = this.blockSize;
    if (h % bs || w % bs) throw new Error(`BilinearAttnTransform: a ${h}×${w} map is not divisible into ${bs}×${bs} blocks`);
    const g = this.groups;
    const out = this.conv1.forward(x); // [B, H, W, G]
    const rp = tf.max(tf.reshape(out, [b, bs, h / bs, w, g]), [2, 3]); // adaptive max pool to (bs, 1): [B, bs, G]
    const cp = tf.max(tf.reshape(out, [b, h, bs, w / bs, g]), [1, 3]); // adaptive max pool to (1, bs): [B, bs, G]
    let p = tf.sigmoid(tf.reshape(this.convP.forward(tf.reshape(rp, [b, bs, 1, g])), [b, g, bs, bs]));
    let q = tf.sigmoid(tf.reshape(this.convQ.forward(tf.reshape(cp, [b, 1, bs, g])), [b, g, bs, bs]));
    p = tf.div(p, tf.sum(p, 3, true));
    q = tf.div(q, tf.sum(q, 2, true));
    const xs = tf.reshape(tf.transpose(x, [0, 3, 1, 2]), [b * c, h, w]) as tf.Tensor3D;
    const y = tf.matMul(tf.matMul(this.expand(p, b, c, h), xs), this.expand(q, b, c, w));
    return this.conv2.forward(tf.transpose(tf.reshape(y, [b, c, h, w]), [0, 2, 3, 1]));
  }
}

/** nn.Dropout2d: whole channels zeroed in training mode (scaled by `1 / (1 - p)`), identity in eval mode. */
class Dropout2d extends Module {
  constructor(readonly p: number) {
    super();
  }
  override forward(x: tf.Tensor): tf.Tensor {
    if (!this.training || this.p <= 0) return x;
    return tf.dropout(x, this.p, [x.shape[0]!, 1, 1, x.shape[3]!]);
  }
}

export interface BatNonLocalAttnOptions {
  blockSize?: number;
  groups?: number;
  rdRatio?: number;
  rdChannels?: number;
  rdDivisor?: number;
  dropRate?: number;
  act?: string;
}

/** timm's BatNonLocalAttn ('bat'): 1×1 reduce → BilinearAttnTransform → 1×1 expand, added to the input. */
export class BatNonLocalAttn extends Module {
  readonly conv1: ConvNormAct;
  readonly ba: BilinearAttnTransform;
  readonly conv2: ConvNormAct;
  constructor(inChannels: number, o: BatNonLocalAttnOptions = {}) {
    super();
    const act = o.act ?? 'relu';
    const rd = o.rdChannels ?? makeDivisible(inChannels * (o.rdRatio ?? 0.25), o.rdDivisor ?? 8);
    this.conv1 = this.addModule('conv1', new ConvNormAct(inChannels, rd, 1, { actLayer: act }));
    this.ba = this.addModule('ba', new BilinearAttnTransform(rd, o.blockSize ?? 7, o.groups ?? 2, act));
    this.conv2 = this.addModule('conv2', new ConvNormAct(rd, inChannels, 1, { actLayer: act }));
    this.addModule('dropout', new Dropout2d(o.dropRate ?? 0.2));
  }
  override forward(x: tf.Tensor): tf.Tensor {
    const y = this.getChild('dropout')!.forward(this.conv2.forward(this.ba.forward(this.conv1.forward(x))));
    return tf.add(y, x);
  }
}
