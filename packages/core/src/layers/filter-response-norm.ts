import * as tf from '@tensorflow/tfjs-core';
import { Module, type Param } from '../module.js';
import { type ActName, applyAct, resolveAct } from './activations.js';

/** timm's `inv_instance_rms` on NHWC input: `1 / sqrt(mean(x²) + eps)` over each map's positions, per channel. */
export function invInstanceRms(x: tf.Tensor, eps = 1e-5): tf.Tensor {
  return tf.rsqrt(tf.add(tf.mean(tf.square(x), [1, 2], true), eps));
}

interface FrnOptions {
  applyAct?: boolean;
  eps?: number;
}

/** What both filter response norms share: `x / rms(x) · weight + bias`. Keys: weight, bias. */
abstract class FilterResponseNormBase extends Module {
  readonly eps: number;
  readonly weight: Param;
  readonly bias: Param;
  constructor(readonly numFeatures: number, o: FrnOptions) {
    super();
    this.eps = o.eps ?? 1e-5;
    this.weight = this.addParam('weight', [numFeatures], { init: { kind: 'ones' } });
    this.bias = this.addParam('bias', [numFeatures], { init: { kind: 'zeros' } });
  }
  protected normalize(x: tf.Tensor): tf.Tensor {
    if (x.rank !== 4) throw new Error(`${this.constructor.name}: expected NHWC input (rank 4), got rank ${x.rank}`);
    return tf.add(tf.mul(tf.mul(x, invInstanceRms(x, this.eps)), this.weight.value), this.bias.value);
  }
}

/**
 * timm's FilterResponseNormTlu2d (Filter Response Normalization with its thresholded linear unit): the norm, then
 * `max(x, tau)` with a learned per-channel `tau` (key `tau`, only with `applyAct`, the default).
 */
export class FilterResponseNormTlu2d extends FilterResponseNormBase {
  readonly tau: Param | null;
  constructor(numFeatures: number, o: FrnOptions = {}) {
    super(numFeatures, o);
    this.tau = (o.applyAct ?? true) ? this.addParam('tau', [numFeatures], { init: { kind: 'zeros' } }) : null;
  }
  override forward(x: tf.Tensor): tf.Tensor {
    const y = this.normalize(x);
    return this.tau ? tf.maximum(y, this.tau.value) : y;
  }
}

/** timm's FilterResponseNormAct2d: the norm, then an ordinary activation (ReLU unless told; none without `applyAct`). */
export class FilterResponseNormAct2d extends FilterResponseNormBase {
  readonly act: ActName;
  constructor(numFeatures: number, o: FrnOptions & { act?: string | null } = {}) {
    super(numFeatures, o);
    this.act = o.applyAct === false ? 'identity' : resolveAct(o.act === undefined ? 'relu' : o.act);
  }
  override forward(x: tf.Tensor): tf.Tensor {
    return applyAct(this.act, this.normalize(x));
  }
}
