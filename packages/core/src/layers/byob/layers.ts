import * as tf from '@tensorflow/tfjs-core';
import type { Module } from '../../module.js';
import { type ActName, resolveAct } from '../activations.js';
import { EcaModule, SEModule, type SEOptions } from '../attention-gates.js';
import { ConvNormAct, createAa } from '../conv-norm-act.js';
import { EvoNorm2dS0, groupStd } from '../evo-norm.js';
import { GlobalContext, type GlobalContextOptions } from '../global-context.js';
import { BatchNormAct2d } from '../norm.js';
import { BatNonLocalAttn, type BatNonLocalAttnOptions } from '../non-local-attn.js';
import type { ByoKwargs, ByoNormLayer, ResolvedByoModelCfg } from './cfg.js';

/**
 * timm's EvoNorm2dS0a: `x * sigmoid(v * x)` (with its activation), then divided by the group std of the input in
 * either case, then the affine weight and bias (eps 1e-3). Keys: weight, bias, v (with the activation).
 */
export class EvoNorm2dS0a extends EvoNorm2dS0 {
  constructor(numFeatures: number, o: { groups?: number; groupSize?: number; applyAct?: boolean; eps?: number } = {}) {
    super(numFeatures, { ...o, eps: o.eps ?? 1e-3 });
  }
  override forward(x: tf.Tensor): tf.Tensor {
    return tf.tidy(() => {
      const d = groupStd(x, this.groups, this.eps);
      const y = this.v ? tf.mul(x, tf.sigmoid(tf.mul(x, this.v.value))) : x;
      return tf.add(tf.mul(tf.div(y, d), this.weight.value), this.bias.value);
    });
  }
}

export interface ByoConvOptions {
  stride?: number;
  dilation?: number;
  groups?: number;
  applyAct?: boolean;
}

/** timm's ConvNormAct with a norm-act layer other than BatchNorm (EvoNorm): `conv`, `bn` (, `aa`). */
export class ConvNormActAny extends ConvNormAct {
  constructor(inChs: number, outChs: number, kernel: number, norm: Module, o: ByoConvOptions & { aaLayer?: string | null } = {}) {
    super(inChs, outChs, kernel, { ...o, applyNorm: false });
    this.replaceNorm(norm);
  }
  private replaceNorm(norm: Module): void {
    // Keep timm's key order (conv, bn, aa): re-add aa after the norm.
    const aa = this.aa;
    (this as { bn: Module }).bn = this.addModule('bn', norm);
    this.addModule('aa', aa);
  }
  override forward(x: tf.Tensor): tf.Tensor {
    const y = this.bn.forward(this.conv.forward(x));
    return this.aa ? this.aa.forward(y) : y;
  }
}

/** A channel-attention layer factory: the module for `channels`. */
export type ByoAttnFactory = (channels: number, kwargs: ByoKwargs) => Module;
/** A self-attention layer factory (SelfAttnBlock's `self_attn`): `stride` and, for fixed-size layers, `featSize`. */
export type ByoSelfAttnFactory = (channels: number, o: { stride: number; featSize: [number, number] | null }, kwargs: ByoKwargs) => Module;

const attnRegistry = new Map<string, ByoAttnFactory>([
  ['se', (c, k) => new SEModule(c, k as SEOptions)],
  ['eca', (c, k) => new EcaModule(c, k as { kernelSize?: number; gamma?: number; beta?: number })],
  ['gc', (c, k) => new GlobalContext(c, k as GlobalContextOptions)],
  ['gca', (c, k) => new GlobalContext(c, { fuseAdd: true, fuseScale: false, ...(k as GlobalContextOptions) })],
  ['bat', (c, k) => new BatNonLocalAttn(c, k as BatNonLocalAttnOptions)],
]);
const selfAttnRegistry = new Map<string, ByoSelfAttnFactory>();

