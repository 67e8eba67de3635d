import * as tf from '@tensorflow/tfjs-core';
import { Module, type Param } from '../module.js';
import { type ActName, resolveAct } from './activations.js';
import { Conv2d } from './conv.js';
import { Linear } from './linear.js';

/**
 * timm's GlobalResponseNorm (ConvNeXt-V2) on channels-last input (NHWC maps, as every map here is):
 * `x + bias + weight * x * n`, with `n` the per-channel L2 norm over H, W divided by its mean over channels.
 * Keys: weight, bias (`[dim]`).
 */
export class GlobalResponseNorm extends Module {
  readonly eps: number;
  readonly weight: Param;
  readonly bias: Param;
  constructor(readonly dim: number, options: { eps?: number } = {}) {
    super();
    this.eps = options.eps ?? 1e-6;
    this.weight = this.addParam('weight', [dim], { init: { kind: 'zeros' } });
    this.bias = this.addParam('bias', [dim], { init: { kind: 'zeros' } });
  }
  override forward(x: tf.Tensor): tf.Tensor {
    if (x.rank !== 4) throw new Error(`GlobalResponseNorm takes NHWC maps, got rank ${x.rank}`);
    const g = tf.sqrt(tf.sum(tf.square(x), [1, 2], true));
    const n = tf.div(g, tf.add(tf.mean(g, 3, true), this.eps));
    return tf.add(x, tf.add(this.bias.value, tf.mul(this.weight.value, tf.mul(x, n))));
  }
}

/**
 * A pointwise projection over the last axis: nn.Linear (`[out, in]`) or, with `useConv`, a 1×1 nn.Conv2d
 * (`[out, in, 1, 1]`). Both run as one matmul on NHWC maps; only the state-dict shape differs.
 */
export function pointwise(inFeatures: number, outFeatures: number, options: { bias?: boolean; useConv?: boolean } = {}): Linear | Conv2d {
  const bias = options.bias ?? true;
  return options.useConv ? new Conv2d(inFeatures, outFeatures, 1, { bias }) : new Linear(inFeatures, outFeatures, { bias });
}

export interface PointwiseMlpOptions {
  hiddenFeatures?: number;
  outFeatures?: number;
  /** timm act_layer name (default 'gelu', exact erf). */
  actLayer?: string;
  bias?: boolean;
  /** 1×1 convs instead of linears (timm's `use_conv=True`): keys hold `[out, in, 1, 1]`. */
  useConv?: boolean;
}

/**
 * timm's `Mlp(..., use_conv=True)` and `GlobalResponseNormMlp`: fc1 → act → (GRN) → fc2 over the channel axis,
 * with fc1/fc2 as Linear or 1×1 Conv2d. Keys: fc1, grn (with `useGrn`), fc2.
 */
export class PointwiseMlp extends Module {
  readonly fc1: Linear | Conv2d;
  readonly grn: GlobalResponseNorm | null;
  readonly fc2: Linear | Conv2d;
  readonly act: ActName;
  constructor(inFeatures: number, options: PointwiseMlpOptions & { useGrn?: boolean } = {}) {
    super();
    const hidden = options.hiddenFeatures ?? inFeatures;
    const out = options.outFeatures ?? inFeatures;
    this.act = resolveAct(options.actLayer ?? 'gelu');
    const o = { bias: options.bias, useConv: options.useConv };
    this.fc1 = this.addModule('fc1', pointwise(inFeatures, hidden, o));
    this.grn = options.useGrn ? this.addModule('grn', new GlobalResponseNorm(hidden)) : null;
    this.fc2 = this.addModule('fc2', pointwise(hidden, out, o));
  }
  override forward(x: tf.Tensor): tf.Tensor {
    let h = this.fc1.forwardAct(x, this.act);
    if (this.grn) h = this.grn.forward(h);
    return this.fc2.forward(h);
  }
}

/** timm's `GlobalResponseNormMlp`: a PointwiseMlp with GRN after the activation. */
export class GlobalResponseNormMlp extends PointwiseMlp {
  constructor(inFeatures: number, options: PointwiseMlpOptions = {}) {
    super(inFeatures, { ...options, useGrn: true });
  }
}
