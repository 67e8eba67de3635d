// timm's densenet.py as data: the generated arch table and cfgs, and how timm's `_create_densenet` builds them.
import { type BuildOptions, registerFamily } from '@zoo/core';
import { archs, deprecations } from './archs.js';
import { defaultCfgs } from './cfgs.js';
import { DenseNet, filterTorchvisionPretrained } from './densenet.js';

/** timm's module name for these architectures. */
const MODULE = 'densenet';

/** timm's modules whose architectures this package registers. */
export const MODULES = [MODULE] as const;

/** How timm's `_create_densenet` builds: torchvision checkpoints remapped; feature levels one Sequential down. */
const build: BuildOptions = { featureCfg: { flattenSequential: true }, pretrainedFilterFn: (sd) => filterTorchvisionPretrained(sd) };

/** Registers every DenseNet architecture (idempotent: calling it again is a no-op). */
export function register(): void {
  registerFamily({ module: MODULE, archs, cfgs: defaultCfgs, model: DenseNet, build, deprecations });
}
