// timm's swin_transformer.py and swin_transformer_v2.py as data: the generated arch table and cfgs, and how timm's
// `_create_swin_transformer` / `_create_swin_transformer_v2` build them.
import { registerFamily } from '@zoo/core';
import { archs, deprecations, moduleNames } from './archs.js';
import { defaultCfgs } from './cfgs.js';
import { checkpointFilterFn, checkpointFilterFnV2, SwinTransformer, SwinTransformerV2 } from './swin.js';

const V1 = 'swin_transformer';
const V2 = 'swin_transformer_v2';

/** timm's modules whose architectures this package registers. */
export const MODULES = [V1, V2] as const;

/** Registers every Swin and Swin-V2 architecture (idempotent: calling it again is a no-op). */
export function register(): void {
  // timm: features_only as a FeatureListNet over the flattened `layers` (NHWC maps), every stage by default.
  const featureCfg = { flattenSequential: true, outIndices: [0, 1, 2, 3] };
  registerFamily({
    module: V1,
    model: SwinTransformer,
    names: moduleNames[V1],
    archs,
    deprecations,
    cfgs: defaultCfgs,
    build: { featureCfg, pretrainedFilterFn: checkpointFilterFn },
  });
  registerFamily({
    module: V2,
    model: SwinTransformerV2,
    names: moduleNames[V2],
    archs,
    deprecations,
    cfgs: defaultCfgs,
    build: { featureCfg, pretrainedFilterFn: checkpointFilterFnV2 },
  });
}
