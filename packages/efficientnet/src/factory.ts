// timm's `_create_effnet` / `_create_mnv3`: features_only without a feature_cls gives the family's own features
// class (stem + stage ends); anything else goes through the generic builder.
import {
  buildModelWithCfg, cfgForFeatures, type CreateModelOptions, type FeatureCfg, type FeatureModel, type ModelClass, type OutIndices,
  type VisionModel,
} from '@zoo/core';
import { EfficientNet, EfficientNetFeatures } from './efficientnet.js';
import { MobileNetV3 } from './mobilenetv3.js';

type Kwargs = CreateModelOptions & Record<string, unknown>;

async function createFamily(
  cls: ModelClass<EfficientNet | MobileNetV3>, variant: string, kwargs: Kwargs, filter: string[], stemNames: string[],
  prunedDefinition?: string,
): Promise<VisionModel | FeatureModel> {
  const { featuresOnly, outIndices, featureCls, featureCfg, featureLocation, ...rest } = kwargs as Kwargs & {
    featureLocation?: string; featureCfg?: FeatureCfg;
  };
  if (featureLocation && featureLocation !== 'bottleneck') {
    throw new Error(`${variant}: featureLocation '${featureLocation}' is not supported (only 'bottleneck')`);
  }
  if (featuresOnly && featureCls === undefined && featureCfg === undefined) {
    const args: Kwargs = { ...rest };
    for (const k of filter) delete args[k];
    // Build the whole model without a classifier, load weights into it, then keep the stem and blocks.
    const model = (await buildModelWithCfg(cls, variant, { ...args, numClasses: 0 }, { prunedDefinition })) as EfficientNet | MobileNetV3;
    const fm = new EfficientNetFeatures(model, (outIndices as OutIndices | undefined) ?? [0, 1, 2, 3, 4], stemNames);
    for (const [name, m] of model.namedChildren()) if (!stemNames.includes(name) && name !== 'blocks') m.dispose();
    fm.pretrainedCfg = cfgForFeatures(model.pretrainedCfg);
    return fm;
  }
  // timm's 'cfg' mode: a feature_cfg or feature_cls goes to the generic wrappers.
  return buildModelWithCfg(cls, variant, { ...rest, featuresOnly, outIndices, featureCls }, { prunedDefinition, featureCfg });
}

/** timm's `_create_effnet`. */
export function createEffnet(variant: string, kwargs: Kwargs, prunedDefinition?: string): Promise<VisionModel | FeatureModel> {
  return createFamily(EfficientNet, variant, kwargs, ['numClasses', 'numFeatures', 'headConv', 'globalPool'], ['conv_stem', 'bn1'], prunedDefinition);
}

/** timm's `_create_mnv3`. */
export function createMnv3(variant: string, kwargs: Kwargs): Promise<VisionModel | FeatureModel> {
  return createFamily(
    MobileNetV3, variant, kwargs, ['numClasses', 'numFeatures', 'headConv', 'headBias', 'headNorm', 'globalPool'], ['conv_stem', 'bn1'],
  );
}
