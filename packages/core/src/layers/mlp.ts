import * as tf from '@tensorflow/tfjs-core';
import { Module } from '../module.js';
import { type ActName, applyAct, resolveAct } from './activations.js';
import { Linear } from './linear.js';
import { splitTensor } from './slice.js';

/** Builds a norm over `dim` channels (timm's `norm_layer`), e.g. `(d) => new LayerNorm(d, { eps: 1e-6 })`. */
export type NormFactory = (dim: number) => Module;

export interface MlpOptions {
  hiddenFeatures?: number;
  outFeatures?: number;
  /** timm act_layer name ('gelu' exact erf, 'quick_gelu', 'silu', …). */
  actLayer?: string;
  bias?: boolean;
  /** A norm between act and fc2 (timm's `norm_layer`); none when undefined. */
  normLayer?: NormFactory;
}

/** timm's `Mlp`: fc1 → act → (norm) → fc2. Keys: fc1, norm, fc2. Dropout is identity at inference. */
export class Mlp extends Module {
  readonly fc1: Linear;
  readonly fc2: Linear;
  readonly norm: Module | null;
  readonly act: ActName;
  constructor(inFeatures: number, options: MlpOptions = {}) {
    super();
    const hidden = options.hiddenFeatures ?? inFeatures;
    const out = options.outFeatures ?? inFeatures;
    this.act = resolveAct(options.actLayer ?? 'gelu');
    this.fc1 = this.addModule('fc1', new Linear(inFeatures, hidden, { bias: options.bias ?? true }));
    this.norm = options.normLayer ? this.addModule('norm', options.normLayer(hidden)) : null;
    this.fc2 = this.addModule('fc2', new Linear(hidden, out, { bias: options.bias ?? true }));
  }
  override forward(x: tf.Tensor): tf.Tensor {
    let h = this.fc1.forwardAct(x, this.act);
    if (this.norm) h = this.norm.forward(h);
    return this.fc2.forward(h);
  }
}

/**
 * timm's `GluMlp` (and `SwiGLUPacked` = GluMlp with silu, gateLast false): fc1 output split in halves along
 * the last axis; `x1 * act(x2)` when gateLast (the gate is the second half), else `act(x1) * x2`.
 * Keys: fc1, norm, fc2.
 */
export class GluMlp extends Module {
  readonly fc1: Linear;
  readonly fc2: Linear;
  readonly norm: Module | null;
  readonly act: ActName;
  readonly gateLast: boolean;
  constructor(inFeatures: number, options: MlpOptions & { gateLast?: boolean } = {}) {
    super();
    const hidden = options.hiddenFeatures ?? inFeatures;
    if (hidden % 2 !== 0) throw new Error(`GluMlp: hidden features (${hidden}) must be even`);
    const out = options.outFeatures ?? inFeatures;
    this.act = resolveAct(options.actLayer ?? 'sigmoid');
    this.gateLast = options.gateLast ?? true;
    this.fc1 = this.addModule('fc1', new Linear(inFeatures, hidden, { bias: options.bias ?? true }));
    this.norm = options.normLayer ? this.addModule('norm', options.normLayer(hidden / 2)) : null;
    this.fc2 = this.addModule('fc2', new Linear(hidden / 2, out, { bias: options.bias ?? true }));
  }
  override forward(x: tf.Tensor): tf.Tensor {
    const h = this.fc1.forward(x);
    const [x1, x2] = splitTensor(h, 2, h.rank - 1) as [tf.Tensor, tf.Tensor];
    let y = this.gateLast ? tf.mul(x1, applyAct(this.act, x2)) : tf.mul(applyAct(this.act, x1), x2);
    if (this.norm) y = this.norm.forward(y);
    return this.fc2.forward(y);
  }
}

/** timm's `SwiGLU`: separate gate / value projections. Keys: fc1_g, fc1_x, norm, fc2. */
export class SwiGLU extends Module {
  readonly fc1G: Linear;
  readonly fc1X: Linear;
  readonly fc2: Linear;
  readonly norm: Module | null;
  readonly act: ActName;
  constructor(inFeatures: number, options: MlpOptions = {}) {
    super();
    const hidden = options.hiddenFeatures ?? inFeatures;
    const out = options.outFeatures ?? inFeatures;
    const bias = options.bias ?? true;
    this.act = resolveAct(options.actLayer ?? 'silu');
    this.fc1G = this.addModule('fc1_g', new Linear(inFeatures, hidden, { bias }));
    this.fc1X = this.addModule('fc1_x', new Linear(inFeatures, hidden, { bias }));
    this.norm = options.normLayer ? this.addModule('norm', options.normLayer(hidden)) : null;
    this.fc2 = this.addModule('fc2', new Linear(hidden, out, { bias }));
  }
  override forward(x: tf.Tensor): tf.Tensor {
    let y = tf.mul(this.fc1G.forwardAct(x, this.act), this.fc1X.forward(x));
    if (this.norm) y = this.norm.forward(y);
    return this.fc2.forward(y);
  }
}
