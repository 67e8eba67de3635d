// timm's hrnet.py as data: the generated arch table (each row with timm's `cfg_cls` entry as `cfg`) and cfgs, and
// how timm's `_create_hrnet` builds them (features_only as HighResolutionNetFeatures, not a generic wrapper).
import {
  buildModelWithCfg, type CreateModelOptions, cfgForFeatures, type FeatureModel, ModelOptionError, type OutIndices, registerFamily, type VisionModel,
} from '@zoo/core';
import { archs, deprecations } from './archs.js';
import { defaultCfgs } from './cfgs.js';
import { HighResolutionNet, type HighResolutionNetArgs, HighResolutionNetFeatures, type HrnetHead } from './hrnet.js';

/** timm's module name for these architectures. */
const MODULE = 'hrnet';

/** timm's modules whose architectures this package registers. */
export const MODULES = [MODULE] as const;

const FEATURE_LOCATIONS: readonly string[] = ['incre', ''];

/**
 * timm's `_create_hrnet`: the classifier built and loaded strictly (unless `head` is not 'classification', or
 * `pretrainedStrict` says otherwise); with `featuresOnly`, a {@link HighResolutionNetFeatures} whose network has
 * `head` = `featureLocation` ('incre' by default), numClasses and globalPool filtered out, weights loaded non-strictly
 * (the checkpoint's head is left out), and the cfg without its classifier fields.
 */
export async function createHrnet(name: string, args: HighResolutionNetArgs, kwargs: CreateModelOptions): Promise<VisionModel | FeatureModel> {
  const { pretrainedStrict, featureLocation, featuresOnly, outIndices, featureCls, ...rest } = kwargs;
  if (pretrainedStrict !== undefined && typeof pretrainedStrict !== 'boolean') throw new ModelOptionError('pretrainedStrict', pretrainedStrict, 'true or false', name);
  if (!featuresOnly) {
    if (featureLocation !== undefined) throw new ModelOptionError('featureLocation', featureLocation, "only with featuresOnly: true ('incre' or '')", name);
    const head = (rest.head as HrnetHead | undefined) ?? 'classification';
    return buildModelWithCfg(HighResolutionNet, name, { ...args, ...rest }, { pretrainedStrict: pretrainedStrict ?? head === 'classification' });
  }
  if (featureCls !== undefined) {
    throw new ModelOptionError('featureCls', featureCls, "unset: timm builds HRNet's features as HighResolutionNetFeatures, its own class", name);
  }
  if (rest.head !== undefined) throw new ModelOptionError('head', rest.head, "unset with featuresOnly (featureLocation chooses the head: 'incre' or '')", name);
  const location = featureLocation ?? 'incre';
  if (typeof location !== 'string' || !FEATURE_LOCATIONS.includes(location)) throw new ModelOptionError('featureLocation', location, "'incre' or ''", name);
  const net = (await buildModelWithCfg(HighResolutionNet, name, { ...args, ...rest, head: location as HrnetHead }, {
    pretrainedStrict: pretrainedStrict ?? false,
    kwargsFilter: ['numClasses', 'globalPool'],
  })) as HighResolutionNet;
  try {
    const fm = new HighResolutionNetFeatures(net, (outIndices as OutIndices | undefined) ?? [0, 1, 2, 3, 4]);
    fm.pretrainedCfg = cfgForFeatures(net.pretrainedCfg);
    return fm;
  } catch (e) {
    net.dispose();
    throw e;
  }
}

/** Registers every HRNet architecture (idempotent: calling it again is a no-op). */
export function register(): void {
  registerFamily({ module: MODULE, archs, cfgs: defaultCfgs, create: createHrnet, deprecations });
}
