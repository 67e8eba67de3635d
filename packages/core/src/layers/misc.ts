import type * as tf from '@tensorflow/tfjs-core';
import { Module } from '../module.js';

/** Stochastic depth. Inference only, so the identity; kept as a module so model structure mirrors timm's. */
export class DropPath extends Module {
  constructor(readonly dropProb = 0) {
    super();
  }
  override forward(x: tf.Tensor): tf.Tensor {
    return x;
  }
}

/** nn.Dropout: identity at inference. */
export class Dropout extends Module {
  constructor(readonly p = 0) {
    super();
  }
  override forward(x: tf.Tensor): tf.Tensor {
    return x;
  }
}
