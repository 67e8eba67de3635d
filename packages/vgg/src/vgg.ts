import * as tf from '@tensorflow/tfjs-core';
import {
  Activation, BatchNorm2d, ClassifierHead, Conv2d, Dropout, FusedSequential, type GroupMatcher, MaxPool2d, Module,
  type Sequential, sliceTensor, type StateDict, VisionModel,
} from '@zoo/core';

/** One entry of timm's VGG layer list: a 3×3 conv width, or `'M'` for a 2×2 max pool. */
export type VGGLayer = number | 'M';

export interface VGGArgs {
  /** The layer list (timm's `cfgs['vgg11']` …): conv widths and `'M'` pools. */
  cfg: VGGLayer[];
  numClasses?: number;
  inChans?: number;
  /** Only 32 (timm asserts it). */
  outputStride?: number;
  mlpRatio?: number;
  actLayer?: string;
  /** `'batchnorm'` after every conv (the `_bn` variants), or none. */
  normLayer?: 'batchnorm' | null;
  globalPool?: string;
  dropRate?: number;
}

/** PyTorch's `adaptive_avg_pool2d` along one axis of an NHWC map: output i averages [⌊i·n/out⌋, ⌈(i+1)·n/out⌉). */
function adaptiveAvgAxis(x: tf.Tensor, axis: 1 | 2, out: number): tf.Tensor {
  const n = x.shape[axis]!;
  if (n === out) return x;
  const parts: tf.Tensor[] = [];
  for (let i = 0; i < out; i++) {
    const start = Math.floor((i * n) / out);
    const end = Math.ceil(((i + 1) * n) / out);
    const begin = [0, 0, 0, 0];
    const size = [-1, -1, -1, -1];
    begin[axis] = start;
    size[axis] = end - start;
    parts.push(tf.mean(sliceTensor(x, begin, size), axis, true));
  }
  return tf.concat(parts, axis);
}

/**
 * timm's VGG `ConvMlp` pre-logits: a k×k conv (fc1, the old first linear layer), act, dropout, a 1×1 conv (fc2),
 * act. An input smaller than k×k is first average-pooled up to k×k (PyTorch's adaptive pool), as timm does.
 */
export class VGGConvMlp extends Module {
  readonly fc1: Conv2d;
  readonly act1: Activation;
  readonly drop: Dropout;
  readonly fc2: Conv2d;
  readonly act2: Activation;
  constructor(inFeatures: number, outFeatures: number, readonly kernelSize: number, mlpRatio = 1, dropRate = 0, actLayer = 'relu') {
    super();
    const mid = Math.trunc(outFeatures * mlpRatio);
    this.fc1 = this.addModule('fc1', new Conv2d(inFeatures, mid, kernelSize, { padding: 0, bias: true }));
    this.act1 = this.addModule('act1', new Activation(actLayer));
    this.drop = this.addModule('drop', new Dropout(dropRate));
    this.fc2 = this.addModule('fc2', new Conv2d(mid, outFeatures, 1, { padding: 0, bias: true }));
    this.act2 = this.addModule('act2', new Activation(actLayer));
  }

  override forward(x: tf.Tensor): tf.Tensor {
    const k = this.kernelSize;
    const [, h, w] = x.shape as number[];
    if (h! < k || w! < k) x = adaptiveAvgAxis(adaptiveAvgAxis(x, 1, Math.max(k, h!)), 2, Math.max(k, w!));
    x = this.fc1.forwardAct(x, this.act1.act);
    return this.fc2.forwardAct(x, this.act2.act);
  }
}

/** The `features` trunk: nn.Sequential of conv (→ BN) → act and max pools, each conv run with its BN and act fused. */
class VGGFeatures extends FusedSequential {}

const ARG_NAMES = ['cfg', 'numClasses', 'inChans', 'outputStride', 'mlpRatio', 'actLayer', 'normLayer', 'globalPool', 'dropRate'] as const;

