import * as tf from '@tensorflow/tfjs-core';
import {
  type GroupMatcher,
  Activation, type ActName, Conv2d, convNormAct, createConv2d, createNormAct, type FeatureInfoEntry,
  type ForwardIntermediatesOptions, Identity, type IntermediatesResult, Linear, type Module, type NormLayer,
  type OutIndices, resolveAct, SelectAdaptivePool2d, Sequential, VisionModel,
} from '@zoo/core';
import { type BlockArgs, EfficientNetBuilder, roundChannels, type SeLayer } from './builder.js';
import type { AaLayer } from './layers.js';
import { runStages, runStem, truncateTrunk, trunkIntermediates } from './trunk.js';

export interface MobileNetV3Args {
  blockArgs: BlockArgs[][];
  numClasses?: number;
  inChans?: number;
  stemSize?: number;
  fixStem?: boolean;
  numFeatures?: number;
  headBias?: boolean;
  headNorm?: boolean;
  padType?: '' | 'same' | 'valid';
  actLayer?: string;
  normLayer?: NormLayer;
  aaLayer?: AaLayer;
  seLayer?: SeLayer;
  seFromExp?: boolean;
  roundChsFn?: (c: number) => number;
  dropRate?: number;
  dropPathRate?: number;
  layerScaleInitValue?: number | null;
  globalPool?: string;
  /** Where feature_info points: block outputs ('bottleneck', default) or the expanded features ('expansion'). */
  featureLocation?: '' | 'bottleneck' | 'expansion';
}

const ARG_NAMES: readonly (keyof MobileNetV3Args)[] = [
  'blockArgs', 'numClasses', 'inChans', 'stemSize', 'fixStem', 'numFeatures', 'headBias', 'headNorm', 'padType',
  'actLayer', 'normLayer', 'aaLayer', 'seLayer', 'seFromExp', 'roundChsFn', 'dropRate', 'dropPathRate',
  'layerScaleInitValue', 'globalPool', 'featureLocation',
];

/**
 * timm's MobileNetV3 (and MobileNetV4, LCNet, FBNetV3): the trunk, then global pool → 1×1 conv head (+ norm) →
 * act → classifier. Keys: conv_stem, bn1, blocks.i.j.*, conv_head, norm_head, classifier.
 */
export class MobileNetV3 extends VisionModel {
  static readonly argNames: readonly (keyof MobileNetV3Args)[] = ARG_NAMES;
  numClasses: number;
  numFeatures: number;
  headHiddenSize: number;
  /** timm's decoded block definitions (`block_args`) the blocks were built from, stage by stage. */
  readonly blockArgs: readonly (readonly BlockArgs[])[];
  readonly inChans: number;
  readonly dropRate: number;
  readonly stageEnds: number[];
  readonly builderFeatures: FeatureInfoEntry[];
  private readonly act: ActName;

