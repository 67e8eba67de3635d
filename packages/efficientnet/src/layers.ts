import type * as tf from '@tensorflow/tfjs-core';
import {
  type AaLayerName, Conv2d, convNormAct, createAa as coreCreateAa, createConv2dMixed, Identity, type MixedConv2d, type Module,
  type PaddingArg,
} from '@zoo/core';

export type { NormLayer } from '@zoo/core';

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
