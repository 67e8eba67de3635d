// timm's pvt_v2.py as data: the generated arch table and cfgs, and how timm's `_create_pvt2` builds them.
import { registerFamily } from '@zoo/core';
import { archs } from './archs.js';
import { defaultCfgs } from './cfgs.js';
import { checkpointFilterFn, PyramidVisionTransformerV2 } from './pvt-v2.js';

/** timm's module name for these architectures. */
const MODULE = 'pvt_v2';

/** timm's modules whose architectures this package registers. */
export const MODULES = [MODULE] as const;

/** Registers every PVT-v2 architecture (idempotent: calling it again is a no-op). */
export function register(): void {
  registerFamily({
    module: MODULE,
    model: PyramidVisionTransformerV2,
    archs,
    cfgs: defaultCfgs,
    build: { pretrainedFilterFn: checkpointFilterFn, featureCfg: { flattenSequential: true, outIndices: [0, 1, 2, 3] } },
  });
}
