// timm's efficientnet.py and mobilenetv3.py as data: the generated arch table (each `_gen_*` call's arguments, its
// block args as timm's block strings), cfgs and pruned definitions, and how `_create_effnet` / `_create_mnv3` build them.
import { type CreateModelOptions, type NormLayer, registerFamily } from '@zoo/core';
import { archs, deprecations, moduleNames } from './archs.js';
import { BN_EPS_TF_DEFAULT, decodeArchDef, roundChannels } from './builder.js';
import { defaultCfgs } from './cfgs.js';
import type { EfficientNetArgs } from './efficientnet.js';
import { createEffnet, createMnv3 } from './factory.js';
import type { MobileNetV3Args } from './mobilenetv3.js';
import { PRUNED } from './pruned.js';

/** timm's modules whose architectures this package registers. */
export const MODULES = ['efficientnet', 'mobilenetv3'] as const;

/** timm's `round_channels` partial as data: its multiplier, divisor and round limit. */
export interface RoundChannelsSpec {
  multiplier?: number;
  divisor?: number;
  roundLimit?: number;
}

/**
 * One architecture as the generated table (archs.ts) holds it: the arguments timm's entrypoint gives EfficientNet or
 * MobileNetV3, with the decoded, depth-scaled block args written back as timm's block strings and its
 * `round_channels` / SqueezeExcite partials as data.
 */
export type EfficientNetArch = Omit<EfficientNetArgs & MobileNetV3Args, 'blockArgs' | 'roundChsFn' | 'seLayer'> & {
  /** timm's block strings per stage (`ir_r2_k3_s2_e6_c24_se0.25`), already depth-scaled. */
  blocks: string[][];
  roundChsFn: RoundChannelsSpec;
  seLayer?: 'gc' | { gate?: string; forceAct?: string; rdRoundFn?: RoundChannelsSpec };
  /** timm's pruned variants: the model is adapted to the pruned definition after it is built. */
  pruned?: boolean;
};

const roundFn = ({ multiplier = 1.0, divisor = 8, roundLimit = 0.9 }: RoundChannelsSpec) => (c: number) =>
  roundChannels(c, multiplier, divisor, undefined, roundLimit);

const isBatchNorm = (n: NormLayer | undefined) => n === undefined || n === 'batchnorm' || (typeof n === 'object' && n.type === 'batchnorm');

/**
 * The model's arguments: the table's, overridden by createModel's. timm's `resolve_bn_args`: a `normLayer` given
 * wins, and a `bnEps` given replaces the entrypoint's BatchNorm eps (the `tf_*` ports' 1e-3 included).
 */
function modelKwargs(name: string, arch: EfficientNetArch, kwargs: CreateModelOptions): Record<string, unknown> {
  const { blocks, roundChsFn, seLayer, pruned: _pruned, normLayer, ...args } = arch;
  const { normLayer: userNorm, bnEps: userEps, bnMomentum: _momentum, ...user } = kwargs as CreateModelOptions & {
    normLayer?: NormLayer; bnEps?: number; bnMomentum?: number;
  };
  // timm's fbnetc_100 entrypoint sets bn_eps when pretrained: its weights were trained with TF's eps.
  const bnEps = name === 'fbnetc_100' && kwargs.pretrained ? BN_EPS_TF_DEFAULT : userEps;
  const norm = userNorm ?? (bnEps !== undefined && isBatchNorm(normLayer) ? { type: 'batchnorm' as const, eps: bnEps } : normLayer);
  return {
    ...args,
    blockArgs: decodeArchDef(blocks),
    roundChsFn: roundFn(roundChsFn),
    ...(seLayer === undefined ? {} : { seLayer: seLayer === 'gc' ? 'gc' : { ...seLayer, rdRoundFn: seLayer.rdRoundFn && roundFn(seLayer.rdRoundFn) } }),
    ...(norm === undefined ? {} : { normLayer: norm }),
    ...user,
  };
}

/** Registers every architecture of timm's efficientnet and mobilenetv3 modules (idempotent). */
export function register(): void {
  for (const module of MODULES) {
    registerFamily({
      module,
      archs,
      names: moduleNames[module],
      cfgs: defaultCfgs,
      deprecations,
      create: (name, arch, kwargs) =>
        module === 'efficientnet'
          ? createEffnet(name, { ...modelKwargs(name, arch, kwargs), ...(arch.pruned ? { pruned: true } : {}) }, arch.pruned ? PRUNED[name] : undefined)
          : createMnv3(name, modelKwargs(name, arch, kwargs)),
    });
  }
}
