import * as tf from '@tensorflow/tfjs-core';
import { Module, type Param } from '../module.js';
import { type ActName, applyAct, resolveAct } from './activations.js';
import { Conv2d, type Conv2dOptions } from './conv.js';

export interface ScaledStdConv2dOptions extends Conv2dOptions {
  /** Activation-correcting gain folded into the scale (timm's `gamma`; see {@link NONLIN_GAMMA}). Default 1. */
  gamma?: number;
  /** Epsilon of the weight standardisation (timm's default 1e-6; NFNets pass 1e-5). */
  eps?: number;
  /** Initial value of the learnable per-output-channel `gain` (timm's `gain_init`). Default 1. */
  gainInit?: number;
}

/**
 * timm's ScaledStdConv2d (layers/std_conv.py, from "Characterizing signal propagation …", NF-ResNets): a conv whose
 * kernel is standardised per output channel (zero mean, unit variance over its fan-in, biased variance + `eps`) and
 * multiplied by `gain · gamma / √fan_in` before the conv. Keys as timm's: `weight` `[out, in/groups, kh, kw]`, `bias`
 * (on by default, as timm's), `gain` `[out, 1, 1, 1]`: the raw weight and gain stay the parameters, so state dicts are
 * timm's. The standardised kernel is computed once per load (and again only when `weight` or `gain` change: a
 * training step), not on every forward; while gradients are recorded it is computed in place, so they reach both.
 */
export class ScaledStdConv2d extends Conv2d {
  readonly gain: Param;
  /** `gamma / √fan_in`, timm's `scale`. */
  readonly scale: number;
  readonly eps: number;

  constructor(inChannels: number, outChannels: number, kernelSize: number | [number, number], options: ScaledStdConv2dOptions = {}) {
    super(inChannels, outChannels, kernelSize, { ...options, bias: options.bias ?? true });
    const [kh, kw] = this.kernelSize;
    this.scale = (options.gamma ?? 1) * ((inChannels / this.groups) * kh * kw) ** -0.5;
    this.eps = options.eps ?? 1e-6;
    this.gain = this.addParam('gain', [outChannels, 1, 1, 1], { init: { kind: 'const', value: options.gainInit ?? 1 } });
  }

  /** The standardised, scaled kernel in the conv's tfjs layout (kept until `weight` or `gain` change). */
  standardizedWeight(): tf.Tensor {
    return this.derived(`std:${this.eps}`, [this.weight, this.gain], () => {
      const w = this.weight.value;
      // The output channel: last axis of HWIO ([kh, kw, in, out]); last two of depthwise [kh, kw, C, multiplier].
      const axes = this.depthwise ? [0, 1] : [0, 1, 2];
      const { mean, variance } = tf.moments(w, axes, true);
      const gain = tf.reshape(tf.mul(this.gain.value, this.scale), mean.shape);
      return [tf.mul(tf.mul(tf.sub(w, mean), tf.rsqrt(tf.add(variance, this.eps))), gain)];
    })[0]!;
  }

  protected override convolve(x: tf.Tensor, act: ActName): tf.Tensor {
    const deps = this.bias ? [this.weight, this.gain, this.bias] : [this.weight, this.gain];
    return this.run(x, this.standardizedWeight(), this.bias?.value ?? null, act, `std:${this.eps}`, deps);
  }

  override forwardBn(): tf.Tensor {
    throw new Error('ScaledStdConv2d: a weight-standardised conv is not followed by a BatchNorm (forwardBn is not supported)');
  }

  override adaptToPrunedShape(): void {
    throw new Error('ScaledStdConv2d: pruned-definition adaptation is not supported');
  }
}

/**
 * timm's ScaledStdConv2dSame: {@link ScaledStdConv2d} with TensorFlow SAME padding (extra pad bottom / right on strided
 * convs, computed from the input size), as the DeepMind NFNet-F weights were trained.
 */
export class ScaledStdConv2dSame extends ScaledStdConv2d {
  constructor(inChannels: number, outChannels: number, kernelSize: number | [number, number], options: Omit<ScaledStdConv2dOptions, 'padding'> = {}) {
    super(inChannels, outChannels, kernelSize, { ...options, padding: 'same' });
  }
}

/**
 * The activation-correcting gammas of DeepMind's NFNets (`_nonlin_gamma` in timm's nfnet.py): for each activation, the
 * factor that restores unit variance of its output for unit-Gaussian input. Only the activations @zoo/core implements.
 */
export const NONLIN_GAMMA: Readonly<Partial<Record<ActName, number>>> = {
  identity: 1.0,
  elu: 1.2716004848480225,
  gelu: 1.7015043497085571,
  leaky_relu: 1.70590341091156,
  relu: 1.7139588594436646,
  relu6: 1.7131484746932983,
  sigmoid: 4.803835391998291,
  silu: 1.7881293296813965,
  tanh: 1.5939117670059204,
};

/** The NFNet gamma of activation `name` ({@link NONLIN_GAMMA}); a clear error for one without a constant. */
export function nonlinGamma(name: string): number {
  const act = resolveAct(name);
  const g = NONLIN_GAMMA[act];
  if (g === undefined) throw new Error(`no NFNet gamma constant for activation '${name}' (known: ${Object.keys(NONLIN_GAMMA).join(', ')})`);
  return g;
}

/**
 * timm's GammaAct: an activation whose output is multiplied by `gamma`. No parameters. `inplace` marks timm's in-place
 * use (a features_only map returned just before it is the activated one: see core's `isInplace`).
 */
export class GammaAct extends Module {
  readonly act: ActName;
  readonly gamma: number;
  readonly inplace: boolean;
  constructor(act: string, gamma = 1, inplace = false) {
    super();
    this.act = resolveAct(act);
    this.gamma = gamma;
    this.inplace = inplace;
  }
  override forward(x: tf.Tensor): tf.Tensor {
    const y = applyAct(this.act, x);
    return this.gamma === 1 ? y : tf.mul(y, this.gamma);
  }
}
