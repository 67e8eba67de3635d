import * as tf from '@tensorflow/tfjs-core';
import { Module, type Param } from '../module.js';
import { type ActName, applyAct, fusedAct, LEAKY_SLOPE } from './activations.js';
import { differentiableConv2d } from './conv-autodiff.js';
import { getPadding, isStaticPad, type Pair, toPair } from './helpers.js';
import type { BatchNorm2d } from './norm.js';
import { recordingGradients, wasmFastPaths } from './portable.js';
import { sliceTensor, splitTensor } from './slice.js';

/**
 * Padding as timm's `create_conv2d` takes it: `''` (default) is PyTorch's symmetric `((s - 1) + d * (k - 1)) // 2`,
 * `'same'` is TensorFlow SAME (computed from the input size, extra pad bottom/right), `'valid'` is none, a number is
 * symmetric explicit padding.
 */
export type PaddingArg = '' | 'same' | 'valid' | number | Pair;

export interface Conv2dOptions {
  stride?: number;
  padding?: PaddingArg;
  dilation?: number;
  groups?: number;
  bias?: boolean;
}

type TfPad = 'same' | 'valid' | number | [[number, number], [number, number], [number, number], [number, number]];

/**
 * Resolves timm's padding argument for one conv into what tfjs ops take. A single number only for square kernels:
 * tfjs 4.x computes the output width of a numerically padded conv from the kernel's height.
 */
export function resolvePadding(padding: PaddingArg, kernel: Pair, stride: number, dilation: number): TfPad {
  if (padding === 'same') {
    // TF SAME equals symmetric static padding where that exists, so both are served by tfjs' own 'same'.
    return 'same';
  }
  if (padding === 'valid') return 'valid';
  const [ph, pw] = padding === '' ? [getPadding(kernel[0], stride, dilation), getPadding(kernel[1], stride, dilation)] : toPair(padding);
  return ph === pw && kernel[0] === kernel[1] ? ph : [[0, 0], [ph, ph], [pw, pw], [0, 0]];
}

export { isStaticPad };

/**
 * nn.Conv2d (and timm's Conv2dSame) on NHWC input. State-dict keys `weight` `[out, in/groups, kh, kw]` and `bias`.
 * Depthwise convs (groups == in channels) run as tfjs depthwise convs; other grouped convs run group by group.
 */
export class Conv2d extends Module {
  inChannels: number;
  outChannels: number;
  readonly kernelSize: Pair;
  readonly stride: number;
  readonly dilation: number;
  groups: number;
  readonly padding: PaddingArg;
  weight!: Param;
  bias!: Param | null;
  private readonly pad: TfPad;
  depthwise = false;
  private readonly hasBias: boolean;

  constructor(inChannels: number, outChannels: number, kernelSize: number | Pair, options: Conv2dOptions = {}) {
    super();
    this.inChannels = inChannels;
    this.outChannels = outChannels;
    this.kernelSize = toPair(kernelSize);
    this.stride = options.stride ?? 1;
    this.dilation = options.dilation ?? 1;
    this.groups = options.groups ?? 1;
    this.padding = options.padding ?? '';
    this.hasBias = options.bias ?? false;
    this.pad = resolvePadding(this.padding, this.kernelSize, this.stride, this.dilation);
    this.build();
  }

  private build(): void {
    const { inChannels, outChannels, groups } = this;
    if (inChannels % groups || outChannels % groups) {
      throw new Error(`Conv2d: in (${inChannels}) and out (${outChannels}) channels must be divisible by groups (${groups})`);
    }
    this.depthwise = groups > 1 && groups === inChannels;
    const [kh, kw] = this.kernelSize;
    const fanOut = (kh * kw * outChannels) / groups;
    this.weight = this.addParam('weight', [outChannels, inChannels / groups, kh, kw], {
      layout: this.depthwise ? 'dwconv' : 'conv',
      multiplier: this.depthwise ? outChannels / inChannels : 1,
      init: { kind: 'normal', std: Math.sqrt(2 / fanOut) },
    });
    this.bias = this.hasBias ? this.addParam('bias', [outChannels], { init: { kind: 'zeros' } }) : null;
  }

  /** Rebuilds at a pruned width (timm's `adapt_model_from_string`): grouped convs become depthwise at the new width. */
  adaptToPrunedShape(shape: number[]): void {
    this.outChannels = shape[0]!;
    this.inChannels = this.groups > 1 ? shape[0]! : shape[1]!;
    this.groups = this.groups > 1 ? this.inChannels : 1;
    this.build();
  }

