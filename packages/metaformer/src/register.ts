// timm's metaformer.py as data: the generated arch table and cfgs, and how timm's `_create_metaformer` builds them.
import { registerFamily } from '@zoo/core';
import { archs, deprecations } from './archs.js';
import { defaultCfgs } from './cfgs.js';
import { checkpointFilterFn, MetaFormer } from './metaformer.js';

/** timm's module name for these architectures. */
const MODULE = 'metaformer';

/** timm's modules whose architectures this package registers. */
export const MODULES = [MODULE] as const;

/** Registers every PoolFormer / ConvFormer / CAFormer architecture (idempotent: calling it again is a no-op). */
export function register(): void {
  registerFamily({
    module: MODULE,
    model: MetaFormer,
    archs,
    cfgs: defaultCfgs,
    // timm: one feature level per stage, the list wrapper over the flattened stages.
    build: { pretrainedFilterFn: checkpointFilterFn, featureCfg: { flattenSequential: true, outIndices: [0, 1, 2, 3] } },
    deprecations,
  });
}
