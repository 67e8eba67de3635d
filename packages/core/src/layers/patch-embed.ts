import * as tf from '@tensorflow/tfjs-core';
import { Module } from '../module.js';
import { Conv2d } from './conv.js';
import { type Pair, toPair } from './helpers.js';
import type { NormFactory } from './mlp.js';

export interface PatchEmbedOptions {
  imgSize?: number | Pair | null;
  patchSize?: number | Pair;
  inChans?: number;
  embedDim?: number;
  bias?: boolean;
  /** A norm after the projection (timm's `norm_layer`); none when undefined. */
  normLayer?: NormFactory;
  /** Flatten to tokens `[B, N, C]` (default true); otherwise NHWC maps `[B, gh, gw, C]`. */
  flatten?: boolean;
  /** Require the input size to equal imgSize (timm's `strict_img_size`, default true). */
  strictImgSize?: boolean;
  /** Pad right/bottom up to a multiple of the patch size (timm's `dynamic_img_pad`). */
  dynamicImgPad?: boolean;
}

/** timm's `PatchEmbed`: a patch×patch conv with stride patch over NHWC input. Keys: proj, norm. */
export class PatchEmbed extends Module {
  readonly patchSize: Pair;
  imgSize: Pair | null;
  gridSize: Pair | null;
  numPatches: number | null;
  readonly flatten: boolean;
  readonly strictImgSize: boolean;
  readonly dynamicImgPad: boolean;
  readonly proj: Conv2d;
  readonly norm: Module | null;
  constructor(options: PatchEmbedOptions = {}) {
    super();
    this.patchSize = toPair(options.patchSize ?? 16);
    const img = options.imgSize === undefined ? 224 : options.imgSize;
    this.imgSize = img === null ? null : toPair(img);
    this.gridSize = this.imgSize ? [Math.floor(this.imgSize[0] / this.patchSize[0]), Math.floor(this.imgSize[1] / this.patchSize[1])] : null;
    this.numPatches = this.gridSize ? this.gridSize[0] * this.gridSize[1] : null;
    this.flatten = options.flatten ?? true;
    this.strictImgSize = options.strictImgSize ?? true;
    this.dynamicImgPad = options.dynamicImgPad ?? false;
    const embedDim = options.embedDim ?? 768;
    this.proj = this.addModule('proj', new Conv2d(options.inChans ?? 3, embedDim, this.patchSize, {
      stride: this.patchSize[0], padding: 0, bias: options.bias ?? true,
    }));
    if (this.patchSize[0] !== this.patchSize[1]) throw new Error('PatchEmbed: non-square patches are not supported');
    this.norm = options.normLayer ? this.addModule('norm', options.normLayer(embedDim)) : null;
  }

  /** Feature reduction (the patch size). */
  featRatio(): number {
    return this.patchSize[0];
  }

  /** The token grid for an input of `imgSize` (timm's `dynamic_feat_size`). */
  dynamicFeatSize(imgSize: Pair): Pair {
    const [ph, pw] = this.patchSize;
    if (this.dynamicImgPad) return [Math.ceil(imgSize[0] / ph), Math.ceil(imgSize[1] / pw)];
    return [Math.floor(imgSize[0] / ph), Math.floor(imgSize[1] / pw)];
  }

  override forward(x: tf.Tensor): tf.Tensor {
    const [, H, W] = x.shape as [number, number, number, number];
    if (this.imgSize && this.strictImgSize) {
      if (H !== this.imgSize[0] || W !== this.imgSize[1]) {
        throw new Error(`Input size (${H}x${W}) doesn't match model (${this.imgSize[0]}x${this.imgSize[1]}); build with imgSize or dynamicImgSize`);
      }
    } else if (!this.dynamicImgPad && (H % this.patchSize[0] !== 0 || W % this.patchSize[1] !== 0)) {
      throw new Error(`Input size (${H}x${W}) must be divisible by the patch size ${this.patchSize[0]}`);
    }
    if (this.dynamicImgPad) {
      const padH = (this.patchSize[0] - (H % this.patchSize[0])) % this.patchSize[0];
      const padW = (this.patchSize[1] - (W % this.patchSize[1])) % this.patchSize[1];
      if (padH || padW) x = tf.pad(x, [[0, 0], [0, padH], [0, padW], [0, 0]]);
    }
    let y = this.proj.forward(x);
    if (this.flatten) {
      const [B, gh, gw, C] = y.shape as [number, number, number, number];
      y = tf.reshape(y, [B, gh * gw, C]);
    }
    if (this.norm) y = this.norm.forward(y);
    return y;
  }
}
