// timm's `_create_effnet` / `_create_mnv3`: features_only without a feature_cls gives the family's own features
// class (stem + stage ends); anything else goes through the generic builder.
import {
  buildModelWithCfg, cfgForFeatures, type CreateModelOptions, type FeatureCfg, type FeatureModel, type ModelClass, type OutIndices,
  type VisionModel,
} from '@zoo/core';
import { EfficientNet, EfficientNetFeatures, MobileNetV3Features } from './efficientnet.js';
import { MobileNetV3 } from './mobilenetv3.js';

type Kwargs = CreateModelOptions & Record<string, unknown>;

async function createFamily(
  cls: ModelClass<EfficientNet | MobileNetV3>, variant: string, kwargs: Kwargs, filter: string[], stemNames: string[],
  prunedDefinition?: string, features: typeof EfficientNetFeatures = EfficientNetFeatures,
): Promise<VisionModel | FeatureModel> {
  const { featuresOnly, outIndices, featureCls, featureCfg, featureLocation, ...rest } = kwargs as Kwargs & {
    featureLocation?: string; featureCfg?: FeatureCfg;
  };
  if (featureLocation !== undefined && !['', 'bottleneck', 'expansion'].includes(featureLocation)) {
    throw new Error(`${variant}: featureLocation must be 'bottleneck' or 'expansion', got '${featureLocation}'`);
  }
  if (featuresOnly && featureCls === undefined && featureCfg === undefined) {
    const args: Kwargs = { ...rest, featureLocation: featureLocation ?? 'bottleneck' };
    // timm filters the head kwargs for its features class; the whole model is built here (with its head, so that a
    // checkpoint loads), minus the classifier and pool, and only the stem and blocks are kept.
    for (const k of filter) delete args[k];
    const model = (await buildModelWithCfg(cls, variant, { ...args, numClasses: 0 }, { prunedDefinition })) as EfficientNet | MobileNetV3;
    const fm = new features(model, (outIndices as OutIndices | undefined) ?? [0, 1, 2, 3, 4], stemNames);
    for (const [name, m] of model.namedChildren()) if (!stemNames.includes(name) && name !== 'blocks') m.dispose();
    fm.pretrainedCfg = cfgForFeatures(model.pretrainedCfg);
    return fm;
  }
  // timm's 'cfg' mode: a feature_cfg or feature_cls goes to the generic wrappers.
  return buildModelWithCfg(cls, variant, { ...rest, featureLocation, featuresOnly, outIndices, featureCls }, { prunedDefinition, featureCfg });
}

/** timm's `_create_effnet`. */
export function createEffnet(variant: string, kwargs: Kwargs, prunedDefinition?: string): Promise<VisionModel | FeatureModel> {
  return createFamily(EfficientNet, variant, kwargs, ['numClasses', 'globalPool'], ['conv_stem', 'bn1'], prunedDefinition);
}

/** timm's `_create_mnv3`. */
export function createMnv3(variant: string, kwargs: Kwargs): Promise<VisionModel | FeatureModel> {
  return createFamily(
    MobileNetV3, variant, kwargs, ['numClasses', 'globalPool'], ['conv_stem', 'bn1'], undefined, MobileNetV3Features,
  );
}
