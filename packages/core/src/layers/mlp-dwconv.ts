import type * as tf from '@tensorflow/tfjs-core';
import { Module } from '../module.js';
import { type ActName, resolveAct } from './activations.js';
import { Conv2d } from './conv.js';
import { Linear } from './linear.js';

export interface MlpWithDepthwiseConvOptions {
  hiddenFeatures?: number;
  outFeatures?: number;
  /** timm act_layer name (default 'gelu', exact erf). */
  actLayer?: string;
  /** A ReLU before the depthwise conv (timm's `extra_relu`, PVT-v2's linear variant). */
  extraRelu?: boolean;
}

/**
 * timm's `MlpWithDepthwiseConv` (PVT-v2): fc1 → (ReLU) → 3×3 depthwise conv with bias → act → fc2. timm runs it on
 * tokens and folds them back into a map for the conv; here the input is the NHWC map itself (linears act on the last
 * axis), so no folding is needed. Keys: fc1, dwconv, fc2. Dropout is identity at inference.
 */
export class MlpWithDepthwiseConv extends Module {
  readonly fc1: Linear;
  readonly dwconv: Conv2d;
  readonly fc2: Linear;
  readonly act: ActName;
  readonly extraRelu: boolean;
  constructor(inFeatures: number, options: MlpWithDepthwiseConvOptions = {}) {
    super();
    const hidden = options.hiddenFeatures ?? inFeatures;
    this.act = resolveAct(options.actLayer ?? 'gelu');
    this.extraRelu = options.extraRelu ?? false;
    this.fc1 = this.addModule('fc1', new Linear(inFeatures, hidden));
    this.dwconv = this.addModule('dwconv', new Conv2d(hidden, hidden, 3, { padding: 1, groups: hidden, bias: true }));
    this.fc2 = this.addModule('fc2', new Linear(hidden, options.outFeatures ?? inFeatures));
  }

  /** `x`: an NHWC map `[B, H, W, C]`. */
  override forward(x: tf.Tensor): tf.Tensor {
    if (x.rank !== 4) throw new Error(`MlpWithDepthwiseConv takes an NHWC map [B, H, W, C], got shape [${x.shape.join(', ')}]`);
    const h = this.fc1.forwardAct(x, this.extraRelu ? 'relu' : 'identity');
    return this.fc2.forward(this.dwconv.forwardAct(h, this.act));
  }
}
