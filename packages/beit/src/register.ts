// timm's beit.py as data: the generated arch table and cfgs, and how timm's `_create_beit` builds them.
import { registerFamily } from '@zoo/core';
import { archs } from './archs.js';
import { Beit, checkpointFilterFn } from './beit.js';
import { defaultCfgs } from './cfgs.js';

/** timm's module name for these architectures. */
const MODULE = 'beit';

/** timm's modules whose architectures this package registers. */
export const MODULES = [MODULE] as const;

/** Registers every BEiT architecture (idempotent: calling it again is a no-op). */
export function register(): void {
  registerFamily({
    module: MODULE,
    model: Beit,
    archs,
    cfgs: defaultCfgs,
    build: { featureCfg: { outIndices: 3, featureCls: 'getter' }, pretrainedFilterFn: checkpointFilterFn },
  });
}
