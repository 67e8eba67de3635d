import type * as tf from '@tensorflow/tfjs-core';
import { Identity, Module, Sequential } from '../module.js';
import { type ActName, applyAct, resolveAct } from './activations.js';
import { Conv2d, type PaddingArg } from './conv.js';
import { createNormAct, type NormLayer } from './create-norm.js';
import { convNormAct } from './fuse.js';
import { BatchNormAct2d } from './norm.js';
import { AvgPool2d, BlurPool2d } from './pool.js';

/**
 * timm's anti-aliasing layer names (`create_aa`): a stride×stride average pool, or a blur pool (reflect padded;
 * `'blurpc'` zero padded). Case, `_` and `-` are ignored, as timm does.
 */
export type AaLayerName = 'avg' | 'avgpool' | 'blur' | 'blurpool' | 'blurpc' | (string & {});

/**
 * timm's `create_aa`: the anti-aliasing module for `channels` at `stride`; when off, null, or an Identity with
 * `noop: 'identity'` (timm's `noop=nn.Identity`, for models whose state dicts hold an `aa` slot either way).
 */
export function createAa(aaLayer: AaLayerName | null | undefined, channels: number, stride?: number, enable?: boolean): Module | null;
export function createAa(aaLayer: AaLayerName | null | undefined, channels: number, stride: number, enable: boolean, noop: 'identity'): Module;
export function createAa(aaLayer: AaLayerName | null | undefined, channels: number, stride = 2, enable = true, noop: 'identity' | null = null): Module | null {
  if (!aaLayer || !enable) return noop === 'identity' ? new Identity() : null;
  switch (aaLayer.toLowerCase().replace(/[_-]/g, '')) {
    case 'avg':
    case 'avgpool':
      return new AvgPool2d(stride);
    case 'blur':
    case 'blurpool':
      return new BlurPool2d(channels, { stride });
    case 'blurpc':
      return new BlurPool2d(channels, { stride, padMode: 'constant' });
    default:
      throw new Error(`Unknown anti-aliasing layer '${aaLayer}'. Use 'avg', 'blur' or 'blurpc'.`);
  }
}

export interface ConvNormActOptions {
  stride?: number;
  padding?: PaddingArg;
  dilation?: number;
  groups?: number;
  bias?: boolean;
  /** false: no norm (`bn` is an empty Sequential, as in timm). */
  applyNorm?: boolean;
  /** false: the norm runs without its activation. */
  applyAct?: boolean;
  /** Activation after the norm (default relu; null/'' for none). */
  actLayer?: string | null;
  /** BatchNorm epsilon (default 1e-5). */
  eps?: number;
  /** The norm (timm's `norm_layer`; default BatchNorm with `eps`), made with its activation by `createNormAct`. */
  normLayer?: NormLayer;
  /** Anti-aliasing after the norm for strided convs (the conv then runs at stride 1). */
  aaLayer?: AaLayerName | null;
}

/**
 * timm's ConvNormAct (ConvBnAct): conv → norm + act (BatchNormAct2d unless `normLayer` says otherwise) (→ anti-aliasing
 * when strided). Keys: conv.weight,
 * bn.{weight,bias,running_mean,running_var}. The norm and a fusable activation are folded into one conv op.
 */
export class ConvNormAct extends Module {
  readonly conv: Conv2d;
  readonly bn: Module;
  readonly aa: Module | null;
  constructor(inChannels: number, outChannels: number, kernelSize = 1, options: ConvNormActOptions = {}) {
    super();
    const stride = options.stride ?? 1;
    const useAa = !!options.aaLayer && stride > 1;
    this.conv = this.addModule('conv', new Conv2d(inChannels, outChannels, kernelSize, {
      stride: useAa ? 1 : stride, padding: options.padding ?? '', dilation: options.dilation ?? 1, groups: options.groups ?? 1,
      bias: options.bias ?? false,
    }));
    const act = options.actLayer === undefined ? 'relu' : options.actLayer;
    this.bn = this.addModule('bn', (options.applyNorm ?? true)
      ? createNormAct(options.normLayer ?? { type: 'batchnorm', eps: options.eps }, outChannels, act, options.applyAct ?? true)
      : new Sequential());
    this.aa = this.addModule('aa', createAa(options.aaLayer, outChannels, stride, useAa));
  }
  get inChannels(): number {
    return this.conv.inChannels;
  }
  get outChannels(): number {
    return this.conv.outChannels;
  }
  /** The activation the norm applies ('identity' when none). */
  get act(): ActName {
    return this.bn instanceof BatchNormAct2d ? this.bn.act : resolveAct(null);
  }
  override forward(x: tf.Tensor): tf.Tensor {
    const bn = this.bn instanceof BatchNormAct2d ? this.bn : null;
    // tfjs' fused 'leakyrelu' defaults to slope 0.2, torch's LeakyReLU to 0.01: run that one unfused. Any other norm
    // (GroupNorm, EvoNorm…; an empty Sequential when off) runs as its own op after the conv.
    const y = bn?.act === 'leaky_relu' ? applyAct('leaky_relu', this.conv.forwardBn(x, bn, 'identity')) : convNormAct(x, this.conv, this.bn);
    return this.aa ? this.aa.forward(y) : y;
  }
}
