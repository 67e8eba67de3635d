// timm's convnext.py as data: the generated arch table and cfgs, and how timm's `_create_convnext` builds them.
import { type CreateModelOptions, registerFamily } from '@zoo/core';
import { archs, deprecations } from './archs.js';
import { defaultCfgs } from './cfgs.js';
import { ConvNeXt, checkpointFilterFn } from './convnext.js';

/** timm's module name for these architectures. */
const MODULE = 'convnext';

/** timm's modules whose architectures this package registers. */
export const MODULES = [MODULE] as const;

/** How timm's `_create_convnext` builds; fcmae weights have no classifier or final norm (timm loads them non-strictly). */
const build = (_name: string, kwargs: CreateModelOptions) => ({
  pretrainedFilterFn: checkpointFilterFn,
  featureCfg: { outIndices: [0, 1, 2, 3], flattenSequential: true },
  pretrainedStrict: !String(kwargs.pretrainedCfg ?? '').startsWith('fcmae'),
});

/** Registers every ConvNeXt architecture (idempotent: calling it again is a no-op). */
export function register(): void {
  registerFamily({ module: MODULE, archs, cfgs: defaultCfgs, model: ConvNeXt, build, deprecations });
}
