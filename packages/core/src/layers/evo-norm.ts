import * as tf from '@tensorflow/tfjs-core';
import { Module, type Param } from '../module.js';

/** timm's `group_std` on NHWC input: the std over each group of channels and all positions, broadcast back. */
export function groupStd(x: tf.Tensor, groups: number, eps = 1e-5): tf.Tensor {
  const [b, h, w, c] = x.shape as [number, number, number, number];
  if (c % groups) throw new Error(`group_std: ${c} channels not divisible by ${groups} groups`);
  const xg = tf.reshape(x, [b, h * w, groups, c / groups]);
  const { variance } = tf.moments(xg, [1, 3], true);
  return tf.reshape(tf.broadcastTo(tf.sqrt(tf.add(variance, eps)), [b, h * w, groups, c / groups]), [b, h, w, c]);
}

/**
 * timm's EvoNorm2dS0: with its activation, `x * sigmoid(v * x) / group_std(x)`, then the affine weight and bias;
 * without (`applyAct: false`), only the affine. Keys: weight, bias, v (with the activation).
 */
export class EvoNorm2dS0 extends Module {
  readonly groups: number;
  readonly weight: Param;
  readonly bias: Param;
  readonly v: Param | null;
  constructor(readonly numFeatures: number, o: { groups?: number; groupSize?: number; applyAct?: boolean; eps?: number } = {}) {
    super();
    if (o.groupSize) {
      if (numFeatures % o.groupSize) throw new Error(`EvoNorm2dS0: ${numFeatures} channels not divisible by group size ${o.groupSize}`);
      this.groups = numFeatures / o.groupSize;
    } else this.groups = o.groups ?? 32;
    this.eps = o.eps ?? 1e-5;
    this.weight = this.addParam('weight', [numFeatures], { init: { kind: 'ones' } });
    this.bias = this.addParam('bias', [numFeatures], { init: { kind: 'zeros' } });
    this.v = (o.applyAct ?? true) ? this.addParam('v', [numFeatures], { init: { kind: 'ones' } }) : null;
  }
  readonly eps: number;
  override forward(x: tf.Tensor): tf.Tensor {
    if (this.v) x = tf.div(tf.mul(x, tf.sigmoid(tf.mul(x, this.v.value))), groupStd(x, this.groups, this.eps));
    return tf.add(tf.mul(x, this.weight.value), this.bias.value);
  }
}

/**
 * timm's EvoNorm2dS0a: `x * sigmoid(v * x)` (with its activation), then divided by the group std of the input in
 * either case, then the affine weight and bias (eps 1e-3). Keys: weight, bias, v (with the activation).
 */
export class EvoNorm2dS0a extends EvoNorm2dS0 {
  constructor(numFeatures: number, o: { groups?: number; groupSize?: number; applyAct?: boolean; eps?: number } = {}) {
    super(numFeatures, { ...o, eps: o.eps ?? 1e-3 });
  }
  override forward(x: tf.Tensor): tf.Tensor {
    return tf.tidy(() => {
      const d = groupStd(x, this.groups, this.eps);
      const y = this.v ? tf.mul(x, tf.sigmoid(tf.mul(x, this.v.value))) : x;
      return tf.add(tf.mul(tf.div(y, d), this.weight.value), this.bias.value);
    });
  }
}
