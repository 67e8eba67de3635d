import * as tf from '@tensorflow/tfjs-core';
import { Module, type Param } from '../module.js';
import { type PaddingArg, resolvePadding } from './conv.js';
import { type Pair, toPair } from './helpers.js';
import { sliceTensor } from './slice.js';

export interface CondConv2dOptions {
  stride?: number;
  padding?: PaddingArg;
  dilation?: number;
  groups?: number;
  bias?: boolean;
  numExperts?: number;
}

/**
 * timm's CondConv2d (conditionally parameterized convolution): each sample convolves with its own kernel, the
 * routing-weighted sum of `numExperts` expert kernels. Keys: `weight` `[experts, out * in/groups * kh * kw]` (each
 * row a PyTorch `[out, in/groups, kh, kw]` kernel, flattened) and `bias` `[experts, out]`. Supports plain and
 * depthwise convs. Call `forwardRouted(x, routing)` with routing weights `[B, experts]`.
 */
export class CondConv2d extends Module {
  readonly kernelSize: Pair;
  readonly stride: number;
  readonly dilation: number;
  readonly groups: number;
  readonly numExperts: number;
  readonly weight: Param;
  readonly bias: Param | null;
  private readonly pad: ReturnType<typeof resolvePadding>;
  constructor(readonly inChannels: number, readonly outChannels: number, kernelSize: number | Pair, o: CondConv2dOptions = {}) {
    super();
    this.kernelSize = toPair(kernelSize);
    this.stride = o.stride ?? 1;
    this.dilation = o.dilation ?? 1;
    this.groups = o.groups ?? 1;
    this.numExperts = o.numExperts ?? 4;
    if (this.groups !== 1 && !(this.groups === inChannels && inChannels === outChannels)) {
      throw new Error(`CondConv2d supports plain or depthwise convs, got groups ${this.groups} for ${inChannels}→${outChannels}`);
    }
    this.pad = resolvePadding(o.padding ?? '', this.kernelSize, this.stride, this.dilation);
    const [kh, kw] = this.kernelSize;
    const numParams = outChannels * (inChannels / this.groups) * kh * kw;
    const bound = 1 / Math.sqrt((inChannels / this.groups) * kh * kw);
    this.weight = this.addParam('weight', [this.numExperts, numParams], { init: { kind: 'uniform', bound } });
    this.bias = o.bias ? this.addParam('bias', [this.numExperts, outChannels], { init: { kind: 'uniform', bound } }) : null;
  }

  /**
   * The conv of each sample with its routed kernel; `routing` is `[B, experts]` (timm's `forward(x, routing_weights)`:
   * a forward hook on this module sees both calls).
   */
  override forward(x: tf.Tensor, routing?: tf.Tensor): tf.Tensor {
    if (!routing) throw new Error('CondConv2d needs routing weights: call forward(x, routingWeights)');
    return this.convolveRouted(x, routing);
  }

  /** Same as `forward(x, routing)`. */
  forwardRouted(x: tf.Tensor, routing: tf.Tensor): tf.Tensor {
    return this.forward(x, routing);
  }

  private convolveRouted(x: tf.Tensor, routing: tf.Tensor): tf.Tensor {
    const b = x.shape[0]!;
    const [kh, kw] = this.kernelSize;
    const cin = this.inChannels / this.groups;
    const depthwise = this.groups > 1;
    // [B, P] kernels, then per sample [out, in/g, kh, kw] → HWIO (or [kh, kw, C, 1] depthwise).
    const kernels = tf.matMul(routing as tf.Tensor2D, this.weight.value as tf.Tensor2D);
    const biases = this.bias ? tf.matMul(routing as tf.Tensor2D, this.bias.value as tf.Tensor2D) : null;
    const outs: tf.Tensor[] = [];
    for (let i = 0; i < b; i++) {
      const k = tf.reshape(sliceTensor(kernels, [i, 0], [1, -1]), [this.outChannels, cin, kh, kw]);
      const filter = tf.transpose(k, depthwise ? [2, 3, 0, 1] : [2, 3, 1, 0]) as tf.Tensor4D;
      const xi = sliceTensor(x, [i, 0, 0, 0], [1, -1, -1, -1]) as tf.Tensor4D;
      const y = depthwise
        ? tf.depthwiseConv2d(xi, filter, this.stride, this.pad as never, 'NHWC', this.dilation)
        : tf.conv2d(xi, filter, this.stride, this.pad as never, 'NHWC', this.dilation);
      outs.push(biases ? tf.add(y, tf.reshape(sliceTensor(biases, [i, 0], [1, -1]), [1, 1, 1, this.outChannels])) : y);
    }
    return outs.length === 1 ? outs[0]! : tf.concat(outs, 0);
  }
}
