// timm's cspnet.py: each architecture is its CspModelCfg (model-cfgs.ts), built as timm's `_create_cspnet` does.
import { registerFamily } from '@zoo/core';
import { defaultCfgs } from './cfgs.js';
import { CspNet } from './cspnet.js';
import { MODEL_CFGS } from './model-cfgs.js';

/** timm's modules whose architectures this package registers. */
export const MODULES = ['cspnet'] as const;

/** Registers every CspNet architecture (idempotent: calling it again is a no-op). */
export function register(): void {
  registerFamily({
    module: 'cspnet',
    archs: Object.fromEntries(Object.entries(MODEL_CFGS).map(([name, cfg]) => [name, { cfg }])),
    cfgs: defaultCfgs,
    model: CspNet,
    // timm's _create_cspnet: DarkNets take the stem output as well by default.
    build: (name) => ({
      featureCfg: { flattenSequential: true, outIndices: name.startsWith('darknet') || name.startsWith('cspdarknet') ? [0, 1, 2, 3, 4, 5] : [0, 1, 2, 3, 4] },
    }),
  });
}
