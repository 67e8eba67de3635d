// timm's fastvit.py as data: the generated arch table and cfgs, and how timm's `_create_fastvit` builds them.
import { registerFamily } from '@zoo/core';
import { archs, deprecations } from './archs.js';
import { defaultCfgs } from './cfgs.js';
import { checkpointFilterFn, FastVit } from './fastvit.js';

/** timm's module name for these architectures. */
const MODULE = 'fastvit';

/** timm's modules whose architectures this package registers. */
export const MODULES = [MODULE] as const;

/** Registers every FastViT / MobileCLIP architecture (idempotent: calling it again is a no-op). */
export function register(): void {
  registerFamily({
    module: MODULE,
    model: FastVit,
    archs,
    cfgs: defaultCfgs,
    deprecations,
    build: { pretrainedFilterFn: checkpointFilterFn, featureCfg: { flattenSequential: true, outIndices: [0, 1, 2, 3] } },
  });
}
