// timm's resnetv2.py as data: the generated arch table and cfgs, and how timm's `_create_resnetv2` builds them.
import { type BuildOptions, registerFamily } from '@zoo/core';
import { archs, deprecations } from './archs.js';
import { defaultCfgs } from './cfgs.js';
import { ResNetV2 } from './resnetv2.js';

/** timm's module name for these architectures. */
const MODULE = 'resnetv2';

/** timm's modules whose architectures this package registers. */
export const MODULES = [MODULE] as const;

/**
 * How timm's `_create_resnetv2` builds: features from a FeatureListNet over the flattened stem and stages (the stem
 * conv, then stages.0 … stages.3), checkpoints loaded as they are.
 */
const build: BuildOptions = { featureCfg: { flattenSequential: true } };

/** Registers every ResNetV2 architecture (idempotent: calling it again is a no-op). */
export function register(): void {
  registerFamily({ module: MODULE, archs, cfgs: defaultCfgs, model: ResNetV2, build, deprecations });
}
