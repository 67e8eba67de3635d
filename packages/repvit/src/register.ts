// timm's repvit.py as data: the generated arch table and cfgs, and how timm's `_create_repvit` builds them.
import { registerFamily } from '@zoo/core';
import { archs } from './archs.js';
import { defaultCfgs } from './cfgs.js';
import { RepVit } from './repvit.js';

/** timm's module name for these architectures. */
const MODULE = 'repvit';

/** timm's modules whose architectures this package registers. */
export const MODULES = [MODULE] as const;

/** Registers every RepViT architecture (idempotent: calling it again is a no-op). */
export function register(): void {
  registerFamily({
    module: MODULE,
    model: RepVit,
    archs,
    cfgs: defaultCfgs,
    build: { featureCfg: { flattenSequential: true, outIndices: [0, 1, 2, 3] } },
  });
}
