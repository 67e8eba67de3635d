import type * as tf from '@tensorflow/tfjs-core';
import {
  type AaLayerName, type ActName, applyAct, BatchNorm2d, BatchNormAct2d, Conv2d, convNormAct, createAa as coreCreateAa,
  createConv2dMixed, EvoNorm2dS0, GroupNormAct, Identity, LayerNorm2d, type MixedConv2d, type Module, type PaddingArg,
  resolveAct,
} from '@zoo/core';

/** A norm layer as timm's builders take it (`norm_layer` partials): BatchNorm (eps), GroupNorm (group size) or LayerNorm. */
export type NormLayer =
  | { type: 'batchnorm'; eps?: number }
  | { type: 'groupnorm'; groupSize?: number; numGroups?: number; eps?: number }
  | { type: 'layernorm'; eps?: number }
  | { type: 'evonorms0'; groupSize?: number; groups?: number; eps?: number };

/** timm's LayerNormAct2d: LayerNorm over channels (same keys) then an activation. */
export class LayerNormAct2d extends LayerNorm2d {
  readonly act: ActName;
  constructor(numChannels: number, options: { eps?: number; act?: string | null; applyAct?: boolean } = {}) {
    super(numChannels, { eps: options.eps });
    this.act = options.applyAct === false ? 'identity' : resolveAct(options.act === undefined ? 'relu' : options.act);
  }
  override forward(x: tf.Tensor): tf.Tensor {
    return applyAct(this.act, super.forward(x));
  }
}

/** timm's `get_norm_act_layer(norm_layer, act_layer)(chs, apply_act=…)`. */
export function createNormAct(norm: NormLayer | undefined, chs: number, act: ActName, applyAct = true): Module {
  const spec = norm ?? { type: 'batchnorm' };
  switch (spec.type) {
    case 'batchnorm':
      return new BatchNormAct2d(chs, { eps: spec.eps, act, applyAct });
    case 'groupnorm': {
      const groups = spec.groupSize ? Math.floor(chs / spec.groupSize) : (spec.numGroups ?? 32);
      return new GroupNormAct(groups, chs, { eps: spec.eps, act, applyAct });
    }
    case 'layernorm':
      return new LayerNormAct2d(chs, { eps: spec.eps, act, applyAct });
    case 'evonorms0':
      // EvoNorm is its own activation (the block's act layer does not apply).
      return new EvoNorm2dS0(chs, { groupSize: spec.groupSize, groups: spec.groups, eps: spec.eps, applyAct });
    default:
      throw new Error(`Unknown norm layer ${JSON.stringify(spec)}`);
  }
}

/** A plain norm (no activation), as MobileNetV3Features' stem `bn1` uses it. */
export function createNorm(norm: NormLayer | undefined, chs: number): Module {
  const spec = norm ?? { type: 'batchnorm' };
  if (spec.type === 'batchnorm') return new BatchNorm2d(chs, { eps: spec.eps });
  return createNormAct(spec, chs, 'identity', false);
}

/** Anti-aliasing layer names as timm's `create_aa` takes them. */
export type AaLayer = AaLayerName | null | undefined;

/** timm's `create_aa` with its Identity no-op: core's `createAa`, or Identity when off. */
export function createAa(aa: AaLayer, channels: number, stride: number, enable: boolean): Module {
  return coreCreateAa(aa, channels, stride, enable) ?? new Identity();
}

export type AnyConv = Conv2d | MixedConv2d;

export interface ConvOpts {
  stride?: number;
  dilation?: number;
  padding?: PaddingArg;
  groups?: number;
  bias?: boolean;
  depthwise?: boolean;
}

/** timm's `create_conv2d` (kernel lists make a MixedConv2d). */
export function createConv(inChs: number, outChs: number, k: number | number[], o: ConvOpts = {}): AnyConv {
  return createConv2dMixed(inChs, outChs, k, o);
}

/** conv → norm(+act), folded into one op where the conv is a plain Conv2d and the norm a BatchNorm. */
export function convNorm(x: tf.Tensor, conv: Module, norm: Module): tf.Tensor {
  if (conv instanceof Conv2d) return convNormAct(x, conv, norm);
  return norm.forward(conv.forward(x));
}

/** timm's `num_groups(group_size, channels)`. */
export function numGroups(groupSize: number | null | undefined, channels: number): number {
  if (!groupSize) return 1;
  if (channels % groupSize) throw new Error(`channels (${channels}) must be divisible by group_size (${groupSize})`);
  return channels / groupSize;
}

/** Python's round(): half to even. */
export function pyRound(x: number): number {
  const r = Math.round(x);
  if (Math.abs(x % 1) === 0.5) return r % 2 === 0 ? r : r - 1;
  return r;
}
