import type * as tf from '@tensorflow/tfjs-core';
import { Module } from '../module.js';
import { type ActName, applyAct, resolveAct } from './activations.js';
import { Conv2d } from './conv.js';
import type { NormFactory } from './mlp.js';

export interface ConvMlpOptions {
  hiddenFeatures?: number;
  outFeatures?: number;
  /** timm's `act_layer` (default 'relu'). */
  actLayer?: string;
  /** A norm after fc1 (timm's `norm_layer`); none when undefined. */
  normLayer?: NormFactory;
  bias?: boolean;
}

/**
 * timm's `layers.mlp.ConvMlp` on NHWC maps: 1×1 conv → (norm) → act → 1×1 conv. Keys: fc1, norm, fc2. Dropout is
 * identity at inference.
 */
export class ConvMlp extends Module {
  readonly fc1: Conv2d;
  readonly norm: Module | null;
  readonly fc2: Conv2d;
  readonly act: ActName;
  constructor(inFeatures: number, o: ConvMlpOptions = {}) {
    super();
    const hidden = o.hiddenFeatures ?? inFeatures;
    this.act = resolveAct(o.actLayer ?? 'relu');
    this.fc1 = this.addModule('fc1', new Conv2d(inFeatures, hidden, 1, { bias: o.bias ?? true }));
    this.norm = o.normLayer ? this.addModule('norm', o.normLayer(hidden)) : null;
    this.fc2 = this.addModule('fc2', new Conv2d(hidden, o.outFeatures ?? inFeatures, 1, { bias: o.bias ?? true }));
  }
  override forward(x: tf.Tensor): tf.Tensor {
    let h = this.fc1.forward(x);
    if (this.norm) h = this.norm.forward(h);
    return this.fc2.forward(applyAct(this.act, h));
  }
}
