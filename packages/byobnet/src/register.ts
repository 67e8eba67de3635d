// timm's byobnet.py as data: the generated arch table (each row with timm's `model_cfgs` entry as `cfg`, in core's
// ByoModelCfg language) and cfgs, and how timm's `_create_byobnet` builds them.
import { registerFamily } from '@zoo/core';
import { archs } from './archs.js';
import { ByobNet, checkpointFilterFn } from './byobnet.js';
import { defaultCfgs } from './cfgs.js';

/** timm's module name for these architectures. */
const MODULE = 'byobnet';

/** timm's modules whose architectures this package registers. */
export const MODULES = [MODULE] as const;

/** Registers every ByobNet architecture (idempotent: calling it again is a no-op). */
export function register(): void {
  registerFamily({
    module: MODULE,
    model: ByobNet,
    archs,
    cfgs: defaultCfgs,
    build: { featureCfg: { flattenSequential: true }, pretrainedFilterFn: checkpointFilterFn },
  });
}
