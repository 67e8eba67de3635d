// timm's rexnet.py as data: the generated arch table and cfgs, and how timm's `_create_rexnet` builds them.
import { type BuildOptions, registerFamily } from '@zoo/core';
import { archs, deprecations } from './archs.js';
import { defaultCfgs } from './cfgs.js';
import { RexNet } from './rexnet.js';

/** timm's module name for these architectures. */
const MODULE = 'rexnet';

/** timm's modules whose architectures this package registers. */
export const MODULES = [MODULE] as const;

/** How timm's `_create_rexnet` builds: the feature levels sit one Sequential down (`features.N`). */
const build: BuildOptions = { featureCfg: { flattenSequential: true } };

/** Registers every ReXNet architecture (idempotent: calling it again is a no-op). */
export function register(): void {
  registerFamily({ module: MODULE, archs, cfgs: defaultCfgs, model: RexNet, build, deprecations });
}
