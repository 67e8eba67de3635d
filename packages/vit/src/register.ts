// timm's vision_transformer.py and deit.py as data: the generated arch table and cfgs, and how timm's
// `_create_vision_transformer` / `_create_deit` build them.
import { type BuildOptions, type CreateModelOptions, registerFamily } from '@zoo/core';
import { archs, deprecations, moduleNames } from './archs.js';
import { defaultCfgs } from './cfgs.js';
import { checkpointFilterFn, VisionTransformer } from './vit.js';

/** timm's module names for these architectures. */
const VIT_MODULE = 'vision_transformer';
const DEIT_MODULE = 'deit';

/** timm's modules whose architectures this package registers. */
export const MODULES = [VIT_MODULE, DEIT_MODULE] as const;

const featureCfg = { featureCls: 'getter' as const, outIndices: 3 };

const vitBuild = (name: string, kwargs: CreateModelOptions): BuildOptions => ({
  featureCfg,
  // timm: FlexiViT weights prefer bilinear, non-antialiased patch / pos-embed resampling.
  pretrainedFilterFn: (sd, model) => checkpointFilterFn(sd, model, name.includes('flexi') ? { interpolation: 'bilinear', antialias: false } : {}),
  // timm: SigLIP weights carry an attention-pool head; without it, load non-strictly.
  pretrainedStrict: !(name.includes('siglip') && kwargs.globalPool !== 'map'),
});

const deitBuild: BuildOptions = {
  featureCfg,
  pretrainedFilterFn: (sd, model) => checkpointFilterFn(sd, model, { adaptLayerScale: true }),
};

/** Registers every ViT / DeiT architecture built here (idempotent: calling it again is a no-op). */
export function register(): void {
  registerFamily({
    module: VIT_MODULE,
    names: moduleNames[VIT_MODULE],
    archs,
    deprecations,
    cfgs: defaultCfgs,
    model: VisionTransformer,
    build: vitBuild,
  });
  registerFamily({
    module: DEIT_MODULE,
    names: moduleNames[DEIT_MODULE],
    archs,
    deprecations,
    cfgs: defaultCfgs,
    model: VisionTransformer,
    build: deitBuild,
  });
}
