import * as tf from '@tensorflow/tfjs-core';
import { type ActName, applyAct } from './activations.js';
import { Conv2d, type Conv2dOptions } from './conv.js';
import { type BatchNorm2d, centeredGroups } from './norm.js';

export interface StdConv2dOptions extends Conv2dOptions {
  /** Added to each output filter's variance before the square root (timm: 1e-6; BiT and ViT hybrids: 1e-8). */
  eps?: number;
}

/**
 * Weight standardisation of a conv kernel held in tfjs layout: each output filter to zero mean and unit (biased)
 * variance over its inputs and taps, as timm's `F.batch_norm(weight.reshape(1, out, -1), training=True)` does.
 * The output channel is the last axis of HWIO and of depthwise `[kh, kw, C, m]` (flattened `C·m`).
 */
export function standardizeWeight(w: tf.Tensor, eps: number, depthwise = false): tf.Tensor {
  return tf.tidy(() => {
    const axes = depthwise ? [0, 1] : [0, 1, 2];
    const centered = centeredGroups(w, axes);
    return tf.mul(centered, tf.rsqrt(tf.add(tf.mean(tf.square(centered), axes, true), eps)));
  });
}

/**
 * timm's StdConv2d (BiT's ResNet-V2): a conv whose kernel is standardised per output filter before use. The
 * state dict holds the raw `weight` (timm's keys and values); the standardised kernel is computed once per weight
 * change (after a load, after an optimizer step) and kept, not on every forward. While gradients are recorded it
 * is computed in place, so they flow back to the raw weight. Padding defaults to PyTorch's symmetric padding.
 */
export class StdConv2d extends Conv2d {
  readonly eps: number;
  constructor(inChannels: number, outChannels: number, kernelSize: number | [number, number], options: StdConv2dOptions = {}) {
    super(inChannels, outChannels, kernelSize, options);
    this.eps = options.eps ?? 1e-6;
    if (!(this.eps > 0)) throw new RangeError(`StdConv2d: eps must be a positive number, got ${options.eps}`);
  }

  /** The standardised kernel (tfjs layout), kept until the weight changes. */
  standardizedWeight(): tf.Tensor {
    return this.derived(`std:${this.eps}`, [this.weight], () => [standardizeWeight(this.weight.value, this.eps, this.depthwise)])[0]!;
  }

  protected override convolve(x: tf.Tensor, act: ActName): tf.Tensor {
    const deps = this.bias ? [this.weight, this.bias] : [this.weight];
    return this.run(x, this.standardizedWeight(), this.bias?.value ?? null, act, `std:${this.eps}`, deps);
  }

  /** A following BatchNorm runs as its own op (the fold in Conv2d would use the raw kernel). */
  override forwardBn(x: tf.Tensor, bn: BatchNorm2d, act: ActName = 'identity'): tf.Tensor {
    return applyAct(act, bn.normalize(this.forward(x)));
  }
}

/**
 * timm's StdConv2dSame (ViT hybrids' ResNet-V2): StdConv2d with TensorFlow SAME padding, computed from the input
 * size (extra padding bottom / right), unless another padding is given.
 */
export class StdConv2dSame extends StdConv2d {
  constructor(inChannels: number, outChannels: number, kernelSize: number | [number, number], options: StdConv2dOptions = {}) {
    super(inChannels, outChannels, kernelSize, { ...options, padding: options.padding ?? 'same' });
  }
}
