// timm's dla.py as data: the generated arch table and cfgs, and how timm's `_create_dla` builds them.
import { type BuildOptions, registerFamily } from '@zoo/core';
import { archs, deprecations } from './archs.js';
import { defaultCfgs } from './cfgs.js';
import { DLA } from './dla.js';

/** timm's module name for these architectures. */
const MODULE = 'dla';

/** timm's modules whose architectures this package registers. */
export const MODULES = [MODULE] as const;

/**
 * How timm's `_create_dla` builds: features at levels 1–5 (level 0, at stride 1, is left out by default); weights
 * load non-strictly, since the official checkpoints hold project layers that the trees never use.
 */
const build: BuildOptions = { featureCfg: { outIndices: [1, 2, 3, 4, 5] }, pretrainedStrict: false };

/** Registers every DLA architecture (idempotent: calling it again is a no-op). */
export function register(): void {
  registerFamily({ module: MODULE, archs, cfgs: defaultCfgs, model: DLA, build, deprecations });
}
