import * as tf from '@tensorflow/tfjs-core';
import { Module, type Param } from '../module.js';

/**
 * MetaFormer's StarReLU (timm's `StarReLU`): `scale * relu(x)² + bias`, with a learnable scalar scale and bias.
 * Keys: scale `[1]`, bias `[1]`.
 */
export class StarReLU extends Module {
  readonly scale: Param;
  readonly bias: Param;
  constructor(options: { scaleValue?: number; biasValue?: number } = {}) {
    super();
    this.scale = this.addParam('scale', [1], { init: { kind: 'const', value: options.scaleValue ?? 1 } });
    this.bias = this.addParam('bias', [1], { init: { kind: 'const', value: options.biasValue ?? 0 } });
  }
  override forward(x: tf.Tensor): tf.Tensor {
    return tf.add(tf.mul(tf.square(tf.relu(x)), this.scale.value), this.bias.value);
  }
}

/** Squared ReLU (timm's `SquaredReLU`): `relu(x)²`, no parameters. */
export class SquaredReLU extends Module {
  override forward(x: tf.Tensor): tf.Tensor {
    return tf.square(tf.relu(x));
  }
}
