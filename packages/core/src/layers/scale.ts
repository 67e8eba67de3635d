import * as tf from '@tensorflow/tfjs-core';
import { Module, type Param } from '../module.js';

/**
 * MetaFormer's `Scale` (its layer scale and residual scale): a per-channel multiplier over the last axis, which is
 * the channel axis of both NHWC maps and `[B, N, C]` tokens. Key: scale `[dim]`.
 */
export class Scale extends Module {
  readonly scale: Param;
  constructor(readonly dim: number, initValue = 1) {
    super();
    this.scale = this.addParam('scale', [dim], { init: { kind: 'const', value: initValue } });
  }
  override forward(x: tf.Tensor): tf.Tensor {
    return tf.mul(x, this.scale.value);
  }
}
