// timm's vision_transformer_relpos.py as data: the generated arch table and cfgs, and how timm's
// `_create_vision_transformer_relpos` builds them.
import { registerFamily } from '@zoo/core';
import { archs } from './archs.js';
import { defaultCfgs } from './cfgs.js';
import { VisionTransformerRelPos } from './vit-relpos.js';

/** timm's module name for these architectures. */
const MODULE = 'vision_transformer_relpos';

/** timm's modules whose architectures this package registers. */
export const MODULES = [MODULE] as const;

/** Registers every relative-position ViT architecture (idempotent: calling it again is a no-op). */
export function register(): void {
  registerFamily({
    module: MODULE,
    model: VisionTransformerRelPos,
    archs,
    cfgs: defaultCfgs,
    build: { featureCfg: { outIndices: 3, featureCls: 'getter' } },
  });
}
