import * as tf from '@tensorflow/tfjs-core';
import { Module, type Param } from '../module.js';

/**
 * timm's `Affine` (ResMLP's "norm"): `beta + alpha * x` per channel over the last axis, nothing normalised.
 * Keys: alpha, beta, both `[1, 1, dim]` as timm holds them.
 */
export class Affine extends Module {
  readonly alpha: Param;
  readonly beta: Param;
  constructor(readonly dim: number) {
    super();
    this.alpha = this.addParam('alpha', [1, 1, dim], { init: { kind: 'ones' } });
    this.beta = this.addParam('beta', [1, 1, dim], { init: { kind: 'zeros' } });
  }
  override forward(x: tf.Tensor): tf.Tensor {
    const a = tf.reshape(this.alpha.value, [this.dim]);
    const b = tf.reshape(this.beta.value, [this.dim]);
    return tf.add(tf.mul(x, a), b);
  }
}
