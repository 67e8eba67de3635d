// timm's eva.py as data: the generated arch table and cfgs, and how timm's `_create_eva` builds them (features by
// `forward_intermediates`, the last three blocks by default; Eva's checkpoint filter).
import { registerFamily } from '@zoo/core';
import { archs } from './archs.js';
import { defaultCfgs } from './cfgs.js';
import { checkpointFilterFn, Eva } from './eva.js';

/** timm's module name for these architectures. */
const MODULE = 'eva';

/** timm's modules whose architectures this package registers. */
export const MODULES = [MODULE] as const;

/** Registers every EVA architecture (idempotent: calling it again is a no-op). */
export function register(): void {
  registerFamily({
    module: MODULE,
    model: Eva,
    archs,
    cfgs: defaultCfgs,
    build: { featureCfg: { outIndices: 3, featureCls: 'getter' }, pretrainedFilterFn: checkpointFilterFn },
  });
}
