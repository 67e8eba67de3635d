// timm's inception_v3.py as data: the generated arch table and cfgs, and how timm's `_create_inception_v3` builds.
import { type CreateModelOptions, registerFamily, resolvePretrainedCfg } from '@zoo/core';
import { archs, deprecations } from './archs.js';
import { defaultCfgs } from './cfgs.js';
import { InceptionV3 } from './inception-v3.js';

/** timm's module name for these architectures. */
const MODULE = 'inception_v3';

/** timm's modules whose architectures this package registers. */
export const MODULES = [MODULE] as const;

/** Registers every Inception architecture (idempotent: calling it again is a no-op). */
export function register(): void {
  registerFamily({
    module: MODULE,
    model: InceptionV3,
    archs,
    cfgs: defaultCfgs,
    build: (name: string, kwargs: CreateModelOptions) => ({
      // Only the torchvision weights hold the auxiliary classifier, which is not built: timm loads them non-strictly.
      pretrainedStrict: resolvePretrainedCfg(name, kwargs.pretrainedCfg).tag !== 'tv_in1k',
    }),
    deprecations,
  });
}
