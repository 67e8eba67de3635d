// timm's swin_transformer.py and swin_transformer_v2.py as data: the generated arch table and cfgs, and how timm's
// `_create_swin_transformer` / `_create_swin_transformer_v2` build them.
import { registerFamily } from '@zoo/core';
import { archs, deprecations } from './archs.js';
import { defaultCfgs } from './cfgs.js';
import { checkpointFilterFn, checkpointFilterFnV2, type SwinArgs, SwinTransformer, SwinTransformerV2 } from './swin.js';

const V1 = 'swin_transformer';
const V2 = 'swin_transformer_v2';

/** timm's modules whose architectures this package registers. */
export const MODULES = [V1, V2] as const;

/** The arch table rows of one module: timm names every Swin-V2 architecture `swinv2_*`, and no V1 one. */
function rows(v2: boolean): Record<string, SwinArgs> {
  return Object.fromEntries(Object.entries(archs).filter(([name]) => name.startsWith('swinv2_') === v2));
}

/** Registers every Swin and Swin-V2 architecture (idempotent: calling it again is a no-op). */
export function register(): void {
  // timm: features_only as a FeatureListNet over the flattened `layers` (NHWC maps), every stage by default.
  const featureCfg = { flattenSequential: true, outIndices: [0, 1, 2, 3] };
  registerFamily({
    module: V1,
    model: SwinTransformer,
    archs: rows(false),
    cfgs: defaultCfgs,
    build: { featureCfg, pretrainedFilterFn: checkpointFilterFn },
    deprecations: Object.fromEntries(Object.entries(deprecations).filter(([name]) => !name.startsWith('swinv2_'))),
  });
  registerFamily({
    module: V2,
    model: SwinTransformerV2,
    archs: rows(true),
    cfgs: defaultCfgs,
    build: { featureCfg, pretrainedFilterFn: checkpointFilterFnV2 },
    deprecations: Object.fromEntries(Object.entries(deprecations).filter(([name]) => name.startsWith('swinv2_'))),
  });
}
