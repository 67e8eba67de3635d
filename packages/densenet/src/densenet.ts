import type * as tf from '@tensorflow/tfjs-core';
import * as tfc from '@tensorflow/tfjs-core';
import {
  AvgPool2d, BlurPool2d, Conv2d, convNormAct, createNormAct, FusedSequential, type GroupMatcher, Identity,
  MATCH_PREV_GROUP, MaxPool2d, Module, resolveAct, Sequential, type StateDict, VisionModel,
} from '@zoo/core';

/** Anti-aliasing for the stem pool (and transitions unless `aaStemOnly`): timm's BlurPool2d. */
export type DenseAaLayer = 'blurpool' | null;

export interface DenseNetArgs {
  growthRate?: number;
  blockConfig?: number[];
  numClasses?: number;
  inChans?: number;
  globalPool?: string;
  bnSize?: number;
  /** '' (7×7 conv), 'deep' (three 3×3 convs), 'deep_tiered' or 'deep_tiered_narrow'. */
  stemType?: string;
  actLayer?: string;
  normLayer?: string;
  aaLayer?: DenseAaLayer;
  dropRate?: number;
  projDropRate?: number;
  memoryEfficient?: boolean;
  aaStemOnly?: boolean;
}

type NormFn = (chs: number) => Module;

/** timm's DenseLayer: BN-act → 1×1 conv (bnSize·k) → BN-act → 3×3 conv (k), on the concatenation of all earlier maps. */
export class DenseLayer extends Module {
  readonly norm1: Module;
  readonly conv1: Conv2d;
  readonly norm2: Module;
  readonly conv2: Conv2d;
  constructor(numInputFeatures: number, growthRate: number, bnSize: number, norm: NormFn) {
    super();
    this.norm1 = this.addModule('norm1', norm(numInputFeatures));
    this.conv1 = this.addModule('conv1', new Conv2d(numInputFeatures, bnSize * growthRate, 1));
    this.norm2 = this.addModule('norm2', norm(bnSize * growthRate));
    this.conv2 = this.addModule('conv2', new Conv2d(bnSize * growthRate, growthRate, 3, { padding: 1 }));
  }
  /** New features from the (already concatenated) input. */
  override forward(x: tf.Tensor): tf.Tensor {
    const y = this.norm1.forward(x);
    return this.conv2.forward(convNormAct(y, this.conv1, this.norm2));
  }
}

/** timm's DenseBlock: each layer sees the concatenation of the block input and every earlier layer's output. */
export class DenseBlock extends Module {
  constructor(numLayers: number, numInputFeatures: number, bnSize: number, growthRate: number, norm: NormFn) {
    super();
    for (let i = 0; i < numLayers; i++) {
      this.addModule(`denselayer${i + 1}`, new DenseLayer(numInputFeatures + i * growthRate, growthRate, bnSize, norm));
    }
  }
  override forward(x: tf.Tensor): tf.Tensor {
    let features = x;
    for (const [, layer] of this.namedChildren()) {
      const next = layer.forward(features);
      const cat = tfc.concat([features, next], 3);
      if (features !== x) features.dispose();
      next.dispose();
      features = cat;
    }
    return features;
  }
}

/** timm's DenseTransition: BN-act → 1×1 conv (halving channels) → 2×2 average pool (or blur pool). */
export class DenseTransition extends Sequential {
  constructor(numInputFeatures: number, numOutputFeatures: number, norm: NormFn, aa: DenseAaLayer) {
    super();
    this.addModule('norm', norm(numInputFeatures));
    this.addModule('conv', new Conv2d(numInputFeatures, numOutputFeatures, 1));
    this.addModule('pool', aa === 'blurpool' ? new BlurPool2d(numOutputFeatures, { stride: 2 }) : new AvgPool2d(2, { stride: 2 }));
  }
  override forward(x: tf.Tensor): tf.Tensor {
    const norm = this.getChild('norm')!;
    const conv = this.getChild('conv') as Conv2d;
    const pool = this.getChild('pool')!;
    const y = norm.forward(x);
    // A 1×1 conv and a 2×2 average pool are both linear and commute; pooling first does a quarter of the conv work.
    if (pool instanceof AvgPool2d) return conv.forward(pool.forward(y));
    return pool.forward(conv.forward(y));
  }
}

/** The `features` trunk: an nn.Sequential whose conv → norm pairs run as fused ops. */
class DenseFeatures extends FusedSequential {}

const ARG_NAMES: readonly (keyof DenseNetArgs)[] = [
  'growthRate', 'blockConfig', 'numClasses', 'inChans', 'globalPool', 'bnSize', 'stemType', 'actLayer', 'normLayer',
  'aaLayer', 'dropRate', 'projDropRate', 'memoryEfficient', 'aaStemOnly',
];

/**
 * timm's DenseNet-BC on NHWC input. State-dict keys are timm's: features.conv0, features.norm0,
 * features.denseblock1.denselayer1.norm1, …, features.transition1.conv, features.norm5, classifier.
 */
