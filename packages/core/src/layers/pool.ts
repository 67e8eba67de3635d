import * as tf from '@tensorflow/tfjs-core';
import { Identity, Module } from '../module.js';
import { Conv2d } from './conv.js';
import { getPadding, type Pair, toPair } from './helpers.js';
import { Linear } from './linear.js';
import { wasmFastPaths } from './portable.js';

/** Global pool types as timm's SelectAdaptivePool2d names them; `''` means no pooling (the NHWC map passes through). */
export type PoolType = '' | 'avg' | 'max' | 'avgmax' | 'catavgmax' | 'fast' | 'fastavg';

const POOL_TYPES: readonly string[] = ['', 'avg', 'max', 'avgmax', 'catavgmax', 'fast', 'fastavg'];

/** How many times the channel count a pool type outputs (catavgmax concatenates avg and max). */
export function poolFeatMult(poolType: PoolType | string): number {
  return poolType === 'catavgmax' ? 2 : 1;
}

/**
 * Mean (or max) over H and W of an NHWC map: `[N, H, W, C]` → `[N, 1, 1, C]` with `keepDims`, else `[N, C]`. On wasm
 * this is a pool over the whole map (XNNPACK's pooling, 4–10× faster there: tfjs-wasm's `Mean`/`Max` over axes
 * [1, 2] transpose the map first); elsewhere `tf.mean` / `tf.max`.
 */
export function spatialMean(x: tf.Tensor, keepDims = false): tf.Tensor {
  return spatialReduce(x, 'avg', keepDims);
}

/** Max over H and W of an NHWC map; see `spatialMean`. */
export function spatialMax(x: tf.Tensor, keepDims = false): tf.Tensor {
  return spatialReduce(x, 'max', keepDims);
}

function spatialReduce(x: tf.Tensor, kind: 'avg' | 'max', keepDims: boolean): tf.Tensor {
  const [n, h, w, c] = x.shape;
  if (x.rank !== 4 || !wasmFastPaths() || h! * w! < 2 || x.dtype !== 'float32') {
    return kind === 'avg' ? tf.mean(x, [1, 2], keepDims) : tf.max(x, [1, 2], keepDims);
  }
  const x4 = x as tf.Tensor4D;
  const y = kind === 'avg' ? tf.avgPool(x4, [h!, w!], 1, 'valid') : tf.maxPool(x4, [h!, w!], 1, 'valid');
  return keepDims ? y : tf.reshape(y, [n!, c!]);
}

/** Global pooling over H and W of an NHWC map. */
export function globalPool(x: tf.Tensor, poolType: PoolType | string, keepDims = false): tf.Tensor {
  switch (poolType) {
    case 'avg':
    case 'fast':
    case 'fastavg':
      return spatialMean(x, keepDims);
    case 'max':
      return spatialMax(x, keepDims);
    case 'avgmax':
      return tf.mul(tf.add(spatialMean(x, keepDims), spatialMax(x, keepDims)), 0.5);
    case 'catavgmax':
      return tf.concat([spatialMean(x, keepDims), spatialMax(x, keepDims)], -1);
    case '':
      return x;
    default:
      throw new Error(`Unknown global pool type '${poolType}'. Use one of: avg, max, avgmax, catavgmax, ''`);
  }
}

/** timm's SelectAdaptivePool2d (output size 1): pools and flattens to [B, C], or passes the map through for `''`. */
export class SelectAdaptivePool2d extends Module {
  readonly poolType: PoolType;
  readonly flatten: boolean;
  constructor(options: { poolType?: PoolType | string; flatten?: boolean } = {}) {
    super();
    this.poolType = (options.poolType ?? 'avg') as PoolType;
    if (!POOL_TYPES.includes(this.poolType)) {
      throw new Error(`Unknown global pool type '${this.poolType}'. Use one of: avg, max, avgmax, catavgmax, ''`);
    }
    this.flatten = options.flatten ?? true;
  }
  isIdentity(): boolean {
    return this.poolType === '';
  }
  featMult(): number {
    return poolFeatMult(this.poolType);
  }
  override forward(x: tf.Tensor): tf.Tensor {
    if (this.poolType === '') return x;
    return globalPool(x, this.poolType, !this.flatten);
  }
}