  override forward(x: tf.Tensor): tf.Tensor {
    return this.forwardAct(x, 'identity');
  }

  /** conv → (bias) → activation, with the activation fused into the conv where tfjs can. */
  forwardAct(x: tf.Tensor, act: ActName): tf.Tensor {
    const deps = this.bias ? [this.weight, this.bias] : [this.weight];
    return this.run(x, this.weight.value, this.bias?.value ?? null, act, 'plain', deps);
  }

  /**
   * conv → BatchNorm (eval) → activation as one fused op: BN is folded into the kernel and bias once (after each
   * weight load) and kept, so a forward is a single conv with bias and (where tfjs has it) activation.
   */
  forwardBn(x: tf.Tensor, bn: BatchNorm2d, act: ActName = 'identity'): tf.Tensor {
    // Batch statistics (training) cannot be folded, nor can a fold be differentiated once cached.
    if (bn.usesBatchStats || recordingGradients()) return applyAct(act, bn.normalize(this.forwardAct(x, 'identity')));
    const deps = [this.weight, bn.weight, bn.bias, bn.runningMean, bn.runningVar];
    if (this.bias) deps.push(this.bias);
    const [w, b] = this.derived(`fold:${bn.eps}`, deps, () => {
      const [scale, shift] = bn.scaleShift();
      // The output channel is the last axis of both HWIO and depthwise [kh, kw, C, m] (flattened C*m).
      const wShape = this.weight.tfShape;
      const w = this.depthwise
        ? tf.reshape(tf.mul(tf.reshape(this.weight.value, [wShape[0]!, wShape[1]!, this.outChannels]), scale), wShape)
        : tf.mul(this.weight.value, scale);
      const b = this.bias ? tf.add(tf.mul(this.bias.value, scale), shift) : shift;
      return [w, b];
    });
    return this.run(x, w!, b!, act, `fold:${bn.eps}`, deps);
  }

  /** A depthwise kernel that tfjs-wasm would run on its slow generic path, and that tiles into 3×3 pieces. */
  private tiledDepthwise(): boolean {
    const [kh, kw] = this.kernelSize;
    return kh * kw > 9 && !WASM_FAST_DW_TAPS.has(kh * kw) && this.dilation === 1 && wasmFastPaths();
  }

  /**
   * A depthwise conv with a kernel tfjs-wasm has no fast path for (e.g. ConvNeXt's 7×7) as the sum of 3×3 depthwise
   * convs (XNNPACK's own kernel) over shifted windows of the padded input: the kernel, zero-padded to a multiple of
   * 3, is cut into 3×3 pieces (once per load, kept). Same result up to float32 rounding of the sum; ≈ 2.5× faster.
   */
  private runTiledDepthwise(x: tf.Tensor4D, w: tf.Tensor4D, b: tf.Tensor | null, act: ActName, key: string, deps: Param[]): tf.Tensor {
    const [kh, kw] = this.kernelSize;
    const th = Math.ceil(kh / 3);
    const tw = Math.ceil(kw / 3);
    const pieces = this.derived(`dwtiles:${key}`, deps, () => {
      const padded = tf.pad(w, [[0, 3 * th - kh], [0, 3 * tw - kw], [0, 0], [0, 0]]);
      const out: tf.Tensor[] = [];
      for (let i = 0; i < th; i++) for (let j = 0; j < tw; j++) out.push(sliceTensor(padded, [3 * i, 3 * j, 0, 0], [3, 3, -1, -1]));
      return out;
    });
    const [n, h, wd, c] = x.shape;
    const s = this.stride;
    const [top, bottom, left, right] = explicitPads(this.pad, h, wd, kh, kw, s);
    const ho = Math.floor((h + top + bottom - kh) / s) + 1;
    const wo = Math.floor((wd + left + right - kw) / s) + 1;
    // Extra zeros bottom / right for the kernel's zero padding, so every piece's window stays inside.
    const xp = tf.pad(x, [[0, 0], [top, bottom + 3 * th - kh], [left, right + 3 * tw - kw], [0, 0]]);
    const size = [n, s * (ho - 1) + 3, s * (wo - 1) + 3, c];
    const parts = pieces.map((piece, k) => {
      const window = sliceTensor(xp, [0, 3 * Math.floor(k / tw), 3 * (k % tw), 0], size) as tf.Tensor4D;
      return tf.depthwiseConv2d(window, piece as tf.Tensor4D, s, 'valid');
    });
    let y = parts.length > 1 ? tf.addN(parts) : parts[0]!;
    if (b) y = tf.add(y, b);
    return applyAct(act, y);
  }

