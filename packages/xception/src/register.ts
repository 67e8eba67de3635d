// Every architecture of timm's xception_aligned.py and xception.py: each is its arguments and one call, as in timm.
import { buildModelWithCfg, type CreateModelOptions, registerModel, registerModelDeprecations } from '@zoo/core';
import { defaultCfgs } from './cfgs.js';
import { type XceptionAlignedArgs, type XceptionBlockCfg, XceptionAligned } from './xception-aligned.js';
import { LegacyXception } from './xception-legacy.js';

/** timm's module names for these architectures. */
export const MODULE = 'xception_aligned';
export const LEGACY_MODULE = 'xception';

const aligned = (name: string, args: XceptionAlignedArgs) =>
  registerModel({
    name,
    module: MODULE,
    defaultCfg: defaultCfgs[name],
    create: (kwargs: CreateModelOptions) =>
      buildModelWithCfg(XceptionAligned, name, { ...args, ...kwargs }, { featureCfg: { flattenSequential: true, featureCls: 'hook' } }),
  });

const b = (inChs: number, outChs: XceptionBlockCfg['outChs'], stride: number, extra: Partial<XceptionBlockCfg> = {}): XceptionBlockCfg => ({ inChs, outChs, stride, ...extra });
const middle = (n: number) => Array.from({ length: n }, () => b(728, 728, 1));
const EXIT_41_65 = (preact: boolean) => [
  b(728, [728, 1024, 1024], 2),
  b(1024, [1536, 1536, 2048], 1, preact ? { noSkip: true } : { noSkip: true, startWithRelu: false }),
];
const ENTRY = [b(64, 128, 2), b(128, 256, 2), b(256, 728, 2)];
/** timm's `partial(nn.BatchNorm2d, eps=.001, momentum=.1)`. */
const TF_EPS = 1e-3;

/** Registers every Xception architecture (idempotent: calling it again is a no-op). */
export function register(): void {
  aligned('xception41', { blockCfg: [...ENTRY, ...middle(8), ...EXIT_41_65(false)], normEps: TF_EPS });
  aligned('xception65', { blockCfg: [...ENTRY, ...middle(16), ...EXIT_41_65(false)], normEps: TF_EPS });
  aligned('xception71', {
    blockCfg: [b(64, 128, 2), b(128, 256, 1), b(256, 256, 2), b(256, 728, 1), b(728, 728, 2), ...middle(16), ...EXIT_41_65(false)],
    normEps: TF_EPS,
  });
  aligned('xception41p', { blockCfg: [...ENTRY, ...middle(8), ...EXIT_41_65(true)], preact: true });
  aligned('xception65p', { blockCfg: [...ENTRY, ...middle(16), ...EXIT_41_65(true)], preact: true, normEps: TF_EPS });

  registerModel({
    name: 'legacy_xception',
    module: LEGACY_MODULE,
    defaultCfg: defaultCfgs.legacy_xception,
    create: (kwargs: CreateModelOptions) => buildModelWithCfg(LegacyXception, 'legacy_xception', { ...kwargs }, { featureCfg: { featureCls: 'hook' } }),
  });
  registerModelDeprecations(LEGACY_MODULE, { xception: 'legacy_xception' });
}
