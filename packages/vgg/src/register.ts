// timm's vgg.py as data: the generated arch table and cfgs, and how timm's `_create_vgg` builds them.
import { type BuildOptions, registerFamily } from '@zoo/core';
import { archs, deprecations } from './archs.js';
import { defaultCfgs } from './cfgs.js';
import { checkpointFilterFn, VGG } from './vgg.js';

/** timm's module name for these architectures. */
const MODULE = 'vgg';

/** timm's modules whose architectures this package registers. */
export const MODULES = [MODULE] as const;

/** How timm's `_create_vgg` builds: VGG is one of the few models with a stride-1 feature level (six by default). */
const build: BuildOptions = {
  featureCfg: { outIndices: [0, 1, 2, 3, 4, 5], flattenSequential: true },
  pretrainedFilterFn: (sd) => checkpointFilterFn(sd),
};

/** Registers every VGG architecture (idempotent: calling it again is a no-op). */
export function register(): void {
  registerFamily({ module: MODULE, archs, cfgs: defaultCfgs, model: VGG, build, deprecations });
}
