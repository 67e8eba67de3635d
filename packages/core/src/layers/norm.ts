import * as tf from '@tensorflow/tfjs-core';
import { Module, type Param } from '../module.js';
import { type ActName, applyAct, resolveAct } from './activations.js';

/**
 * nn.BatchNorm2d over the channel (last, NHWC) axis. Keys: weight, bias, running_mean, running_var,
 * num_batches_tracked. In eval mode the per-channel scale and shift are computed once per weight change; in
 * training mode it normalises with the batch's statistics and updates the running ones as PyTorch does (`momentum`,
 * unbiased variance, `num_batches_tracked`), unless frozen (timm's FrozenBatchNorm2d, see `freeze`).
 */
export class BatchNorm2d extends Module {
  numFeatures: number;
  readonly eps: number;
  readonly momentum: number;
  /** timm's FrozenBatchNorm2d: running statistics in training mode too, and never updated. */
  frozen = false;
  weight!: Param;
  bias!: Param;
  runningMean!: Param;
  runningVar!: Param;

  constructor(numFeatures: number, options: { eps?: number; momentum?: number; affine?: boolean } = {}) {
    super();
    this.numFeatures = numFeatures;
    this.eps = options.eps ?? 1e-5;
    this.momentum = options.momentum ?? 0.1;
    this.build(numFeatures);
  }

  private build(numFeatures: number): void {
    this.numFeatures = numFeatures;
    this.weight = this.addParam('weight', [numFeatures], { init: { kind: 'ones' } });
    this.bias = this.addParam('bias', [numFeatures], { init: { kind: 'zeros' } });
    this.runningMean = this.addParam('running_mean', [numFeatures], { buffer: true, init: { kind: 'zeros' } });
    this.runningVar = this.addParam('running_var', [numFeatures], { buffer: true, init: { kind: 'ones' } });
    this.addParam('num_batches_tracked', [], { buffer: true, dtype: 'int64', optional: true });
  }

  /** Rebuilds at a pruned width (timm's `adapt_model_from_string`). */
  adaptToPrunedShape(shape: number[]): void {
    this.build(shape[0]!);
  }

  /** [scale, shift] with y = x * scale + shift. */
  scaleShift(): [tf.Tensor, tf.Tensor] {
    const [scale, shift] = this.derived('scaleShift', [this.weight, this.bias, this.runningMean, this.runningVar], () => {
      const scale = tf.mul(this.weight.value, tf.rsqrt(tf.add(this.runningVar.value, this.eps)));
      const shift = tf.sub(this.bias.value, tf.mul(this.runningMean.value, scale));
      return [scale, shift];
    });
    return [scale!, shift!];
  }

  /** Whether a forward now uses (and updates) batch statistics. */
  get usesBatchStats(): boolean {
    return this.training && !this.frozen;
  }

  /** The normalisation alone (no activation, also for subclasses that add one). */
  normalize(x: tf.Tensor): tf.Tensor {
    if (!this.usesBatchStats) {
      const [scale, shift] = this.scaleShift();
      return tf.add(tf.mul(x, scale), shift);
    }
    const axes = x.shape.slice(0, -1).map((_, i) => i);
    const { mean, variance } = tf.moments(x, axes);
    this.updateRunningStats(mean, variance, x.size / this.numFeatures);
    const y = tf.mul(tf.sub(x, mean), tf.rsqrt(tf.add(variance, this.eps)));
    return tf.add(tf.mul(y, this.weight.value), this.bias.value);
  }

  /** PyTorch's update: `running = (1 - momentum) · running + momentum · batch`, with the unbiased batch variance. */
  private updateRunningStats(mean: tf.Tensor, variance: tf.Tensor, n: number): void {
    const m = this.momentum;
    const [rm, rv] = tf.tidy(() => [
      tf.add(tf.mul(this.runningMean.value, 1 - m), tf.mul(mean, m)),
      tf.add(tf.mul(this.runningVar.value, 1 - m), tf.mul(variance, (m * n) / Math.max(n - 1, 1))),
    ]);
    this.runningMean.setTensor(rm!);
    this.runningVar.setTensor(rv!);
    this.getParam('num_batches_tracked')?.incrementInt();
  }

  override forward(x: tf.Tensor): tf.Tensor {
    return this.normalize(x);
  }
}

/** timm's BatchNormAct2d: BatchNorm2d (same keys) followed by an activation (and drop, identity at eval). */
export class BatchNormAct2d extends BatchNorm2d {
  readonly act: ActName;
  constructor(numFeatures: number, options: { eps?: number; momentum?: number; act?: string | null; applyAct?: boolean } = {}) {
    super(numFeatures, options);
    this.act = options.applyAct === false ? 'identity' : resolveAct(options.act === undefined ? 'relu' : options.act);
  }
  override forward(x: tf.Tensor): tf.Tensor {
    return applyAct(this.act, this.normalize(x));
  }
}

