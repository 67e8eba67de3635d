import * as tf from '@tensorflow/tfjs-core';
import { Identity, Module } from '../module.js';
import { resolveAct } from './activations.js';
import { Conv2d } from './conv.js';
import { convNormAct } from './fuse.js';
import { Dropout } from './misc.js';
import { BatchNorm2d } from './norm.js';
import { roundHalfEven } from './rounding.js';

/**
 * The conv blocks of timm's EfficientViT (MIT, `efficientvit_mit.py`): conv → norm → act units whose state-dict
 * slots are `conv`, `norm`, `act` (timm.layers' ConvNormAct says `bn`), and the depthwise-separable, inverted
 * bottleneck and fused inverted bottleneck blocks built of them. Each block takes its layers' bias, norm and
 * activation either once for all or per layer (timm's `val2tuple`).
 */

/** A norm for a conv's output channels, or null for none (timm's `norm_layer=None`: an Identity, no keys). */
export type LiteNorm = ((channels: number) => Module) | null;

/** timm's `nn.BatchNorm2d` as a {@link LiteNorm} (EfficientViT-L builds them with eps 1e-7). */
export function liteBatchNorm(eps = 1e-5): LiteNorm {
  return (channels) => new BatchNorm2d(channels, { eps });
}

/** A setting given once for every layer of a block, or per layer (the last one repeated where short, as `val2tuple`). */
export type PerLayer<T> = T | readonly T[];

function perLayer<T>(v: PerLayer<T>, n: number): T[] {
  if (!Array.isArray(v)) return Array.from({ length: n }, () => v as T);
  const list = [...(v as readonly T[])];
  if (list.length === 0) throw new Error('a per-layer setting needs at least one value');
  while (list.length < n) list.push(list[list.length - 1]!);
  return list;
}

export interface LiteConvOptions {
  stride?: number;
  dilation?: number;
  groups?: number;
  bias?: boolean;
  /** Dropout before the conv (identity at inference). */
  dropout?: number;
  /** Default BatchNorm (eps 1e-5); null for none. */
  norm?: LiteNorm;
  /** Default relu; null for none. */
  act?: string | null;
}

/**
 * timm's EfficientViT `ConvNormAct`: dropout → conv (PyTorch padding) → norm → activation. Keys: conv.weight
 * (conv.bias), norm.*. A BatchNorm folds into the conv and a fusable activation runs inside it.
 */
export class LiteConvNormAct extends Module {
  readonly conv: Conv2d;
  readonly norm: Module;
  readonly dropout: Dropout;
  readonly act;
  constructor(inChannels: number, outChannels: number, kernelSize = 3, options: LiteConvOptions = {}) {
    super();
    this.dropout = this.addModule('dropout', new Dropout(options.dropout ?? 0));
    this.conv = this.addModule('conv', new Conv2d(inChannels, outChannels, kernelSize, {
      stride: options.stride ?? 1, dilation: options.dilation ?? 1, groups: options.groups ?? 1, bias: options.bias ?? false,
    }));
    const norm = options.norm === undefined ? liteBatchNorm() : options.norm;
    this.norm = this.addModule('norm', norm ? norm(outChannels) : new Identity());
    this.act = resolveAct(options.act === undefined ? 'relu' : options.act);
  }
  override forward(x: tf.Tensor): tf.Tensor {
    return convNormAct(this.dropout.forward(x), this.conv, this.norm, this.act);
  }
}

/** Per-layer bias, norm and activation of a Lite block. */
export interface LiteBlockOptions {
  stride?: number;
  kernelSize?: number;
  bias?: PerLayer<boolean>;
  norm?: PerLayer<LiteNorm>;
  act?: PerLayer<string | null>;
}

/** The layers' settings of a block of `n` layers, with timm's defaults for the block. */
function layers(n: number, o: LiteBlockOptions, defaultAct: PerLayer<string | null>) {
  const bias = perLayer(o.bias ?? false, n);
  const norm = perLayer(o.norm === undefined ? liteBatchNorm() : o.norm, n);
  const act = perLayer(o.act === undefined ? defaultAct : o.act, n);
  return (i: number, extra: LiteConvOptions = {}): LiteConvOptions => ({ bias: bias[i], norm: norm[i], act: act[i], ...extra });
}

/** Runs a block's named layers in order. */
abstract class LiteSequence extends Module {
  protected abstract readonly steps: readonly Module[];
  override forward(x: tf.Tensor): tf.Tensor {
    for (const m of this.steps) x = m.forward(x);
    return x;
  }
}

