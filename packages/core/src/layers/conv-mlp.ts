import type * as tf from '@tensorflow/tfjs-core';
import { Identity, Module } from '../module.js';
import { type ActName, applyAct, resolveAct } from './activations.js';
import { Conv2d } from './conv.js';
import type { NormFactory } from './mlp.js';

export interface ConvMlpOptions {
  hiddenFeatures?: number;
  outFeatures?: number;
  /** timm's `act_layer` (default 'relu'). */
  actLayer?: string;
  /** A norm after fc1 (timm's `norm_layer`); an Identity when undefined. */
  normLayer?: NormFactory;
  bias?: boolean;
}

/**
 * timm's `ConvMlp` (timm.layers.mlp) on NHWC maps: 1×1 conv (fc1) → norm → act → 1×1 conv (fc2). Keys fc1, norm, fc2
 * (the norm is an Identity unless `normLayer` is given). Dropout is identity at inference.
 */
export class ConvMlp extends Module {
  readonly fc1: Conv2d;
  readonly norm: Module;
  readonly fc2: Conv2d;
  readonly act: ActName;
  constructor(inFeatures: number, options: ConvMlpOptions = {}) {
    super();
    const hidden = options.hiddenFeatures ?? inFeatures;
    const bias = options.bias ?? true;
    this.act = resolveAct(options.actLayer ?? 'relu');
    this.fc1 = this.addModule('fc1', new Conv2d(inFeatures, hidden, 1, { bias }));
    this.norm = this.addModule('norm', options.normLayer ? options.normLayer(hidden) : new Identity());
    this.fc2 = this.addModule('fc2', new Conv2d(hidden, options.outFeatures ?? inFeatures, 1, { bias }));
  }
  override forward(x: tf.Tensor): tf.Tensor {
    const h = this.norm instanceof Identity ? this.fc1.forwardAct(x, this.act) : applyAct(this.act, this.norm.forward(this.fc1.forward(x)));
    return this.fc2.forward(h);
  }
}