/** nn.LayerNorm over the last axis (timm's LayerNorm2d too, since channels are last in NHWC). */
export class LayerNorm extends Module {
  readonly eps: number;
  readonly weight: Param | null;
  readonly bias: Param | null;
  constructor(readonly normalizedShape: number, options: { eps?: number; affine?: boolean; bias?: boolean } = {}) {
    super();
    this.eps = options.eps ?? 1e-5;
    const affine = options.affine ?? true;
    this.weight = affine ? this.addParam('weight', [normalizedShape], { init: { kind: 'ones' } }) : null;
    this.bias = affine && (options.bias ?? true) ? this.addParam('bias', [normalizedShape], { init: { kind: 'zeros' } }) : null;
  }
  override forward(x: tf.Tensor): tf.Tensor {
    const axis = x.rank - 1;
    const { mean, variance } = tf.moments(x, axis, true);
    let y = tf.mul(tf.sub(x, mean), tf.rsqrt(tf.add(variance, this.eps)));
    if (this.weight) y = tf.mul(y, this.weight.value);
    if (this.bias) y = tf.add(y, this.bias.value);
    return y;
  }
}

/**
 * timm's LayerNorm2d: LayerNorm over channels; with NHWC input that is the last axis, so the same computation. Its
 * default eps is timm's (1e-6); {@link LayerNorm}'s is torch's `nn.LayerNorm`'s (1e-5).
 */
export class LayerNorm2d extends LayerNorm {
  constructor(numChannels: number, options: { eps?: number; affine?: boolean; bias?: boolean } = {}) {
    super(numChannels, { ...options, eps: options.eps ?? 1e-6 });
  }
}

/** RMSNorm over the last axis (timm's RmsNorm / RmsNorm2d). Key: weight. */
export class RmsNorm extends Module {
  readonly eps: number;
  readonly weight: Param | null;
  constructor(readonly normalizedShape: number, options: { eps?: number; affine?: boolean } = {}) {
    super();
    this.eps = options.eps ?? 1e-6;
    this.weight = (options.affine ?? true) ? this.addParam('weight', [normalizedShape], { init: { kind: 'ones' } }) : null;
  }
  override forward(x: tf.Tensor): tf.Tensor {
    const ms = tf.mean(tf.square(x), x.rank - 1, true);
    const y = tf.mul(x, tf.rsqrt(tf.add(ms, this.eps)));
    return this.weight ? tf.mul(y, this.weight.value) : y;
  }
}

/**
 * `x` minus its mean over `axes`, the mean taken twice: tfjs-wasm sums a reduction one element after another in
 * float32, so over a large map (a group of 56×56×8 values) the first mean is off by a part that grows with the
 * values' offset; the mean of what is left corrects it (PyTorch's pairwise sums are that accurate in one pass).
 */
export function centeredGroups(x: tf.Tensor, axes: number[]): tf.Tensor {
  const first = tf.sub(x, tf.mean(x, axes, true));
  return tf.sub(first, tf.mean(first, axes, true));
}

/** nn.GroupNorm on NHWC input. Keys: weight, bias. */
export class GroupNorm extends Module {
  readonly eps: number;
  readonly weight: Param | null;
  readonly bias: Param | null;
  constructor(readonly numGroups: number, readonly numChannels: number, options: { eps?: number; affine?: boolean } = {}) {
    super();
    if (numChannels % numGroups) throw new Error(`GroupNorm: ${numChannels} channels not divisible by ${numGroups} groups`);
    this.eps = options.eps ?? 1e-5;
    const affine = options.affine ?? true;
    this.weight = affine ? this.addParam('weight', [numChannels], { init: { kind: 'ones' } }) : null;
    this.bias = affine ? this.addParam('bias', [numChannels], { init: { kind: 'zeros' } }) : null;
  }
  override forward(x: tf.Tensor): tf.Tensor {
    const [b, h, w, c] = x.shape as [number, number, number, number];
    const g = this.numGroups;
    const centered = centeredGroups(tf.reshape(x, [b, h * w, g, c / g]), [1, 3]);
    const variance = tf.mean(tf.square(centered), [1, 3], true);
    let y = tf.reshape(tf.mul(centered, tf.rsqrt(tf.add(variance, this.eps))), [b, h, w, c]);
    if (this.weight) y = tf.mul(y, this.weight.value);
    if (this.bias) y = tf.add(y, this.bias.value);
    return y;
  }
}

/** timm's GroupNormAct: GroupNorm (same keys) then an activation. */
export class GroupNormAct extends GroupNorm {
  readonly act: ActName;
  constructor(numGroups: number, numChannels: number, options: { eps?: number; act?: string | null; applyAct?: boolean } = {}) {
    super(numGroups, numChannels, options);
    this.act = options.applyAct === false ? 'identity' : resolveAct(options.act === undefined ? 'relu' : options.act);
  }
  override forward(x: tf.Tensor): tf.Tensor {
    return applyAct(this.act, super.forward(x));
  }
}