/**
 * timm's VGG on NHWC input: `features` (timm's flat nn.Sequential: conv, [bn], act, …, pool), `pre_logits` (ConvMlp:
 * the classic 4096-wide fully connected layers as convs) and `head` (ClassifierHead over 4096 channels). The feature
 * levels are the activations before each pool and the last pool (reductions 1 … 32).
 */
export class VGG extends VisionModel {
  static readonly argNames: readonly (keyof VGGArgs)[] = ARG_NAMES;
  numClasses: number;
  numFeatures: number;
  headHiddenSize: number;
  readonly inChans: number;
  readonly features: Sequential;
  readonly preLogits: VGGConvMlp;

  constructor(args: VGGArgs) {
    super();
    const {
      cfg, numClasses = 1000, inChans = 3, outputStride = 32, mlpRatio = 1, actLayer = 'relu', normLayer = null,
      globalPool = 'avg', dropRate = 0,
    } = args;
    if (!Array.isArray(cfg)) throw new Error('VGG: cfg (the layer list of conv widths and \'M\' pools) is required');
    if (outputStride !== 32) throw new Error(`VGG: outputStride must be 32, got ${outputStride}`);
    if (normLayer !== null && normLayer !== 'batchnorm') throw new Error(`VGG: normLayer must be 'batchnorm' or null, got '${String(normLayer)}'`);
    this.numClasses = numClasses;
    this.inChans = inChans;
    const features = new VGGFeatures();
    let prev = inChans;
    let stride = 1;
    for (const v of cfg) {
      const lastIdx = features.length - 1;
      if (v === 'M') {
        this.featureInfo.push({ numChs: prev, reduction: stride, module: `features.${lastIdx}` });
        features.append(new MaxPool2d(2, { stride: 2 }));
        stride *= 2;
      } else {
        features.append(new Conv2d(prev, v, 3, { padding: 1, bias: true }));
        if (normLayer) features.append(new BatchNorm2d(v));
        features.append(new Activation(actLayer));
        prev = v;
      }
    }
    this.featureInfo.push({ numChs: prev, reduction: stride, module: `features.${features.length - 1}` });
    this.features = this.addModule('features', features);
    this.numFeatures = prev;
    this.headHiddenSize = 4096;
    this.preLogits = this.addModule('pre_logits', new VGGConvMlp(prev, this.headHiddenSize, 7, mlpRatio, dropRate, actLayer));
    this.setClassifierHead('head', new ClassifierHead(this.headHiddenSize, numClasses, { poolType: globalPool, dropRate }), numClasses);
  }

  /** timm's `VGG.group_matcher`: layer groups for layer-wise lr decay. */
  override groupMatcher(_coarse = false): GroupMatcher {
    return { stem: String.raw`^features\.0`, blocks: String.raw`^features\.(\d+)` };
  }

  protected computeFeatures(x: tf.Tensor): tf.Tensor {
    return this.features.forward(x);
  }

  /** timm's `forward_head`: the ConvMlp pre-logits, then the classifier head (pool → fc). */
  protected override computeHead(x: tf.Tensor, preLogits: boolean): tf.Tensor {
    return super.computeHead(this.preLogits.forward(x), preLogits);
  }
}

/**
 * timm's `_filter_fn` for torchvision's VGG checkpoints: `classifier.0/3/6` become `pre_logits.fc1`, `pre_logits.fc2`
 * and `head.fc`, the two linear weights reshaped into the convs they are here (7×7 over 512 channels, 1×1).
 */
export function checkpointFilterFn(sd: StateDict): StateDict {
  const out: StateDict = {};
  for (const [k, v] of Object.entries(sd)) {
    const key = k.replace('classifier.0', 'pre_logits.fc1').replace('classifier.3', 'pre_logits.fc2').replace('classifier.6', 'head.fc');
    if (k.includes('classifier.0.weight')) out[key] = { ...v, shape: [v.shape[0]!, 512, 7, 7] };
    else if (k.includes('classifier.3.weight')) out[key] = { ...v, shape: [v.shape[0]!, 4096, 1, 1] };
    else out[key] = v;
  }
  return out;
}
