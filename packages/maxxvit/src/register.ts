// timm's maxxvit.py as data: the generated arch table and cfgs, and how timm's `_create_maxxvit` builds them.
import { registerFamily } from '@zoo/core';
import { archs, deprecations } from './archs.js';
import { defaultCfgs } from './cfgs.js';
import { checkpointFilterFn, MaxxVit } from './maxxvit.js';

/** timm's modules whose architectures this package registers. */
export const MODULES = ['maxxvit'] as const;

/** Registers every CoAtNet / MaxViT / MaxxViT architecture (idempotent: calling it again is a no-op). */
export function register(): void {
  registerFamily({
    module: 'maxxvit',
    archs,
    cfgs: defaultCfgs,
    model: MaxxVit,
    // timm: features_only as a FeatureListNet over stem + the flattened stages (its default out_indices: all five).
    build: { featureCfg: { flattenSequential: true }, pretrainedFilterFn: checkpointFilterFn },
    deprecations,
  });
}
