// timm's nfnet.py as data: the generated arch table and cfgs, and how timm's `_create_normfreenet` builds them.
import { registerFamily } from '@zoo/core';
import { archs, deprecations } from './archs.js';
import { defaultCfgs } from './cfgs.js';
import { NormFreeNet } from './nfnet.js';

/** timm's module name for these architectures. */
const MODULE = 'nfnet';

/** timm's modules whose architectures this package registers. */
export const MODULES = [MODULE] as const;

/** Registers every NFNet architecture (idempotent: calling it again is a no-op). Features as timm's `flatten_sequential`. */
export function register(): void {
  registerFamily({ module: MODULE, archs, cfgs: defaultCfgs, model: NormFreeNet, build: { featureCfg: { flattenSequential: true } }, deprecations });
}