  /** `w` and `b` are the parameters themselves or derived from `deps` under `key` (a grouped conv keeps their per-group parts under the same key). */
  protected run(x: tf.Tensor, w: tf.Tensor, b: tf.Tensor | null, act: ActName, key: string, deps: Param[]): tf.Tensor {
    const x4 = x as tf.Tensor4D;
    if (recordingGradients()) {
      const [, h, wd] = x4.shape;
      const [kh, kw] = this.kernelSize;
      const pads = explicitPads(this.pad, h, wd, kh, kw, this.stride);
      const geometry = { stride: this.stride, dilation: this.dilation, pads, groups: this.groups, depthwise: this.depthwise };
      return applyAct(act, differentiableConv2d(x4, w as tf.Tensor4D, b, geometry));
    }
    const fused = fusedAct(act);
    const activation = fused ?? 'linear';
    let y: tf.Tensor;
    if (this.groups === 1) {
      y = tf.fused.conv2d({
        x: x4, filter: w as tf.Tensor4D, strides: this.stride, pad: this.pad as never, dilations: this.dilation,
        bias: b ?? undefined, activation, leakyreluAlpha: LEAKY_SLOPE,
      });
    } else if (this.depthwise && this.tiledDepthwise()) {
      return this.runTiledDepthwise(x4, w as tf.Tensor4D, b, act, key, deps);
    } else if (this.depthwise) {
      y = tf.fused.depthwiseConv2d({
        x: x4, filter: w as tf.Tensor4D, strides: this.stride, pad: this.pad as never, dilations: this.dilation,
        bias: b ?? undefined, activation, leakyreluAlpha: LEAKY_SLOPE,
      });
    } else {
      const g = this.groups;
      const xs = splitTensor(x4, g, 3);
      // The weights' per-group parts are split once (per load) and kept, not on every call.
      const parts = this.derived(`groups:${key}`, deps, () => [...splitTensor(w, g, 3), ...(b ? splitTensor(b, g, 0) : [])]);
      const ws = parts.slice(0, g);
      const bs = b ? parts.slice(g) : null;
      const ys = xs.map((xi, i) =>
        tf.fused.conv2d({
          x: xi as tf.Tensor4D, filter: ws[i] as tf.Tensor4D, strides: this.stride, pad: this.pad as never,
          dilations: this.dilation, bias: bs?.[i], activation, leakyreluAlpha: LEAKY_SLOPE,
        }),
      );
      y = tf.concat(ys, 3);
    }
    return fused ? y : applyAct(act, y);
  }
}

/**
 * Depthwise kernels with these many taps have their own XNNPACK kernel in tfjs-wasm; any other size above 9 taps
 * (4×4, 7×7, 9×9, …) takes a generic path ≈ 5–10× slower per multiply-add (measured: a 7×7 costs 7× a 5×5).
 */
const WASM_FAST_DW_TAPS = new Set([25]);

/** [top, bottom, left, right] padding of one conv input, as tfjs applies `pad` (TF SAME: extra bottom / right). */
function explicitPads(pad: TfPad, h: number, w: number, kh: number, kw: number, stride: number): [number, number, number, number] {
  if (typeof pad === 'number') return [pad, pad, pad, pad];
  if (pad === 'valid') return [0, 0, 0, 0];
  if (pad === 'same') {
    const along = (size: number, k: number) => Math.max((Math.ceil(size / stride) - 1) * stride + k - size, 0);
    const ph = along(h, kh);
    const pw = along(w, kw);
    return [Math.floor(ph / 2), ph - Math.floor(ph / 2), Math.floor(pw / 2), pw - Math.floor(pw / 2)];
  }
  return [pad[1][0], pad[1][1], pad[2][0], pad[2][1]];
}

export interface CreateConv2dOptions extends Conv2dOptions {
  depthwise?: boolean;
}

/** timm's `create_conv2d`: bias off by default, `depthwise` sets groups to the input channels. */
export function createConv2d(inChannels: number, outChannels: number, kernelSize: number, options: CreateConv2dOptions = {}): Conv2d {
  const groups = options.depthwise ? inChannels : (options.groups ?? 1);
  return new Conv2d(inChannels, outChannels, kernelSize, { ...options, groups, bias: options.bias ?? false });
}
