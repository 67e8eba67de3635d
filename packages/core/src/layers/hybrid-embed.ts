import * as tf from '@tensorflow/tfjs-core';
import { Identity, Module } from '../module.js';
import { Conv2d } from './conv.js';
import { type Pair, toPair } from './helpers.js';

/**
 * What a ViT hands its patch-embedding layer (timm's `embed_layer(img_size=…, patch_size=…, in_chans=…, embed_dim=…,
 * bias=…, dynamic_img_pad=…, strict_img_size=…)`), so that a model can be built with another embedding than PatchEmbed.
 */
export interface EmbedLayerOptions {
  imgSize: number | Pair;
  patchSize: number | Pair;
  inChans: number;
  embedDim: number;
  bias: boolean;
  dynamicImgPad: boolean;
  strictImgSize: boolean;
}

/**
 * timm's patch-embedding contract as a ViT uses it: NHWC images in, tokens `[B, N, C]` out, the token grid of the
 * built image size, the total reduction, and the grid for another input size.
 */
export interface EmbedLayer extends Module {
  readonly numPatches: number | null;
  readonly gridSize: Pair | null;
  featRatio(): number;
  dynamicFeatSize(imgSize: Pair): Pair;
}

/** timm's `embed_layer` argument: builds the embedding from what the ViT knows. */
export type EmbedLayerFactory = (o: EmbedLayerOptions) => EmbedLayer;

export interface HybridEmbedOptions extends Partial<EmbedLayerOptions> {
  /**
   * The backbone's output grid at `imgSize` (timm's `feature_size`). When not given it is measured as timm does: one
   * forward pass of zeros through the backbone (which creates its parameters).
   */
  featureSize?: number | Pair | null;
  /** The backbone's output channels, when `featureSize` is given (timm's `feature_dim`). */
  featureDim?: number;
  /** The backbone's reduction, when `featureSize` is given (timm's `feature_ratio`, default 16). */
  featureRatio?: number | Pair;
  /** A patch×patch projection to `embedDim` (default); without it the backbone's channels must equal `embedDim`. */
  proj?: boolean;
}

/**
 * timm's `HybridEmbed`: any CNN backbone (a module returning an NHWC map, or a list of them: the last is used), then
 * a patch×patch conv to the embedding width, flattened to tokens `[B, N, C]`. Keys: backbone.*, proj.
 */
export class HybridEmbed extends Module implements EmbedLayer {
  readonly backbone: Module<unknown>;
  readonly imgSize: Pair;
  readonly patchSize: Pair;
  readonly featureSize: Pair;
  readonly featureRatio: Pair;
  readonly featureDim: number;
  readonly gridSize: Pair;
  readonly numPatches: number;
  readonly strictImgSize: boolean;
  readonly dynamicImgPad: boolean;
  readonly proj: Module;

  constructor(backbone: Module<unknown>, o: HybridEmbedOptions = {}) {
    super();
    this.backbone = backbone;
    // A features model (a list of maps out) is held as a plain child: only its parameters and forward matter here.
    this.addModule('backbone', backbone as unknown as Module);
    this.imgSize = toPair(o.imgSize ?? 224);
    this.patchSize = toPair(o.patchSize ?? 1);
    const inChans = o.inChans ?? 3;
    if (o.featureSize === undefined || o.featureSize === null) {
      // timm: "the most reliable way of determining output dims is to run a forward pass".
      const [h, w, c] = tf.tidy(() => {
        const out = backbone.forward(tf.zeros([1, this.imgSize[0], this.imgSize[1], inChans])) as tf.Tensor | tf.Tensor[];
        const last = Array.isArray(out) ? out[out.length - 1]! : out;
        return last.shape.slice(1) as number[];
      }) as [number, number, number];
      this.featureSize = [h, w];
      this.featureDim = c;
      this.featureRatio = [Math.floor(this.imgSize[0] / h), Math.floor(this.imgSize[1] / w)];
    } else {
      if (o.featureDim === undefined) throw new Error('HybridEmbed: featureSize needs featureDim (the backbone\'s output channels)');
      this.featureSize = toPair(o.featureSize);
      this.featureDim = o.featureDim;
      this.featureRatio = toPair(o.featureRatio ?? 16);
    }
    this.strictImgSize = o.strictImgSize ?? true;
    this.dynamicImgPad = o.dynamicImgPad ?? false;
    const [ph, pw] = this.patchSize;
    if (!this.dynamicImgPad && (this.featureSize[0] % ph !== 0 || this.featureSize[1] % pw !== 0)) {
      throw new Error(`HybridEmbed: the backbone's ${this.featureSize[0]}x${this.featureSize[1]} map is not a multiple of the patch size ${ph}`);
    }
    this.gridSize = [Math.floor(this.featureSize[0] / ph), Math.floor(this.featureSize[1] / pw)];
    this.numPatches = this.gridSize[0] * this.gridSize[1];
    const embedDim = o.embedDim ?? 768;
    if (o.proj ?? true) {
      this.proj = this.addModule('proj', new Conv2d(this.featureDim, embedDim, this.patchSize, { stride: ph, padding: 0, bias: o.bias ?? true }));
    } else {
      if (this.featureDim !== embedDim) throw new Error(`HybridEmbed: without a projection the feature dim (${this.featureDim}) must equal embedDim (${embedDim})`);
      this.proj = new Identity();
    }
  }

  /** The total reduction: the backbone's times the patch size (timm's `feat_ratio`). */
  featRatio(): number {
    return Math.max(this.featureRatio[0] * this.patchSize[0], this.featureRatio[1] * this.patchSize[1]);
  }

  /** The token grid for an input of `imgSize` (timm's `dynamic_feat_size`). */
  dynamicFeatSize(imgSize: Pair): Pair {
    const f: Pair = [Math.floor(imgSize[0] / this.featureRatio[0]), Math.floor(imgSize[1] / this.featureRatio[1])];
    const [ph, pw] = this.patchSize;
    if (this.dynamicImgPad) return [Math.ceil(f[0] / ph), Math.ceil(f[1] / pw)];
    return [Math.floor(f[0] / ph), Math.floor(f[1] / pw)];
  }

  override forward(x: tf.Tensor): tf.Tensor {
    const out = this.backbone.forward(x) as tf.Tensor | tf.Tensor[];
    let y = Array.isArray(out) ? out[out.length - 1]! : out;
    if (this.dynamicImgPad) {
      const [, H, W] = y.shape as number[];
      const padH = (this.patchSize[0] - (H! % this.patchSize[0])) % this.patchSize[0];
      const padW = (this.patchSize[1] - (W! % this.patchSize[1])) % this.patchSize[1];
      if (padH || padW) y = tf.pad(y, [[0, 0], [0, padH], [0, padW], [0, 0]]);
    }
    y = this.proj.forward(y);
    const [B, gh, gw, C] = y.shape as [number, number, number, number];
    return tf.reshape(y, [B, gh * gw, C]);
  }
}
