// timm's cspnet.py as data: the generated arch table (each row with timm's CspModelCfg as `cfg`) and cfgs, and how
// timm's `_create_cspnet` builds them.
import { registerFamily } from '@zoo/core';
import { archs, deprecations } from './archs.js';
import { defaultCfgs } from './cfgs.js';
import { CspNet } from './cspnet.js';

/** timm's module name for these architectures. */
const MODULE = 'cspnet';

/** timm's modules whose architectures this package registers. */
export const MODULES = [MODULE] as const;

/** Registers every CspNet architecture (idempotent: calling it again is a no-op). */
export function register(): void {
  registerFamily({
    module: MODULE,
    model: CspNet,
    archs,
    deprecations,
    cfgs: defaultCfgs,
    // timm's _create_cspnet: DarkNets take the stem output as well by default.
    build: (name) => ({
      featureCfg: { flattenSequential: true, outIndices: name.startsWith('darknet') || name.startsWith('cspdarknet') ? [0, 1, 2, 3, 4, 5] : [0, 1, 2, 3, 4] },
    }),
  });
}
