// timm's vision_transformer_hybrid.py as data: the generated arch table and cfgs, and how timm's
// `_create_vision_transformer_hybrid` builds them: a VisionTransformer whose embed layer is a HybridEmbed over a
// backbone, both from the registry (@zoo/vit, @zoo/resnetv2, @zoo/resnet are peer dependencies, registered here).
import '@zoo/resnet';
import '@zoo/resnetv2';
import '@zoo/vit';
import { registerFamily } from '@zoo/core';
import { archs, deprecations } from './archs.js';
import { defaultCfgs } from './cfgs.js';
import { checkpointFilterFn, VitHybrid } from './vit-hybrid.js';

/** timm's module name for these architectures. */
const MODULE = 'vision_transformer_hybrid';

/** timm's modules whose architectures this package registers. */
export const MODULES = [MODULE] as const;

/** Registers every hybrid ViT architecture (idempotent: calling it again is a no-op). */
export function register(): void {
  registerFamily({
    module: MODULE,
    model: VitHybrid,
    archs,
    cfgs: defaultCfgs,
    build: { featureCfg: { outIndices: 3, featureCls: 'getter' }, pretrainedFilterFn: checkpointFilterFn },
    deprecations,
  });
}
