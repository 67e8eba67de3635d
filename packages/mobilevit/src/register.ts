// timm's mobilevit.py as data: the generated arch table (each row with timm's `model_cfgs` entry as `cfg`, in core's
// ByoModelCfg language, whose 'mobilevit' / 'mobilevit2' block types are core's) and cfgs, built as timm's
// `_create_mobilevit` does.
import { registerFamily } from '@zoo/core';
import { archs, deprecations } from './archs.js';
import { defaultCfgs } from './cfgs.js';
import { MobileVit } from './mobilevit.js';

/** timm's module name for these architectures. */
const MODULE = 'mobilevit';

/** timm's modules whose architectures this package registers. */
export const MODULES = [MODULE] as const;

/** Registers every MobileViT architecture (idempotent: calling it again is a no-op). */
export function register(): void {
  registerFamily({ module: MODULE, model: MobileVit, archs, deprecations, cfgs: defaultCfgs, build: { featureCfg: { flattenSequential: true } } });
}
