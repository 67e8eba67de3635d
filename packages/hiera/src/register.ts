// timm's hiera.py as data: the generated arch table and cfgs, and how timm's `_create_hiera` builds them.
import { registerFamily } from '@zoo/core';
import { archs, deprecations } from './archs.js';
import { defaultCfgs } from './cfgs.js';
import { checkpointFilterFn, Hiera } from './hiera.js';

/** timm's module name for these architectures. */
const MODULE = 'hiera';

/** timm's modules whose architectures this package registers. */
export const MODULES = [MODULE] as const;

/** Registers every Hiera architecture (idempotent: calling it again is a no-op). */
export function register(): void {
  registerFamily({
    module: MODULE,
    model: Hiera,
    archs,
    cfgs: defaultCfgs,
    // timm: features through forward_intermediates (the 'getter' wrapper), every stage (the last 4) by default.
    build: { pretrainedFilterFn: checkpointFilterFn, featureCfg: { featureCls: 'getter', outIndices: 4 } },
    deprecations,
  });
}