/** timm's `create_classifier`: the global pool and the fc (Linear, 1×1 Conv2d with `useConv`, or Identity for 0 classes). */
export function createClassifier(
  numFeatures: number,
  numClasses: number,
  poolType: PoolType | string = 'avg',
  options: { useConv?: boolean } = {},
): { globalPool: SelectAdaptivePool2d; fc: Module } {
  if (!poolType && numClasses > 0 && !options.useConv) {
    throw new Error(`global pool '' (none) needs numClasses 0 or a conv classifier`);
  }
  const pool = new SelectAdaptivePool2d({ poolType, flatten: !options.useConv });
  const inF = numFeatures * pool.featMult();
  let fc: Module;
  if (numClasses <= 0) fc = new Identity();
  else if (options.useConv) fc = new Conv2d(inF, numClasses, 1, { bias: true });
  else fc = new Linear(inF, numClasses);
  return { globalPool: pool, fc };
}

/** Output length of a PyTorch pooling window with optional ceil mode. */
function torchPoolOut(size: number, k: number, s: number, p: number, ceil: boolean): number {
  let out = (ceil ? Math.ceil : Math.floor)((size + 2 * p - k) / s) + 1;
  // PyTorch drops a last window that would start in the right padding.
  if (ceil && (out - 1) * s >= size + p) out--;
  return out;
}

/** Extra bottom/right padding ceil mode needs beyond the symmetric padding. */
function ceilExtra(size: number, k: number, s: number, p: number, ceil: boolean): number {
  const out = torchPoolOut(size, k, s, p, ceil);
  return Math.max(0, (out - 1) * s + k - (size + 2 * p));
}

export interface PoolOptions {
  stride?: number | Pair;
  padding?: number | Pair;
  ceilMode?: boolean;
  countIncludePad?: boolean;
}

/** What nn.MaxPool2d and nn.AvgPool2d share: kernel, stride (default: the kernel), padding and ceil_mode. */
abstract class TorchPool2d extends Module {
  readonly kernel: Pair;
  readonly stride: Pair;
  readonly padding: Pair;
  readonly ceilMode: boolean;
  constructor(kernelSize: number | Pair, options: PoolOptions = {}) {
    super();
    this.kernel = toPair(kernelSize);
    this.stride = toPair(options.stride ?? kernelSize);
    this.padding = toPair(options.padding ?? 0);
    this.ceilMode = options.ceilMode ?? false;
  }
}

/** nn.MaxPool2d with PyTorch's padding (pads never win) and ceil_mode. */
export class MaxPool2d extends TorchPool2d {
  override forward(x: tf.Tensor): tf.Tensor {
    const [, h, w] = x.shape as number[];
    const [kh, kw] = this.kernel;
    const [sh, sw] = this.stride;
    const [ph, pw] = this.padding;
    const eh = ceilExtra(h!, kh, sh, ph, this.ceilMode);
    const ew = ceilExtra(w!, kw, sw, pw, this.ceilMode);
    const pad: [[number, number], [number, number], [number, number], [number, number]] = [[0, 0], [ph, ph + eh], [pw, pw + ew], [0, 0]];
    return tf.maxPool(x as tf.Tensor4D, this.kernel, this.stride, pad as never);
  }
}

/** timm's MaxPool2dSame / TF 'SAME' max pooling. */
export class MaxPool2dSame extends Module {
  constructor(readonly kernel: number, readonly stride: number = kernel) {
    super();
  }
  override forward(x: tf.Tensor): tf.Tensor {
    return tf.maxPool(x as tf.Tensor4D, this.kernel, this.stride, 'same');
  }
}

/** nn.AvgPool2d with PyTorch's padding, ceil_mode and count_include_pad. */
export class AvgPool2d extends TorchPool2d {
  readonly countIncludePad: boolean;
  constructor(kernelSize: number | Pair, options: PoolOptions = {}) {
    super(kernelSize, options);
    this.countIncludePad = options.countIncludePad ?? true;
  }
  override forward(x: tf.Tensor): tf.Tensor {
    return avgPoolTorch(x, this.kernel, this.stride, this.padding, this.ceilMode, this.countIncludePad);
  }
}

