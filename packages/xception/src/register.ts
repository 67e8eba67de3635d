// timm's xception_aligned.py and xception.py: each architecture's arguments, built as timm's `_xception` /
// `_create_xception` do.
import { registerFamily } from '@zoo/core';
import { defaultCfgs } from './cfgs.js';
import { type XceptionAlignedArgs, type XceptionBlockCfg, XceptionAligned } from './xception-aligned.js';
import { LegacyXception } from './xception-legacy.js';

/** timm's module names for these architectures. */
const MODULE = 'xception_aligned';
const LEGACY_MODULE = 'xception';

/** timm's modules whose architectures this package registers. */
export const MODULES = [MODULE, LEGACY_MODULE] as const;

const b = (inChs: number, outChs: XceptionBlockCfg['outChs'], stride: number, extra: Partial<XceptionBlockCfg> = {}): XceptionBlockCfg => ({ inChs, outChs, stride, ...extra });
const middle = (n: number) => Array.from({ length: n }, () => b(728, 728, 1));
const EXIT_41_65 = (preact: boolean) => [
  b(728, [728, 1024, 1024], 2),
  b(1024, [1536, 1536, 2048], 1, preact ? { noSkip: true } : { noSkip: true, startWithRelu: false }),
];
const ENTRY = [b(64, 128, 2), b(128, 256, 2), b(256, 728, 2)];
/** timm's `partial(nn.BatchNorm2d, eps=.001, momentum=.1)`. */
const TF_EPS = 1e-3;

const ALIGNED_ARCHS: Record<string, XceptionAlignedArgs> = {
  xception41: { blockCfg: [...ENTRY, ...middle(8), ...EXIT_41_65(false)], normEps: TF_EPS },
  xception65: { blockCfg: [...ENTRY, ...middle(16), ...EXIT_41_65(false)], normEps: TF_EPS },
  xception71: {
    blockCfg: [b(64, 128, 2), b(128, 256, 1), b(256, 256, 2), b(256, 728, 1), b(728, 728, 2), ...middle(16), ...EXIT_41_65(false)],
    normEps: TF_EPS,
  },
  xception41p: { blockCfg: [...ENTRY, ...middle(8), ...EXIT_41_65(true)], preact: true },
  xception65p: { blockCfg: [...ENTRY, ...middle(16), ...EXIT_41_65(true)], preact: true, normEps: TF_EPS },
};

/** Registers every Xception architecture (idempotent: calling it again is a no-op). */
export function register(): void {
  registerFamily({
    module: MODULE,
    archs: ALIGNED_ARCHS,
    cfgs: defaultCfgs,
    model: XceptionAligned,
    build: { featureCfg: { flattenSequential: true, featureCls: 'hook' } },
  });
  registerFamily({
    module: LEGACY_MODULE,
    archs: { legacy_xception: {} },
    cfgs: defaultCfgs,
    model: LegacyXception,
    build: { featureCfg: { featureCls: 'hook' } },
    deprecations: { xception: 'legacy_xception' },
  });
}
