import type * as tf from '@tensorflow/tfjs-core';
import type { Module } from '../module.js';
import { type ActName, applyAct, resolveAct } from './activations.js';
import { EvoNorm2dS0, EvoNorm2dS0a } from './evo-norm.js';
import { BatchNorm2d, BatchNormAct2d, GroupNorm, GroupNormAct, LayerNorm2d } from './norm.js';

/** timm's LayerNormAct2d: LayerNorm over channels (keys `weight`, `bias`) then an activation (default ReLU). */
export class LayerNormAct2d extends LayerNorm2d {
  readonly act: ActName;
  constructor(numChannels: number, options: { eps?: number; act?: string | null; applyAct?: boolean } = {}) {
    super(numChannels, { eps: options.eps ?? 1e-5 }); // timm's LayerNormAct2d default (LayerNorm2d's is 1e-6)
    this.act = options.applyAct === false ? 'identity' : resolveAct(options.act === undefined ? 'relu' : options.act);
  }
  override forward(x: tf.Tensor): tf.Tensor {
    return applyAct(this.act, super.forward(x));
  }
}

/** Norm layer names as timm's `get_norm_layer` / `get_norm_act_layer` take them (case, `_` and `-` ignored). */
export type NormLayerName = 'batchnorm' | 'batchnorm2d' | 'groupnorm' | 'layernorm' | 'layernorm2d' | 'evonorms0' | 'evonorms0a' | (string & {});

/**
 * A norm layer as timm's builders take it: a name, or a name with the arguments timm's `functools.partial`s bind
 * (BatchNorm eps; GroupNorm group size or group count, default 32 groups; EvoNorm groups).
 */
export type NormLayer =
  | NormLayerName
  | { type: 'batchnorm' | 'batchnorm2d'; eps?: number }
  | { type: 'groupnorm'; groupSize?: number; numGroups?: number; eps?: number }
  | { type: 'layernorm' | 'layernorm2d'; eps?: number }
  | { type: 'evonorms0' | 'evonorms0a'; groupSize?: number; groups?: number; eps?: number }
  /** A name known only at run time (a cfg field), with its eps: an unknown name is an error when the norm is made. */
  | { type: NormLayerName; eps?: number };

type Spec = { kind: 'batchnorm' | 'groupnorm' | 'layernorm' | 'evonorms0' | 'evonorms0a'; eps?: number; groupSize?: number; numGroups?: number; groups?: number };

const KINDS: Record<string, Spec['kind']> = {
  batchnorm: 'batchnorm', batchnorm2d: 'batchnorm', groupnorm: 'groupnorm', layernorm: 'layernorm', layernorm2d: 'layernorm', evonorms0: 'evonorms0', evonorms0a: 'evonorms0a',
};

function resolveNorm(norm: NormLayer | null | undefined): Spec {
  const spec = (typeof norm === 'string' ? { type: norm } : (norm ?? { type: 'batchnorm' })) as { type: string } & Omit<Spec, 'kind'>;
  const kind = KINDS[String(spec.type).toLowerCase().replace(/[_-]/g, '')];
  if (!kind) throw new Error(`Unknown norm layer '${spec.type}'. Use one of: ${Object.keys(KINDS).join(', ')}.`);
  return { ...spec, kind };
}

function groupCount(s: Spec, chs: number): number {
  if (!s.groupSize) return s.numGroups ?? 32;
  if (chs % s.groupSize) throw new Error(`GroupNorm: channels (${chs}) must be divisible by group_size (${s.groupSize})`);
  return chs / s.groupSize;
}

/**
 * timm's `get_norm_act_layer(norm_layer, act_layer)(chs, apply_act=…)`: the norm with its activation fused in
 * (BatchNormAct2d, GroupNormAct, LayerNormAct2d; EvoNorm S0 / S0a is its own activation). Keys are the plain norm's, so
 * checkpoints load either way; a BatchNorm is folded into the conv before it where the model runs them together.
 * As in timm, no `act` means none (identity), not the norm classes' own ReLU default.
 */
export function createNormAct(norm: NormLayer | null | undefined, chs: number, act: string | null = null, applyAct = true): Module {
  const s = resolveNorm(norm);
  switch (s.kind) {
    case 'batchnorm':
      return new BatchNormAct2d(chs, { eps: s.eps, act, applyAct });
    case 'groupnorm':
      return new GroupNormAct(groupCount(s, chs), chs, { eps: s.eps, act, applyAct });
    case 'layernorm':
      return new LayerNormAct2d(chs, { eps: s.eps, act, applyAct });
    case 'evonorms0':
      return new EvoNorm2dS0(chs, { groupSize: s.groupSize, groups: s.groups, eps: s.eps, applyAct });
    case 'evonorms0a':
      return new EvoNorm2dS0a(chs, { groupSize: s.groupSize, groups: s.groups, eps: s.eps, applyAct });
  }
}

/** timm's `get_norm_layer(norm_layer)(chs)`: the plain norm (no activation). */
export function createNorm(norm: NormLayer | null | undefined, chs: number): Module {
  const s = resolveNorm(norm);
  switch (s.kind) {
    case 'batchnorm':
      return new BatchNorm2d(chs, { eps: s.eps });
    case 'groupnorm':
      return new GroupNorm(groupCount(s, chs), chs, { eps: s.eps });
    case 'layernorm':
      return new LayerNorm2d(chs, { eps: s.eps }); // timm's LayerNorm / LayerNorm2d: eps 1e-6 unless given
    default:
      return createNormAct(norm, chs, null, false);
  }
}
