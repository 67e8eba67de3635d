import type * as tf from '@tensorflow/tfjs-core';
import {
  type GroupMatcher, MATCH_PREV_GROUP,
  type ActName, applyAct, BatchNormAct2d, convNormAct, createConv2d, createNormAct, FeatureInfo,
  type FeatureInfoEntry, FeatureModel, type ForwardIntermediatesOptions, Identity, installHook, type IntermediatesResult,
  type Module, type NormLayer, type OutIndices, resolveAct, Sequential, VisionModel,
} from '@zoo/core';
import { type BlockArgs, EfficientNetBuilder, roundChannels, type SeLayer } from './builder.js';
import type { AaLayer } from './layers.js';
import { runStages, runStem, truncateTrunk, trunkIntermediates } from './trunk.js';

export interface EfficientNetArgs {
  blockArgs: BlockArgs[][];
  numClasses?: number;
  numFeatures?: number;
  inChans?: number;
  stemSize?: number;
  stemKernelSize?: number;
  fixStem?: boolean;
  outputStride?: number;
  padType?: '' | 'same' | 'valid';
  actLayer?: string;
  normLayer?: NormLayer;
  aaLayer?: AaLayer;
  seLayer?: SeLayer;
  roundChsFn?: (c: number) => number;
  dropRate?: number;
  dropPathRate?: number;
  globalPool?: string;
  /** Where feature_info points: block outputs ('bottleneck', default) or the expanded features ('expansion'). */
  featureLocation?: '' | 'bottleneck' | 'expansion';
}

const ARG_NAMES: readonly (keyof EfficientNetArgs)[] = [
  'blockArgs', 'numClasses', 'numFeatures', 'inChans', 'stemSize', 'stemKernelSize', 'fixStem', 'outputStride',
  'padType', 'actLayer', 'normLayer', 'aaLayer', 'seLayer', 'roundChsFn', 'dropRate', 'dropPathRate', 'globalPool', 'featureLocation',
];

/**
 * timm's EfficientNet: EfficientNet B0–B8/L2, EfficientNetV2, EfficientNet-Lite/-EdgeTPU, MixNet, MnasNet,
 * MobileNetV1/V2, FBNet-C, SPNASNet, TinyNet… on NHWC input. Keys: conv_stem, bn1, blocks.i.j.*, conv_head, bn2, classifier.
 */
export class EfficientNet extends VisionModel {
  static readonly argNames: readonly (keyof EfficientNetArgs)[] = ARG_NAMES;
  numClasses: number;
  numFeatures: number;
  headHiddenSize: number;
  /** timm's decoded block definitions (`block_args`) the blocks were built from, stage by stage. */
  readonly blockArgs: readonly (readonly BlockArgs[])[];
  readonly inChans: number;
  readonly dropRate: number;
  readonly stageEnds: number[];
  readonly builderFeatures: FeatureInfoEntry[];
  readonly stemChs: number;

  constructor(args: EfficientNetArgs) {
    super();
    const {
      blockArgs, numClasses = 1000, numFeatures = 1280, inChans = 3, stemSize = 32, stemKernelSize = 3, fixStem = false,
      outputStride = 32, padType = '', actLayer = 'relu', normLayer, aaLayer, seLayer = {},
      roundChsFn = (c: number) => roundChannels(c), dropRate = 0, dropPathRate = 0, globalPool = 'avg', featureLocation = '',
    } = args;
    const act: ActName = resolveAct(actLayer);
    this.numClasses = numClasses;
    this.inChans = inChans;
    this.dropRate = dropRate;
    const stem = fixStem ? stemSize : roundChsFn(stemSize);
    this.stemChs = stem;
    this.addModule('conv_stem', createConv2d(inChans, stem, stemKernelSize, { stride: 2, padding: padType }));
    this.addModule('bn1', createNormAct(normLayer, stem, act));
    const builder = new EfficientNetBuilder({
      outputStride, padType, roundChsFn, actLayer: act, normLayer, aaLayer, seLayer, dropPathRate, featureLocation,
    });
    this.blockArgs = blockArgs;
    this.addModule('blocks', new Sequential(builder.build(stem, blockArgs)));
    this.builderFeatures = builder.features;
    this.featureInfo = builder.features;
    this.stageEnds = builder.features.map((f) => f.stage!);
    const headChs = builder.inChs;
    if (numFeatures > 0) {
      this.addModule('conv_head', createConv2d(headChs, numFeatures, 1, { padding: padType }));
      this.addModule('bn2', createNormAct(normLayer, numFeatures, act));
      this.numFeatures = this.headHiddenSize = numFeatures;
    } else {
      this.addModule('conv_head', new Identity());
      this.addModule('bn2', new Identity());
      this.numFeatures = this.headHiddenSize = headChs;
    }
    this.setPoolClassifier('classifier', numClasses, globalPool);
  }

  private head(x: tf.Tensor): tf.Tensor {
    const convHead = this.getChild('conv_head')!;
    if (convHead instanceof Identity) return this.getChild('bn2')!.forward(x);
    return convNormAct(x, convHead, this.getChild('bn2')!);
  }

