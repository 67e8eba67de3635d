import * as tf from '@tensorflow/tfjs-core';
import { Module } from '../module.js';
import { Conv2d, type Conv2dOptions, type PaddingArg } from './conv.js';
import { splitTensor } from './slice.js';

/** timm's `_split_channels`: equal splits, the remainder going to the first. */
export function splitChannels(numChan: number, numGroups: number): number[] {
  const split = Array.from({ length: numGroups }, () => Math.floor(numChan / numGroups));
  split[0]! += numChan - split.reduce((a, b) => a + b, 0);
  return split;
}

export interface MixedConv2dOptions {
  stride?: number;
  padding?: PaddingArg;
  dilation?: number;
  depthwise?: boolean;
  bias?: boolean;
}

/**
 * timm's MixedConv2d (MixNet's MDConv): the channels are split into groups, each convolved with its own kernel
 * size, and concatenated. Children are named '0', '1', … as timm's ModuleDict (keys `0.weight`, `1.weight`, …).
 */
export class MixedConv2d extends Module {
  readonly inChannels: number;
  readonly outChannels: number;
  readonly splits: number[];
  readonly convs: Conv2d[];
  constructor(inChannels: number, outChannels: number, kernelSize: number | number[], options: MixedConv2dOptions = {}) {
    super();
    const ks = Array.isArray(kernelSize) ? kernelSize : [kernelSize];
    const inSplits = splitChannels(inChannels, ks.length);
    const outSplits = splitChannels(outChannels, ks.length);
    this.inChannels = inSplits.reduce((a, b) => a + b, 0);
    this.outChannels = outSplits.reduce((a, b) => a + b, 0);
    this.splits = inSplits;
    this.convs = ks.map((k, i) =>
      this.addModule(String(i), new Conv2d(inSplits[i]!, outSplits[i]!, k, {
        stride: options.stride, padding: options.padding, dilation: options.dilation,
        groups: options.depthwise ? inSplits[i] : 1, bias: options.bias ?? false,
      })),
    );
  }
  override forward(x: tf.Tensor): tf.Tensor {
    if (this.convs.length === 1) return this.convs[0]!.forward(x);
    const xs = splitTensor(x, this.splits, 3);
    return tf.concat(this.convs.map((c, i) => c.forward(xs[i]!)), 3);
  }
}

export interface CreateConv2dOptions extends Conv2dOptions {
  /** Groups = input channels. */
  depthwise?: boolean;
}

/**
 * timm's `create_conv2d`: a Conv2d with bias off by default (`depthwise` sets groups to the input channels), or, for
 * a list of kernel sizes, a MixedConv2d (channels split across the kernel sizes).
 */
export function createConv2d(inChannels: number, outChannels: number, kernelSize: number, options?: CreateConv2dOptions): Conv2d;
export function createConv2d(inChannels: number, outChannels: number, kernelSize: number | number[], options?: CreateConv2dOptions): Conv2d | MixedConv2d;
export function createConv2d(
  inChannels: number, outChannels: number, kernelSize: number | number[], options: CreateConv2dOptions = {},
): Conv2d | MixedConv2d {
  if (Array.isArray(kernelSize)) {
    let depthwise = options.depthwise ?? false;
    if (options.groups !== undefined && options.groups !== 1) {
      if (options.groups === inChannels) depthwise = true;
      else throw new Error(`MixedConv2d supports groups of 1 or the input channels, got ${options.groups}`);
    }
    return new MixedConv2d(inChannels, outChannels, kernelSize, {
      stride: options.stride, padding: options.padding, dilation: options.dilation, depthwise, bias: options.bias,
    });
  }
  const { depthwise, ...rest } = options;
  const groups = depthwise ? inChannels : (options.groups ?? 1);
  return new Conv2d(inChannels, outChannels, kernelSize, { ...rest, groups, bias: options.bias ?? false });
}
