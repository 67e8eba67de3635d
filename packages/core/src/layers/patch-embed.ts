import * as tf from '@tensorflow/tfjs-core';
import { Module } from '../module.js';
import { Conv2d } from './conv.js';
import { type Pair, toPair } from './helpers.js';
import type { TensorData } from '../weights/types.js';
import type { NormFactory } from './mlp.js';
import { interpWeights, type ResampleMode } from './pos-embed.js';

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

/** Solves `M X = B` (M `[n, n]`, B `[n, m]`, row-major float64) by Gaussian elimination with partial pivoting. */
function solve(M: Float64Array, B: Float64Array, n: number, m: number): Float64Array {
  const a = Float64Array.from(M);
  const b = Float64Array.from(B);
  for (let c = 0; c < n; c++) {
    let p = c;
    for (let r = c + 1; r < n; r++) if (Math.abs(a[r * n + c]!) > Math.abs(a[p * n + c]!)) p = r;
    if (a[p * n + c] === 0) throw new Error('resamplePatchEmbed: singular resize matrix');
    if (p !== c) {
      for (let k = 0; k < n; k++) [a[c * n + k], a[p * n + k]] = [a[p * n + k]!, a[c * n + k]!];
      for (let k = 0; k < m; k++) [b[c * m + k], b[p * m + k]] = [b[p * m + k]!, b[c * m + k]!];
    }
    const piv = a[c * n + c]!;
    for (let r = c + 1; r < n; r++) {
      const f = a[r * n + c]! / piv;
      if (f === 0) continue;
      for (let k = c; k < n; k++) a[r * n + k]! -= f * a[c * n + k]!;
      for (let k = 0; k < m; k++) b[r * m + k]! -= f * b[c * m + k]!;
    }
  }
  for (let c = n - 1; c >= 0; c--) {
    const piv = a[c * n + c]!;
    for (let k = 0; k < m; k++) {
      let s = b[c * m + k]!;
      for (let j = c + 1; j < n; j++) s -= a[c * n + j]! * b[j * m + k]!;
      b[c * m + k] = s / piv;
    }
  }
  return b;
}

/**
 * timm's `resample_patch_embed` (FlexiViT): a patch projection `[O, I, h, w]` resized to `newSize` patches by the
 * pseudo-inverse of the (bicubic, antialiased by default) resize matrix, so that `<resize(x), w'> = <x, w>`.
 * The pseudo-inverse is taken through the normal equations of the full-rank resize matrix (float64).
 */
export function resamplePatchEmbed(
  weight: TensorData, newSize: Pair, mode: ResampleMode = 'bicubic', antialias = true,
): TensorData {
  const [O, I, oh, ow] = weight.shape as [number, number, number, number];
  const [nh, nw] = newSize;
  if (oh === nh && ow === nw) return weight;
  const wy = interpWeights(oh, nh, mode, antialias);
  const wx = interpWeights(ow, nw, mode, antialias);
  const oldN = oh * ow;
  const newN = nh * nw;
  // R [newN, oldN]: resize of each old basis vector; A = R^T [oldN, newN]; result = pinv(A) @ k.
  const R = new Float64Array(newN * oldN);
  for (let y = 0; y < nh; y++) for (let x = 0; x < nw; x++) {
    for (let iy = 0; iy < oh; iy++) for (let ix = 0; ix < ow; ix++) {
      R[(y * nw + x) * oldN + iy * ow + ix] = wy[y * oh + iy]! * wx[x * ow + ix]!;
    }
  }
  const K = O * I;
  const src = weight.data as Float32Array;
  // kernels as columns: Kmat [oldN, K]
  const Kmat = new Float64Array(oldN * K);
  for (let k = 0; k < K; k++) for (let j = 0; j < oldN; j++) Kmat[j * K + k] = src[k * oldN + j]!;
  let out: Float64Array; // [newN, K]
  if (oldN <= newN) {
    // A full row rank: pinv(A) = A^T (A A^T)^-1 = R (R^T R)^-1 → out = R (R^T R)^-1 Kmat
    const G = new Float64Array(oldN * oldN);
    for (let i = 0; i < oldN; i++) for (let j = 0; j < oldN; j++) {
      let s = 0;
      for (let r = 0; r < newN; r++) s += R[r * oldN + i]! * R[r * oldN + j]!;
      G[i * oldN + j] = s;
    }
    const Z = solve(G, Kmat, oldN, K); // [oldN, K]
    out = new Float64Array(newN * K);
    for (let r = 0; r < newN; r++) for (let j = 0; j < oldN; j++) {
      const v = R[r * oldN + j]!;
      if (v === 0) continue;
      for (let k = 0; k < K; k++) out[r * K + k]! += v * Z[j * K + k]!;
    }
  } else {
    // A full column rank: pinv(A) = (A^T A)^-1 A^T = (R R^T)^-1 R → out = (R R^T)^-1 (R Kmat)
    const G = new Float64Array(newN * newN);
    for (let i = 0; i < newN; i++) for (let j = 0; j < newN; j++) {
      let s = 0;
      for (let c = 0; c < oldN; c++) s += R[i * oldN + c]! * R[j * oldN + c]!;
      G[i * newN + j] = s;
    }
    const RK = new Float64Array(newN * K);
    for (let r = 0; r < newN; r++) for (let j = 0; j < oldN; j++) {
      const v = R[r * oldN + j]!;
      if (v === 0) continue;
      for (let k = 0; k < K; k++) RK[r * K + k]! += v * Kmat[j * K + k]!;
    }
    out = solve(G, RK, newN, K);
  }
  const res = new Float32Array(K * newN);
  for (let k = 0; k < K; k++) for (let r = 0; r < newN; r++) res[k * newN + r] = out[r * K + k]!;
  return { dtype: 'float32', shape: [O, I, nh, nw], data: res };
}
