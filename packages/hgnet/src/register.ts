// timm's hgnet.py as data: the generated arch table (each row with timm's `model_cfgs` entry as `cfg`) and cfgs,
// and how timm's `_create_hgnet` builds them.
import { registerFamily } from '@zoo/core';
import { archs } from './archs.js';
import { defaultCfgs } from './cfgs.js';
import { HighPerfGpuNet } from './hgnet.js';

/** timm's module name for these architectures. */
const MODULE = 'hgnet';

/** timm's modules whose architectures this package registers. */
export const MODULES = [MODULE] as const;

/** Registers every HGNet architecture (idempotent: calling it again is a no-op). */
export function register(): void {
  registerFamily({
    module: MODULE,
    model: HighPerfGpuNet,
    archs,
    cfgs: defaultCfgs,
    build: { featureCfg: { outIndices: [0, 1, 2, 3], flattenSequential: true } },
  });
}
