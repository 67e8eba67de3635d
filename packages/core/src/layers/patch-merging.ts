import * as tf from '@tensorflow/tfjs-core';
import { Module } from '../module.js';
import { Linear } from './linear.js';
import type { NormFactory } from './mlp.js';

export interface PatchMergingOptions {
  /** Output channels (default 2·dim). */
  outDim?: number | null;
  normLayer: NormFactory;
  /** Norm over the 4·dim merged channels before the reduction (Swin, default), or over the output after it (SwinV2). */
  normFirst?: boolean;
}

/**
 * timm's Swin `PatchMerging` over NHWC maps: each 2×2 patch's channels concatenated (odd sizes padded with zeros at
 * the bottom / right first), then a bias-free linear to `outDim` and a norm, in Swin's order (norm → reduction) or
 * SwinV2's (reduction → norm). Halves H and W. Keys: norm, reduction (in the variant's order).
 */
export class PatchMerging extends Module {
  readonly outDim: number;
  readonly normFirst: boolean;
  readonly norm: Module;
  readonly reduction: Linear;
  constructor(readonly dim: number, options: PatchMergingOptions) {
    super();
    this.outDim = options.outDim || 2 * dim;
    this.normFirst = options.normFirst ?? true;
    if (this.normFirst) {
      this.norm = this.addModule('norm', options.normLayer(4 * dim));
      this.reduction = this.addModule('reduction', new Linear(4 * dim, this.outDim, { bias: false }));
    } else {
      this.reduction = this.addModule('reduction', new Linear(4 * dim, this.outDim, { bias: false }));
      this.norm = this.addModule('norm', options.normLayer(this.outDim));
    }
  }

  override forward(x: tf.Tensor): tf.Tensor {
    const [B, H0, W0, C] = x.shape as [number, number, number, number];
    if (H0 % 2 || W0 % 2) x = tf.pad(x, [[0, 0], [0, H0 % 2], [0, W0 % 2], [0, 0]]);
    const H = (H0 + (H0 % 2)) / 2;
    const W = (W0 + (W0 % 2)) / 2;
    // [B·H, 2(row), W, 2(col), C] → [B·H, W, 2(col), 2(row), C]: timm's merged channel order (col-major 2×2 patch).
    const m = tf.reshape(tf.transpose(tf.reshape(x, [B * H, 2, W, 2, C]), [0, 2, 3, 1, 4]), [B, H, W, 4 * C]);
    return this.normFirst ? this.reduction.forward(this.norm.forward(m)) : this.norm.forward(this.reduction.forward(m));
  }
}