export class DenseNet extends VisionModel {
  static readonly argNames: readonly (keyof DenseNetArgs)[] = ARG_NAMES;
  numClasses: number;
  numFeatures: number;
  headHiddenSize: number;
  readonly inChans: number;
  readonly dropRate: number;
  readonly features: Sequential;

  constructor(args: DenseNetArgs = {}) {
    super();
    const {
      growthRate = 32, blockConfig = [6, 12, 24, 16], numClasses = 1000, inChans = 3, globalPool = 'avg', bnSize = 4,
      stemType = '', actLayer = 'relu', normLayer = 'batchnorm2d', aaLayer = null, dropRate = 0, aaStemOnly = true,
    } = args;
    if (aaLayer !== null && aaLayer !== 'blurpool') throw new Error(`DenseNet: aaLayer must be 'blurpool' or null, got '${aaLayer}'`);
    this.numClasses = numClasses;
    this.inChans = inChans;
    this.dropRate = dropRate;
    // timm's get_norm_act_layer(norm_layer, act_layer).
    const act = resolveAct(actLayer);
    const norm: NormFn = (chs) => createNormAct(normLayer, chs, act);
    const deepStem = stemType.includes('deep');
    const numInitFeatures = growthRate * 2;
    const stemPool = aaLayer === null
      ? new MaxPool2d(3, { stride: 2, padding: 1 })
      : new Sequential([new MaxPool2d(3, { stride: 1, padding: 1 }), new BlurPool2d(numInitFeatures, { stride: 2 })]);
    const features = new DenseFeatures();
    if (deepStem) {
      let c1 = growthRate;
      let c2 = growthRate;
      if (stemType.includes('tiered')) {
        c1 = 3 * Math.floor(growthRate / 4);
        c2 = stemType.includes('narrow') ? numInitFeatures : 6 * Math.floor(growthRate / 4);
      }
      features.addModule('conv0', new Conv2d(inChans, c1, 3, { stride: 2, padding: 1 }));
      features.addModule('norm0', norm(c1));
      features.addModule('conv1', new Conv2d(c1, c2, 3, { stride: 1, padding: 1 }));
      features.addModule('norm1', norm(c2));
      features.addModule('conv2', new Conv2d(c2, numInitFeatures, 3, { stride: 1, padding: 1 }));
      features.addModule('norm2', norm(numInitFeatures));
    } else {
      features.addModule('conv0', new Conv2d(inChans, numInitFeatures, 7, { stride: 2, padding: 3 }));
      features.addModule('norm0', norm(numInitFeatures));
    }
    features.addModule('pool0', stemPool);
    this.featureInfo = [{ numChs: numInitFeatures, reduction: 2, module: `features.norm${deepStem ? 2 : 0}` }];
    let currentStride = 4;
    let numFeatures = numInitFeatures;
    blockConfig.forEach((numLayers, i) => {
      const name = `denseblock${i + 1}`;
      features.addModule(name, new DenseBlock(numLayers, numFeatures, bnSize, growthRate, norm));
      numFeatures += numLayers * growthRate;
      if (i !== blockConfig.length - 1) {
        this.featureInfo.push({ numChs: numFeatures, reduction: currentStride, module: `features.${name}` });
        currentStride *= 2;
        features.addModule(`transition${i + 1}`, new DenseTransition(numFeatures, Math.floor(numFeatures / 2), norm, aaStemOnly ? null : aaLayer));
        numFeatures = Math.floor(numFeatures / 2);
      }
    });
    features.addModule('norm5', norm(numFeatures));
    this.featureInfo.push({ numChs: numFeatures, reduction: currentStride, module: 'features.norm5' });
    this.features = this.addModule('features', features);
    this.numFeatures = this.headHiddenSize = numFeatures;
    // timm's child order: global_pool, head_drop, classifier (setPoolClassifier replaces global_pool in place).
    this.addModule('global_pool', new Identity());
    this.addModule('head_drop', new Identity());
    this.setPoolClassifier('classifier', numClasses, globalPool);
  }

  /** timm's `DenseNet.group_matcher`: layer groups for layer-wise lr decay. */
  override groupMatcher(coarse = false): GroupMatcher {
    return {
      stem: String.raw`^features\.conv[012]|features\.norm[012]|features\.pool[012]`,
      blocks: coarse
        ? String.raw`^features\.(?:denseblock|transition)(\d+)`
        : [
            [String.raw`^features\.denseblock(\d+)\.denselayer(\d+)`, null],
            [String.raw`^features\.transition(\d+)`, [MATCH_PREV_GROUP]],
          ],
    };
  }

  protected computeFeatures(x: tf.Tensor): tf.Tensor {
    return this.features.forward(x);
  }
}

/** timm's `_filter_torchvision_pretrained`: torchvision's `denselayerN.norm.1.weight` keys become `norm1.weight`. */
export function filterTorchvisionPretrained(sd: StateDict): StateDict {
  const re = /^(.*denselayer\d+\.(?:norm|relu|conv))\.((?:[12])\.(?:weight|bias|running_mean|running_var))$/;
  const out: StateDict = {};
  for (const [k, v] of Object.entries(sd)) {
    const m = re.exec(k);
    out[m ? m[1]! + m[2]! : k] = v;
  }
  return out;
}
