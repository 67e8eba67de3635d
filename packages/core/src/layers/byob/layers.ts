import type { Module } from '../../module.js';
import { type ActName, resolveAct } from '../activations.js';
import { EcaModule, SEModule, type SEOptions } from '../attention-gates.js';
import { ConvNormAct, createAa } from '../conv-norm-act.js';
import { createNormAct } from '../create-norm.js';
import { GlobalContext, type GlobalContextOptions } from '../global-context.js';
import { BatNonLocalAttn, type BatNonLocalAttnOptions } from '../non-local-attn.js';
import type { ByoKwargs, ByoNormLayer, ResolvedByoModelCfg } from './cfg.js';

export interface ByoConvOptions {
  stride?: number;
  dilation?: number;
  groups?: number;
  applyAct?: boolean;
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
    convNormAct: (inChs, outChs, kernel, o = {}) => new ConvNormAct(inChs, outChs, kernel, { ...o, actLayer: act, aaLayer, normLayer }),
    normAct: (chs, apply = true) => createNormAct(normLayer, chs, act, apply),
    act,
    attn: byoAttnFactory(cfg.attnLayer, cfg.attnKwargs),
    selfAttn: byoSelfAttnFactory(cfg.selfAttnLayer, cfg.selfAttnKwargs),
    normLayer,
  };
}
