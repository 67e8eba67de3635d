// timm's mlp_mixer.py as data: the generated arch table and cfgs, and how timm's `_create_mixer` builds them.
import { registerFamily } from '@zoo/core';
import { archs, deprecations } from './archs.js';
import { defaultCfgs } from './cfgs.js';
import { checkpointFilterFn, MlpMixer } from './mlp-mixer.js';

/** timm's module name for these architectures. */
const MODULE = 'mlp_mixer';

/** timm's modules whose architectures this package registers. */
export const MODULES = [MODULE] as const;

/** Registers every MLP-Mixer / ResMLP / gMLP architecture (idempotent: calling it again is a no-op). */
export function register(): void {
  registerFamily({
    module: MODULE,
    model: MlpMixer,
    archs,
    cfgs: defaultCfgs,
    // timm: features through forward_intermediates (the 'getter' wrapper), the last three blocks by default.
    build: { pretrainedFilterFn: checkpointFilterFn, featureCfg: { featureCls: 'getter', outIndices: 3 } },
    deprecations,
  });
}
