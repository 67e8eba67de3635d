// timm's xcit.py as data: the generated arch table and cfgs, and how timm's `_create_xcit` builds them (features by
// `forward_intermediates`, the last three XCA blocks by default; XCiT's checkpoint filter).
import { registerFamily } from '@zoo/core';
import { archs, deprecations } from './archs.js';
import { defaultCfgs } from './cfgs.js';
import { checkpointFilterFn, Xcit } from './xcit.js';

/** timm's module name for these architectures. */
const MODULE = 'xcit';

/** timm's modules whose architectures this package registers. */
export const MODULES = [MODULE] as const;

/** Registers every XCiT architecture (idempotent: calling it again is a no-op). */
export function register(): void {
  registerFamily({
    module: MODULE,
    model: Xcit,
    archs,
    cfgs: defaultCfgs,
    deprecations,
    build: { featureCfg: { outIndices: 3, featureCls: 'getter' }, pretrainedFilterFn: checkpointFilterFn },
  });
}
