// timm's xception_aligned.py and xception.py as data: XceptionAligned's generated arch table and both modules'
// cfgs, built as timm's `_xception` / `_create_xception` do.
import { registerFamily } from '@zoo/core';
import { archs, deprecations } from './archs.js';
import { defaultCfgs } from './cfgs.js';
import { XceptionAligned } from './xception-aligned.js';
import { LegacyXception } from './xception-legacy.js';

/** timm's module names for these architectures. */
const MODULE = 'xception_aligned';
const LEGACY_MODULE = 'xception';

/** timm's modules whose architectures this package registers. */
export const MODULES = [MODULE, LEGACY_MODULE] as const;

/** Registers every Xception architecture (idempotent: calling it again is a no-op). */
export function register(): void {
  registerFamily({
    module: MODULE,
    archs,
    cfgs: defaultCfgs,
    deprecations,
    model: XceptionAligned,
    build: { featureCfg: { flattenSequential: true, featureCls: 'hook' } },
  });
  // timm's xception.py registers one architecture, with no arguments, and the old name as a deprecation.
  registerFamily({
    module: LEGACY_MODULE,
    archs: { legacy_xception: {} },
    cfgs: defaultCfgs,
    model: LegacyXception,
    build: { featureCfg: { featureCls: 'hook' } },
    deprecations: { xception: 'legacy_xception' },
  });
}
