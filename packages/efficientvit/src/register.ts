// timm's efficientvit_mit.py as data: the generated arch table and cfgs, and how timm's `_create_efficientvit(_large)` build them.
import { registerFamily } from '@zoo/core';
import { archs } from './archs.js';
import { defaultCfgs } from './cfgs.js';
import { EfficientVit } from './efficientvit.js';

/** timm's module name for these architectures. */
const MODULE = 'efficientvit_mit';

/** timm's modules whose architectures this package registers. */
export const MODULES = [MODULE] as const;

/**
 * Registers every EfficientViT (MIT) architecture, B and L series (idempotent: calling it again is a no-op). As
 * timm's `_create_efficientvit`: the four stages are the feature levels (FeatureListNet over the flattened stages).
 */
export function register(): void {
  registerFamily({
    module: MODULE,
    model: EfficientVit,
    archs,
    cfgs: defaultCfgs,
    build: { featureCfg: { flattenSequential: true, outIndices: [0, 1, 2, 3] } },
  });
}