/** timm's EfficientViT `DSConv`: depthwise k×k (relu6) → pointwise 1×1 (no act). Keys: depth_conv, point_conv. */
export class LiteDSConv extends LiteSequence {
  readonly depthConv: LiteConvNormAct;
  readonly pointConv: LiteConvNormAct;
  protected readonly steps: readonly Module[];
  constructor(inChannels: number, outChannels: number, options: LiteBlockOptions = {}) {
    super();
    const l = layers(2, options, ['relu6', null]);
    this.depthConv = this.addModule('depth_conv', new LiteConvNormAct(inChannels, inChannels, options.kernelSize ?? 3, l(0, { stride: options.stride ?? 1, groups: inChannels })));
    this.pointConv = this.addModule('point_conv', new LiteConvNormAct(inChannels, outChannels, 1, l(1)));
    this.steps = [this.depthConv, this.pointConv];
  }
}

/** The hidden width of an expanding block: `midChannels`, else `round(in × expandRatio)` (Python's rounding). */
function hiddenWidth(inChannels: number, midChannels: number | undefined, expandRatio: number): number {
  return midChannels || roundHalfEven(inChannels * expandRatio);
}

export interface LiteExpandOptions extends LiteBlockOptions {
  midChannels?: number;
  expandRatio?: number;
}

/** timm's EfficientViT `ConvBlock`: k×k conv (strided) → k×k conv. Keys: conv1, conv2. */
export class LiteConvBlock extends LiteSequence {
  readonly conv1: LiteConvNormAct;
  readonly conv2: LiteConvNormAct;
  protected readonly steps: readonly Module[];
  constructor(inChannels: number, outChannels: number, options: LiteExpandOptions = {}) {
    super();
    const l = layers(2, options, ['relu6', null]);
    const mid = hiddenWidth(inChannels, options.midChannels, options.expandRatio ?? 1);
    const k = options.kernelSize ?? 3;
    this.conv1 = this.addModule('conv1', new LiteConvNormAct(inChannels, mid, k, l(0, { stride: options.stride ?? 1 })));
    this.conv2 = this.addModule('conv2', new LiteConvNormAct(mid, outChannels, k, l(1)));
    this.steps = [this.conv1, this.conv2];
  }
}

/**
 * timm's EfficientViT `MBConv`: 1×1 expansion → depthwise k×k (strided) → 1×1 projection (relu6, relu6, none by
 * default). Keys: inverted_conv, depth_conv, point_conv.
 */
export class LiteMBConv extends LiteSequence {
  readonly invertedConv: LiteConvNormAct;
  readonly depthConv: LiteConvNormAct;
  readonly pointConv: LiteConvNormAct;
  protected readonly steps: readonly Module[];
  constructor(inChannels: number, outChannels: number, options: LiteExpandOptions = {}) {
    super();
    const l = layers(3, options, ['relu6', 'relu6', null]);
    const mid = hiddenWidth(inChannels, options.midChannels, options.expandRatio ?? 6);
    this.invertedConv = this.addModule('inverted_conv', new LiteConvNormAct(inChannels, mid, 1, l(0)));
    this.depthConv = this.addModule('depth_conv', new LiteConvNormAct(mid, mid, options.kernelSize ?? 3, l(1, { stride: options.stride ?? 1, groups: mid })));
    this.pointConv = this.addModule('point_conv', new LiteConvNormAct(mid, outChannels, 1, l(2)));
    this.steps = [this.invertedConv, this.depthConv, this.pointConv];
  }
}

/** timm's EfficientViT `FusedMBConv`: k×k expansion (strided, grouped) → 1×1 projection. Keys: spatial_conv, point_conv. */
export class LiteFusedMBConv extends LiteSequence {
  readonly spatialConv: LiteConvNormAct;
  readonly pointConv: LiteConvNormAct;
  protected readonly steps: readonly Module[];
  constructor(inChannels: number, outChannels: number, options: LiteExpandOptions & { groups?: number } = {}) {
    super();
    const l = layers(2, options, ['relu6', null]);
    const mid = hiddenWidth(inChannels, options.midChannels, options.expandRatio ?? 6);
    this.spatialConv = this.addModule('spatial_conv', new LiteConvNormAct(inChannels, mid, options.kernelSize ?? 3, l(0, { stride: options.stride ?? 1, groups: options.groups ?? 1 })));
    this.pointConv = this.addModule('point_conv', new LiteConvNormAct(mid, outChannels, 1, l(1)));
    this.steps = [this.spatialConv, this.pointConv];
  }
}

/**
 * timm's EfficientViT `ResidualBlock`: `main(x)`, plus `x` when there is a shortcut (timm passes an Identity, or
 * None for a block that changes shape). Keys: main.* (no pre-norm in EfficientViT's blocks).
 */
export class LiteResidualBlock extends Module {
  readonly main: Module;
  constructor(main: Module, readonly shortcut: boolean) {
    super();
    this.main = this.addModule('main', main);
  }
  override forward(x: tf.Tensor): tf.Tensor {
    const y = this.main.forward(x);
    return this.shortcut ? tf.add(y, x) : y;
  }
}