/** PyTorch avg_pool2d on NHWC: explicit zero padding is counted when `countIncludePad`; ceil overflow never is. */
export function avgPoolTorch(x: tf.Tensor, kernel: Pair, stride: Pair, padding: Pair, ceilMode: boolean, countIncludePad: boolean): tf.Tensor {
  const [, h, w] = x.shape as number[];
  const [kh, kw] = kernel;
  const [sh, sw] = stride;
  const [ph, pw] = padding;
  const eh = ceilExtra(h!, kh, sh, ph, ceilMode);
  const ew = ceilExtra(w!, kw, sw, pw, ceilMode);
  let inp = x as tf.Tensor4D;
  let pad: [[number, number], [number, number], [number, number], [number, number]];
  if (countIncludePad && (ph || pw)) {
    inp = tf.pad(inp, [[0, 0], [ph, ph], [pw, pw], [0, 0]]);
    pad = [[0, 0], [0, eh], [0, ew], [0, 0]];
  } else {
    pad = [[0, 0], [ph, ph + eh], [pw, pw + ew], [0, 0]];
  }
  if (!eh && !ew && !(pad[1][0] || pad[2][0])) return tf.avgPool(inp, kernel, stride, 'valid');
  return avgPoolExcludingPad(inp, kernel, stride, pad);
}

/** Average pooling where padded cells are left out of each window's divisor (TF semantics), for explicit pads. */
function avgPoolExcludingPad(
  x: tf.Tensor4D,
  kernel: Pair,
  stride: Pair,
  pad: [[number, number], [number, number], [number, number], [number, number]],
): tf.Tensor {
  const [b, h, w] = x.shape;
  const padded = tf.pad(x, pad);
  const sum = tf.mul(tf.avgPool(padded, kernel, stride, 'valid'), kernel[0] * kernel[1]);
  const ones = tf.pad(tf.ones([1, h, w, 1]), pad) as tf.Tensor4D;
  const count = tf.mul(tf.avgPool(ones, kernel, stride, 'valid'), kernel[0] * kernel[1]);
  void b;
  return tf.div(sum, count);
}

/**
 * timm's BlurPool2d: pad (reflect by default; `'constant'` pads with zeros, as timm's `'blurpc'`), then a fixed
 * binomial depthwise blur with stride. Its filter is not in the state dict.
 */
export class BlurPool2d extends Module {
  readonly filtSize: number;
  readonly stride: number;
  readonly padMode: 'reflect' | 'constant';
  private filt: tf.Tensor4D | null = null;
  constructor(readonly channels: number, options: { filtSize?: number; stride?: number; padMode?: 'reflect' | 'constant' } = {}) {
    super();
    this.filtSize = options.filtSize ?? 3;
    this.stride = options.stride ?? 2;
    this.padMode = options.padMode ?? 'reflect';
    if (this.padMode !== 'reflect' && this.padMode !== 'constant') throw new RangeError(`BlurPool2d: padMode must be 'reflect' or 'constant', got '${this.padMode}'`);
  }
  private filter(): tf.Tensor4D {
    if (!this.filt) {
      const n = this.filtSize - 1;
      const coeffs: number[] = [];
      for (let k = 0; k <= n; k++) coeffs.push(binom(n, k) / 2 ** n);
      const vals: number[] = [];
      for (let i = 0; i <= n; i++) for (let j = 0; j <= n; j++) for (let c = 0; c < this.channels; c++) vals.push(coeffs[i]! * coeffs[j]!);
      this.filt = tf.keep(tf.tensor4d(vals, [this.filtSize, this.filtSize, this.channels, 1]));
    }
    return this.filt;
  }
  override forward(x: tf.Tensor): tf.Tensor {
    const p = getPadding(this.filtSize, this.stride, 1);
    const pads: [number, number][] = [[0, 0], [p, p], [p, p], [0, 0]];
    const padded = this.padMode === 'constant' ? tf.pad(x as tf.Tensor4D, pads) : tf.mirrorPad(x as tf.Tensor4D, pads, 'reflect');
    return tf.depthwiseConv2d(padded, this.filter(), this.stride, 'valid');
  }
  override dispose(): void {
    this.filt?.dispose();
    this.filt = null;
    super.dispose();
  }
}

function binom(n: number, k: number): number {
  let r = 1;
  for (let i = 1; i <= k; i++) r = (r * (n - k + i)) / i;
  return r;
}
