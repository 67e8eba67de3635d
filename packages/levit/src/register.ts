// timm's levit.py as data: the generated arch table and cfgs, and how timm's `create_levit` builds them.
import { registerFamily } from '@zoo/core';
import { archs } from './archs.js';
import { defaultCfgs } from './cfgs.js';
import { checkpointFilterFn, Levit } from './levit.js';

/** timm's module name for these architectures. */
const MODULE = 'levit';

/** timm's modules whose architectures this package registers. */
export const MODULES = [MODULE] as const;

/**
 * Registers every LeViT architecture (idempotent: calling it again is a no-op). As timm's `create_levit`: the three
 * stages are the feature levels; linear (token) models give them through `forwardIntermediates` (feature_cls
 * 'getter'), conv models through the stages' outputs.
 */
export function register(): void {
  registerFamily({
    module: MODULE,
    model: Levit,
    archs,
    cfgs: defaultCfgs,
    build: (name: string) => ({
      pretrainedFilterFn: checkpointFilterFn,
      featureCfg: { flattenSequential: true, outIndices: [0, 1, 2], ...(name.includes('_conv') ? {} : { featureCls: 'getter' as const }) },
    }),
  });
}
