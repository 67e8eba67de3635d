// timm's tiny_vit.py as data: the generated arch table and cfgs, and how timm's `_create_tiny_vit` builds them.
import { registerFamily } from '@zoo/core';
import { archs } from './archs.js';
import { defaultCfgs } from './cfgs.js';
import { checkpointFilterFn, TinyVit } from './tiny-vit.js';

/** timm's module name for these architectures. */
const MODULE = 'tiny_vit';

/** timm's modules whose architectures this package registers. */
export const MODULES = [MODULE] as const;

/**
 * Registers every TinyViT architecture (idempotent: calling it again is a no-op). As timm's `_create_tiny_vit`: the
 * four stages are the feature levels (out_indices 0–3), and pretrained weights go through the checkpoint filter,
 * which resizes the attention bias tables to the model's windows.
 */
export function register(): void {
  registerFamily({
    module: MODULE,
    model: TinyVit,
    archs,
    cfgs: defaultCfgs,
    build: () => ({ pretrainedFilterFn: checkpointFilterFn, featureCfg: { flattenSequential: true, outIndices: [0, 1, 2, 3] } }),
  });
}