/** Adds (or replaces) a channel-attention layer that ByobNet cfgs can name in `attnLayer` (timm's `get_attn`). */
export function registerByoAttn(name: string, factory: ByoAttnFactory): void {
  attnRegistry.set(name.toLowerCase(), factory);
}

/** Adds (or replaces) a self-attention layer that ByobNet cfgs can name in `selfAttnLayer`. */
export function registerByoSelfAttn(name: string, factory: ByoSelfAttnFactory): void {
  selfAttnRegistry.set(name.toLowerCase(), factory);
}

function lookup<T>(registry: Map<string, T>, name: string, what: string): T {
  const f = registry.get(name.toLowerCase());
  if (!f) throw new Error(`ByobNet: unknown ${what} '${name}' (known: ${[...registry.keys()].join(', ') || 'none registered'})`);
  return f;
}

/**
 * timm's LayerFn: how a ByobNet makes its layers (conv-norm-act, norm-act, activation, channel attention and
 * self-attention), from the model cfg (`get_layer_fns`).
 */
export interface ByoLayers {
  convNormAct(inChs: number, outChs: number, kernel: number, o?: ByoConvOptions): ConvNormAct;
  normAct(chs: number, applyAct?: boolean): Module;
  act: ActName;
  attn: ((chs: number) => Module) | null;
  selfAttn: ((chs: number, o: { stride: number; featSize: [number, number] | null }) => Module) | null;
  /** The norm layer (for blocks that fuse branches: only BatchNorm folds into a conv). */
  normLayer: ByoNormLayer;
}

/** A norm-act layer of `normLayer` over `chs` channels. */
export function byoNormAct(normLayer: ByoNormLayer, chs: number, act: ActName, applyAct = true): Module {
  if (normLayer === 'batchnorm') return new BatchNormAct2d(chs, { act, applyAct });
  if (typeof normLayer === 'object' && normLayer.type === 'evonorms0a') {
    return new EvoNorm2dS0a(chs, { groupSize: normLayer.groupSize, groups: normLayer.groups, applyAct });
  }
  throw new Error(`ByobNet: normLayer must be 'batchnorm' or { type: 'evonorms0a', groupSize }, got ${JSON.stringify(normLayer)}`);
}

/** An attention factory for `name` with `kwargs`, or null when `name` is empty. */
export function byoAttnFactory(name: string | null | undefined, kwargs: ByoKwargs = {}): ((chs: number) => Module) | null {
  if (!name) return null;
  const f = lookup(attnRegistry, name, 'attention layer');
  return (chs) => f(chs, kwargs);
}

export function byoSelfAttnFactory(name: string | null | undefined, kwargs: ByoKwargs = {}): ByoLayers['selfAttn'] {
  if (!name) return null;
  const f = lookup(selfAttnRegistry, name, 'self-attention layer');
  return (chs, o) => f(chs, o, kwargs);
}

/** timm's `get_layer_fns(cfg, allow_aa)`. */
export function byoLayerFns(cfg: ResolvedByoModelCfg, allowAa = true): ByoLayers {
  const act = resolveAct(cfg.actLayer);
  const normLayer = cfg.normLayer;
  const aaLayer = cfg.aaLayer && allowAa ? cfg.aaLayer : null;
  if (aaLayer) createAa(aaLayer, 1); // an unknown name fails here, at construction
  return {
    convNormAct: (inChs, outChs, kernel, o = {}) => normLayer === 'batchnorm'
      ? new ConvNormAct(inChs, outChs, kernel, { ...o, actLayer: act, aaLayer })
      : new ConvNormActAny(inChs, outChs, kernel, byoNormAct(normLayer, outChs, act, o.applyAct ?? true), { ...o, aaLayer }),
    normAct: (chs, apply = true) => byoNormAct(normLayer, chs, act, apply),
    act,
    attn: byoAttnFactory(cfg.attnLayer, cfg.attnKwargs),
    selfAttn: byoSelfAttnFactory(cfg.selfAttnLayer, cfg.selfAttnKwargs),
    normLayer,
  };
}
