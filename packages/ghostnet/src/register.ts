// timm's ghostnet.py as data: the generated arch table and cfgs, and how timm's `_create_ghostnet` builds them.
import { registerFamily, type StateDict } from '@zoo/core';
import { archs } from './archs.js';
import { defaultCfgs } from './cfgs.js';
import { GhostNet } from './ghostnet.js';

/** timm's module name for these architectures. */
const MODULE = 'ghostnet';

/** timm's modules whose architectures this package registers. */
export const MODULES = [MODULE] as const;

/**
 * timm's `checkpoint_filter_fn`: original GhostNetV3 checkpoints name the branch norms `bn` (timm: `bn1`) and hold
 * FLOP counters (`total_*`).
 */
export function checkpointFilterFn(sd: StateDict): StateDict {
  const out: StateDict = {};
  for (let [k, v] of Object.entries(sd)) {
    if (k.includes('bn.') && (k.includes('.ghost') || k.includes('.dw_rpr_'))) k = k.replace('bn.', 'bn1.');
    if (k.includes('total')) continue;
    out[k] = v;
  }
  return out;
}

/** Registers every GhostNet architecture (idempotent: calling it again is a no-op). */
export function register(): void {
  registerFamily({
    module: MODULE,
    model: GhostNet,
    archs,
    cfgs: defaultCfgs,
    build: { pretrainedFilterFn: checkpointFilterFn, featureCfg: { flattenSequential: true } },
  });
}
