// Every architecture of timm's cspnet.py: each is its CspModelCfg (model-cfgs.ts) and one call, as in timm.
import { buildModelWithCfg, type CreateModelOptions, registerModel } from '@zoo/core';
import { defaultCfgs } from './cfgs.js';
import { CspNet } from './cspnet.js';
import { MODEL_CFGS } from './model-cfgs.js';

/** timm's module name for these architectures. */
export const MODULE = 'cspnet';

/** Registers every CspNet architecture (idempotent: calling it again is a no-op). */
export function register(): void {
  for (const [name, cfg] of Object.entries(MODEL_CFGS)) {
    // timm's _create_cspnet: DarkNets take the stem output as well by default.
    const outIndices = name.startsWith('darknet') || name.startsWith('cspdarknet') ? [0, 1, 2, 3, 4, 5] : [0, 1, 2, 3, 4];
    registerModel({
      name,
      module: MODULE,
      defaultCfg: defaultCfgs[name],
      create: (kwargs: CreateModelOptions) =>
        buildModelWithCfg(CspNet, name, { cfg, ...kwargs }, { featureCfg: { flattenSequential: true, outIndices } }),
    });
  }
}