  /** timm's `EfficientNet.group_matcher`: layer groups for layer-wise lr decay. */
  override groupMatcher(coarse = false): GroupMatcher {
    return {
      stem: '^conv_stem|bn1',
      blocks: [
        [coarse ? String.raw`^blocks\.(\d+)` : String.raw`^blocks\.(\d+)\.(\d+)`, null],
        ['conv_head|bn2', [MATCH_PREV_GROUP]],
      ],
    };
  }

  protected computeFeatures(x: tf.Tensor): tf.Tensor {
    return this.head(runStages(this.getChild('blocks')!, runStem(this, x)));
  }

  protected override computeIntermediates(x: tf.Tensor, o: ForwardIntermediatesOptions): IntermediatesResult {
    // The conv head belongs to the final map once the last stage has run.
    const last = this.stageEnds[this.stageEnds.length - 1];
    return trunkIntermediates(this, x, o, this.takeIndices(this.stageEnds.length, o), (y, stage) => (stage === last ? this.head(y) : y));
  }

  override pruneIntermediateLayers(indices: OutIndices = 1, pruneNorm = false, pruneHead = true): number[] {
    return this.pruneLevels(this.stageEnds.length, indices, pruneHead, (maxIndex) => {
      const { maxStage, numStages } = truncateTrunk(this, maxIndex);
      if (pruneNorm || maxStage < numStages) {
        this.addModule('conv_head', new Identity());
        this.addModule('bn2', new Identity());
      }
    });
  }
}

/**
 * timm's EfficientNetFeatures / MobileNetV3Features: the stem and blocks of a built model, returning the stem
 * output and each stage end selected by `outIndices` (feature_location 'bottleneck'), or, for 'expansion', the
 * expanded features inside the selected blocks (timm's feature hooks), in feature order.
 */
export class EfficientNetFeatures extends FeatureModel {
  readonly featureInfo: FeatureInfo;
  private readonly stageOutIdx: Set<number>;
  private readonly stemModules: Module[];
  private readonly hooked: boolean;
  private captured: Map<string, tf.Tensor> | null = null;
  private readonly order: string[];
  /**
   * `stemPreActHook`: MobileNetV3Features keeps the stem norm and activation apart, so a hook on its `bn1` sees the
   * map before the activation.
   */
  constructor(
    model: VisionModel & { builderFeatures: FeatureInfoEntry[] }, outIndices: OutIndices = [0, 1, 2, 3, 4],
    stemNames = ['conv_stem', 'bn1'], private readonly stemPreActHook = false,
  ) {
    super(model.inChans);
    this.featureInfo = new FeatureInfo(model.builderFeatures, outIndices);
    const dicts = this.featureInfo.getDicts();
    this.stageOutIdx = new Set(dicts.map((f) => f.stage!));
    this.stemModules = stemNames.map((n) => this.addModule(n, model.getChild(n)!));
    const blocks = this.addModule('blocks', model.getChild('blocks')!);
    this.modelName = model.modelName;
    this.order = dicts.map((f) => f.module);
    this.hooked = dicts.some((f) => f.hookType !== undefined);
    if (this.hooked) {
      for (const f of dicts) {
        if (f.module === 'bn1') continue;
        if (!f.module.startsWith('blocks.')) throw new Error(`feature module '${f.module}' is not inside a block`);
        // timm's FeatureHooks: a forward (pre-)hook on the module feature_info names; fused paths honour it.
        installHook(blocks.getSubmodule(f.module.slice('blocks.'.length)), f.hookType ?? 'forward', (t) => this.captured?.set(f.module, t));
      }
    }
  }
  protected collect(x: tf.Tensor): tf.Tensor[] {
    const [conv, bn1] = this.stemModules as [Module, Module];
    if (this.hooked) {
      this.captured = new Map();
      try {
        if (this.stemPreActHook && bn1 instanceof BatchNormAct2d) {
          // timm's MobileNetV3Features keeps bn1 and act1 apart, and its hook on bn1 sees the map before act1.
          const pre = bn1.normalize(conv.forward(x));
          this.captured.set('bn1', pre);
          x = applyAct(bn1.act, pre);
        } else {
          x = convNormAct(x, conv, bn1);
          this.captured.set('bn1', x);
        }
        runStages(this.getChild('blocks')!, x);
        return this.order.map((n) => this.captured!.get(n)!);
      } finally {
        this.captured = null;
      }
    }
    x = convNormAct(x, conv, bn1);
    const features: tf.Tensor[] = [];
    if (this.stageOutIdx.has(0)) features.push(x);
    runStages(this.getChild('blocks')!, x, undefined, (i, y) => {
      if (this.stageOutIdx.has(i)) features.push(y);
    });
    return features;
  }
}

/** timm's MobileNetV3Features: as {@link EfficientNetFeatures}, with a stem hook that sees `bn1` before its activation. */
export class MobileNetV3Features extends EfficientNetFeatures {
  constructor(model: VisionModel & { builderFeatures: FeatureInfoEntry[] }, outIndices: OutIndices = [0, 1, 2, 3, 4], stemNames = ['conv_stem', 'bn1']) {
    super(model, outIndices, stemNames, true);
  }
}
