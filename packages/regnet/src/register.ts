// timm's regnet.py as data: the generated arch table and cfgs, and how timm's `_create_regnet` builds them.
import { type BuildOptions, registerFamily } from '@zoo/core';
import { archs, deprecations } from './archs.js';
import { defaultCfgs } from './cfgs.js';
import { checkpointFilterFn, RegNet } from './regnet.js';

/** timm's module name for these architectures. */
const MODULE = 'regnet';

/** timm's modules whose architectures this package registers. */
export const MODULES = [MODULE] as const;

/** How timm's `_create_regnet` builds: torchvision checkpoints remapped; features at stem, s1 … s4 (timm's defaults). */
const build: BuildOptions = { pretrainedFilterFn: (sd) => checkpointFilterFn(sd) };

/** Registers every RegNet architecture (idempotent: calling it again is a no-op). */
export function register(): void {
  registerFamily({ module: MODULE, archs, cfgs: defaultCfgs, model: RegNet, build, deprecations });
}
