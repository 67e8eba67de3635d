import * as tf from '@tensorflow/tfjs-core';
import { hasForwardHooks, Module } from '../module.js';
import { type ActName, applyAct, fusedAct, LEAKY_SLOPE } from './activations.js';
import { Conv2d } from './conv.js';
import { Linear } from './linear.js';
import { BatchNorm2d } from './norm.js';
import { recordingGradients } from './portable.js';

/** `x` (any rank, features last) times a `[in, out]` matrix plus a bias, with a fused activation where tfjs has one. */
function affine(x: tf.Tensor, w: tf.Tensor, b: tf.Tensor, act: ActName): tf.Tensor {
  const [inF, outF] = w.shape as [number, number];
  const fused = recordingGradients() ? undefined : fusedAct(act);
  const y = tf.fused.matMul({
    a: tf.reshape(x, [-1, inF]) as tf.Tensor2D, b: w as tf.Tensor2D, bias: b, activation: fused ?? 'linear', leakyreluAlpha: LEAKY_SLOPE,
  });
  const out = tf.reshape(y, [...x.shape.slice(0, -1), outF]);
  return fused ? out : applyAct(act, out);
}

/** Whether a BatchNorm can be folded now: eval-mode statistics, no gradients recorded, nobody watching its output. */
function foldable(bn: BatchNorm2d): boolean {
  return !bn.usesBatchStats && !recordingGradients() && !hasForwardHooks(bn);
}

/**
 * A bias-free linear then BatchNorm1d over its outputs (timm's LeViT `LinearNorm`), on features in the last axis of
 * any rank (BatchNorm1d over `[B·N, C]` is the per-channel norm over every leading axis). In eval mode the norm is
 * folded into the weight and a bias once per weight change (timm's `fuse()`: exact up to float32 rounding).
 * Keys: linear.weight, bn.*.
 */
export class LinearBn extends Module {
  readonly linear: Linear;
  readonly bn: BatchNorm2d;
  constructor(inFeatures: number, outFeatures: number) {
    super();
    this.linear = this.addModule('linear', new Linear(inFeatures, outFeatures, { bias: false }));
    this.bn = this.addModule('bn', new BatchNorm2d(outFeatures));
  }

  override forward(x: tf.Tensor): tf.Tensor {
    return this.forwardAct(x, 'identity');
  }

  forwardAct(x: tf.Tensor, act: ActName): tf.Tensor {
    if (!foldable(this.bn) || hasForwardHooks(this.linear)) return applyAct(act, this.bn.forward(this.linear.forward(x)));
    const p = [this.linear.weight, this.bn.weight, this.bn.bias, this.bn.runningMean, this.bn.runningVar];
    const [w, b] = this.derived('fold', p, () => {
      const [scale, shift] = this.bn.scaleShift();
      return [tf.mul(this.linear.weight.value, scale), shift]; // weight held [in, out]: scale the out axis
    });
    return affine(x, w!, b!, act);
  }
}

/**
 * BatchNorm1d over the input features, dropout (identity at inference), then a linear (timm's LeViT `NormLinear`, its
 * classifier). In eval mode the norm is folded into the linear once per weight change (timm's `fuse()`).
 * Keys: bn.*, linear.{weight,bias}.
 */
export class BnLinear extends Module {
  readonly bn: BatchNorm2d;
  readonly linear: Linear;
  constructor(inFeatures: number, readonly outFeatures: number, options: { bias?: boolean } = {}) {
    super();
    this.bn = this.addModule('bn', new BatchNorm2d(inFeatures));
    this.linear = this.addModule('linear', new Linear(inFeatures, outFeatures, { bias: options.bias ?? true }));
  }

  override forward(x: tf.Tensor): tf.Tensor {
    if (!foldable(this.bn) || hasForwardHooks(this.linear)) return this.linear.forward(this.bn.forward(x));
    const p = [this.linear.weight, this.bn.weight, this.bn.bias, this.bn.runningMean, this.bn.runningVar];
    if (this.linear.bias) p.push(this.linear.bias);
    const [w, b] = this.derived('fold', p, () => {
      const [scale, shift] = this.bn.scaleShift();
      const wt = this.linear.weight.value; // [in, out]
      const bias = tf.squeeze(tf.matMul(tf.reshape(shift, [1, -1]), wt), [0]);
      return [tf.mul(wt, tf.reshape(scale, [-1, 1])), this.linear.bias ? tf.add(bias, this.linear.bias.value) : bias];
    });
    return affine(x, w!, b!, 'identity');
  }
}

/**
 * A bias-free conv then BatchNorm2d (timm's LeViT `ConvNorm`), the norm folded into the conv in eval mode.
 * Keys: linear.weight (the conv, as timm names it), bn.*.
 */
export class ConvBn extends Module {
  readonly linear: Conv2d;
  readonly bn: BatchNorm2d;
  constructor(inChs: number, outChs: number, kernelSize = 1, options: { stride?: number; padding?: number; groups?: number } = {}) {
    super();
    this.linear = this.addModule('linear', new Conv2d(inChs, outChs, kernelSize, { stride: options.stride ?? 1, padding: options.padding ?? 0, groups: options.groups ?? 1 }));
    this.bn = this.addModule('bn', new BatchNorm2d(outChs));
  }

  override forward(x: tf.Tensor): tf.Tensor {
    return this.linear.forwardBn(x, this.bn);
  }

  forwardAct(x: tf.Tensor, act: ActName): tf.Tensor {
    return this.linear.forwardBn(x, this.bn, act);
  }
}