  constructor(args: MobileNetV3Args) {
    super();
    const {
      blockArgs, numClasses = 1000, inChans = 3, stemSize = 16, fixStem = false, numFeatures = 1280, headBias = true,
      headNorm = false, padType = '', actLayer = 'relu', normLayer, aaLayer, seLayer = {}, seFromExp = true,
      roundChsFn = (c: number) => roundChannels(c), dropRate = 0, dropPathRate = 0, layerScaleInitValue = null,
      globalPool = 'avg', featureLocation = '',
    } = args;
    const act = resolveAct(actLayer);
    this.act = act;
    this.numClasses = numClasses;
    this.inChans = inChans;
    this.dropRate = dropRate;
    const stem = fixStem ? stemSize : roundChsFn(stemSize);
    this.addModule('conv_stem', createConv2d(inChans, stem, 3, { stride: 2, padding: padType }));
    this.addModule('bn1', createNormAct(normLayer, stem, act));
    const builder = new EfficientNetBuilder({
      outputStride: 32, padType, roundChsFn, seFromExp, actLayer: act, normLayer, aaLayer, seLayer, dropPathRate,
      layerScaleInitValue, featureLocation,
    });
    this.blockArgs = blockArgs;
    this.addModule('blocks', new Sequential(builder.build(stem, blockArgs)));
    this.builderFeatures = builder.features;
    this.featureInfo = builder.features;
    this.stageEnds = builder.features.map((f) => f.stage!);
    this.numFeatures = builder.inChs;
    this.headHiddenSize = numFeatures;
    const pool = this.addModule('global_pool', new SelectAdaptivePool2d({ poolType: globalPool }));
    const pooledChs = this.numFeatures * pool.featMult();
    if (headNorm) {
      this.addModule('conv_head', createConv2d(pooledChs, numFeatures, 1, { padding: padType, bias: false }));
      this.addModule('norm_head', createNormAct(normLayer, numFeatures, act));
      this.addModule('act2', new Identity());
    } else {
      this.addModule('conv_head', createConv2d(pooledChs, numFeatures, 1, { padding: padType, bias: headBias }));
      this.addModule('norm_head', new Identity());
      this.addModule('act2', new Activation(act));
    }
    this.addModule('classifier', numClasses > 0 ? new Linear(numFeatures, numClasses) : new Identity());
  }

  /** timm's `MobileNetV3.group_matcher`: layer groups for layer-wise lr decay. */
  override groupMatcher(coarse = false): GroupMatcher {
    return { stem: '^conv_stem|bn1', blocks: coarse ? String.raw`^blocks\.(\d+)` : String.raw`^blocks\.(\d+)\.(\d+)` };
  }

  protected computeFeatures(x: tf.Tensor): tf.Tensor {
    return runStages(this.getChild('blocks')!, runStem(this, x));
  }

  protected override computeHead(x: tf.Tensor, preLogits: boolean): tf.Tensor {
    const pool = this.getChild('global_pool') as SelectAdaptivePool2d;
    // Pool keeping the spatial dims, so the conv head sees [B, 1, 1, C] as timm's does.
    if (!pool.isIdentity()) x = tf.reshape(pool.forward(x), [x.shape[0]!, 1, 1, -1]);
    const convHead = this.getChild('conv_head')!;
    const normHead = this.getChild('norm_head')!;
    if (convHead instanceof Conv2d) {
      x = normHead instanceof Identity ? convHead.forwardAct(x, this.act) : convNormAct(x, convHead, normHead);
    } else {
      x = this.getChild('act2')!.forward(normHead.forward(convHead.forward(x)));
    }
    if (!pool.isIdentity()) x = tf.reshape(x, [x.shape[0]!, -1]);
    if (preLogits) return x;
    return this.getChild('classifier')!.forward(x);
  }

  protected override computeIntermediates(x: tf.Tensor, o: ForwardIntermediatesOptions): IntermediatesResult {
    // The conv head comes after pooling here: intermediates end at the trunk.
    return trunkIntermediates(this, x, o, this.takeIndices(this.stageEnds.length, o));
  }

  override pruneIntermediateLayers(indices: OutIndices = 1, _pruneNorm = false, pruneHead = true): number[] {
    return this.pruneLevels(this.stageEnds.length, indices, pruneHead, (maxIndex) => {
      const { maxStage, numStages } = truncateTrunk(this, maxIndex);
      if (maxStage < numStages || pruneHead) {
        this.addModule('conv_head', new Identity());
        this.addModule('norm_head', new Identity());
      }
    });
  }

  override resetClassifier(numClasses: number, globalPool = 'avg'): void {
    this.numClasses = numClasses;
    this.addModule('global_pool', new SelectAdaptivePool2d({ poolType: globalPool }));
    this.addModule('classifier', numClasses > 0 ? new Linear(this.headHiddenSize, numClasses) : new Identity());
  }

  override getClassifier(): Module {
    return this.getChild('classifier')!;
  }
}

