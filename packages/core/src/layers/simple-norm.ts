import * as tf from '@tensorflow/tfjs-core';
import { Module, type Param } from '../module.js';

/**
 * timm's SimpleNorm / SimpleNorm2d: `x * rsqrt(var(x) + eps) * weight` over the last axis (channels, in NHWC), with
 * no mean subtraction and no bias. The variance is unbiased (divides by C - 1), as `torch.var` is by default.
 * Key: weight.
 */
export class SimpleNorm extends Module {
  readonly eps: number;
  readonly weight: Param | null;
  constructor(readonly normalizedShape: number, options: { eps?: number; affine?: boolean } = {}) {
    super();
    this.eps = options.eps ?? 1e-6;
    this.weight = (options.affine ?? true) ? this.addParam('weight', [normalizedShape], { init: { kind: 'ones' } }) : null;
  }
  override forward(x: tf.Tensor): tf.Tensor {
    const axis = x.rank - 1;
    const n = x.shape[axis]!;
    const { variance } = tf.moments(x, axis, true);
    const unbiased = n > 1 ? tf.mul(variance, n / (n - 1)) : variance;
    const y = tf.mul(x, tf.rsqrt(tf.add(unbiased, this.eps)));
    return this.weight ? tf.mul(y, this.weight.value) : y;
  }
}

/** timm's SimpleNorm2d: channels are the last axis in NHWC, so the same computation as SimpleNorm. */
export class SimpleNorm2d extends SimpleNorm {}
