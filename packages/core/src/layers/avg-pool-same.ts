import * as tf from '@tensorflow/tfjs-core';
import { Module } from '../module.js';
import { type Pair, toPair } from './helpers.js';
import { avgPoolTorch } from './pool.js';

/**
 * timm's AvgPool2dSame: TensorFlow SAME zero padding computed from the input size (the extra row / column bottom and
 * right), then a PyTorch average pool without padding of its own. The padded zeros are real input, so they count in
 * each window's mean; only a ceil-mode overflow is left out.
 */
export class AvgPool2dSame extends Module {
  readonly kernel: Pair;
  readonly stride: Pair;
  readonly ceilMode: boolean;
  constructor(kernelSize: number | Pair, options: { stride?: number | Pair; ceilMode?: boolean } = {}) {
    super();
    this.kernel = toPair(kernelSize);
    this.stride = toPair(options.stride ?? kernelSize);
    this.ceilMode = options.ceilMode ?? false;
  }
  override forward(x: tf.Tensor): tf.Tensor {
    const [, h, w] = x.shape as number[];
    const along = (size: number, k: number, s: number) => Math.max((Math.ceil(size / s) - 1) * s + k - size, 0);
    const ph = along(h!, this.kernel[0], this.stride[0]);
    const pw = along(w!, this.kernel[1], this.stride[1]);
    const padded = ph || pw ? tf.pad(x, [[0, 0], [ph >> 1, ph - (ph >> 1)], [pw >> 1, pw - (pw >> 1)], [0, 0]]) : x;
    return avgPoolTorch(padded, this.kernel, this.stride, [0, 0], this.ceilMode, false);
  }
}
