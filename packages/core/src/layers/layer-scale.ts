import * as tf from '@tensorflow/tfjs-core';
import { Module, type Param } from '../module.js';

/** timm's `LayerScale`: per-channel scale over the last axis. Key: gamma `[dim]`. */
export class LayerScale extends Module {
  readonly gamma: Param;
  constructor(readonly dim: number, initValues = 1e-5) {
    super();
    this.gamma = this.addParam('gamma', [dim], { init: { kind: 'const', value: initValues } });
  }
  override forward(x: tf.Tensor): tf.Tensor {
    return tf.mul(x, this.gamma.value);
  }
}
