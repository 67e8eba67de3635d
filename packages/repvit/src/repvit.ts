/**
 * timm's RepViT (repvit.py) on NHWC input: a MobileNet-style CNN with ViT-like token / channel mixers. The
 * re-parameterisable token mixer (RepVggDw: depthwise k×k conv+BN, depthwise 1×1 conv, identity, then BN) is kept in
 * its training-time form, as timm's state dicts hold it; each conv's own BN is folded into it at run time. Keys:
 * stem.conv1.c, stem.conv1.bn, stages.i.downsample.*, stages.i.blocks.j.token_mixer.conv.c, …, head.head.bn,
 * head.head.l, head.head_dist.*.
 */
import * as tf from '@tensorflow/tfjs-core';
import {type ActName, applyAct, BatchNorm2d, Conv2d, type ForwardIntermediatesOptions, 
  type GroupMatcher, Identity, type IntermediatesResult,
  Linear, MATCH_PREV_GROUP, Module, type OutIndices, resolveAct, SEModule, Sequential, spatialMean, VisionModel,
} from '@zoo/core';

/** timm's ConvNorm: conv (no bias) → BatchNorm, run as one conv with the norm folded in. Keys: c, bn. */
export class ConvNorm extends Module {
  readonly c: Conv2d;
  readonly bn: BatchNorm2d;
  constructor(inDim: number, outDim: number, ks = 1, stride = 1, pad = 0, groups = 1) {
    super();
    this.c = this.addModule('c', new Conv2d(inDim, outDim, ks, { stride, padding: pad, groups }));
    this.bn = this.addModule('bn', new BatchNorm2d(outDim));
  }
  forwardAct(x: tf.Tensor, act: ActName): tf.Tensor {
    return this.c.forwardBn(x, this.bn, act);
  }
  override forward(x: tf.Tensor): tf.Tensor {
    return this.forwardAct(x, 'identity');
  }
}

/** timm's NormLinear: BatchNorm1d → Linear. Keys: bn, l. */
export class NormLinear extends Module {
  readonly bn: BatchNorm2d;
  readonly l: Linear;
  constructor(inDim: number, outDim: number) {
    super();
    this.bn = this.addModule('bn', new BatchNorm2d(inDim));
    this.l = this.addModule('l', new Linear(inDim, outDim));
  }
  override forward(x: tf.Tensor): tf.Tensor {
    return this.l.forward(this.bn.forward(x));
  }
}

/**
 * timm's RepVggDw: BN(conv_k×k(x) + conv_1×1(x) + x), depthwise. `legacy` (M1/M2/M3 checkpoints): the 1×1 branch
 * has its own BN and there is no outer BN.
 */
export class RepVggDw extends Module {
  readonly conv: ConvNorm;
  readonly conv1: Module;
  readonly bn: Module;
  constructor(dim: number, kernelSize: number, legacy: boolean) {
    super();
    this.conv = this.addModule('conv', new ConvNorm(dim, dim, kernelSize, 1, (kernelSize - 1) >> 1, dim));
    this.conv1 = this.addModule('conv1', legacy ? new ConvNorm(dim, dim, 1, 1, 0, dim) : new Conv2d(dim, dim, 1, { padding: 0, groups: dim, bias: true }));
    this.bn = this.addModule('bn', legacy ? new Identity() : new BatchNorm2d(dim));
  }
  override forward(x: tf.Tensor): tf.Tensor {
    return this.bn.forward(tf.addN([this.conv.forward(x), this.conv1.forward(x), x]));
  }
}

/** timm's RepVitMlp: 1×1 ConvNorm → activation → 1×1 ConvNorm. */
export class RepVitMlp extends Module {
  readonly conv1: ConvNorm;
  readonly conv2: ConvNorm;
  constructor(inDim: number, hiddenDim: number, readonly act: ActName) {
    super();
    this.conv1 = this.addModule('conv1', new ConvNorm(inDim, hiddenDim));
    this.conv2 = this.addModule('conv2', new ConvNorm(hiddenDim, inDim));
  }
  override forward(x: tf.Tensor): tf.Tensor {
    return this.conv2.forward(applyAct(this.act, this.conv1.forward(x)));
  }
}

/** timm's RepViTBlock: token mixer (→ SE) → residual channel mixer. */
export class RepViTBlock extends Module {
  readonly tokenMixer: RepVggDw;
  readonly se: Module;
  readonly channelMixer: RepVitMlp;
  constructor(dim: number, mlpRatio: number, kernelSize: number, useSe: boolean, act: ActName, legacy: boolean) {
    super();
    this.tokenMixer = this.addModule('token_mixer', new RepVggDw(dim, kernelSize, legacy));
    this.se = this.addModule('se', useSe ? new SEModule(dim, { rdRatio: 0.25 }) : new Identity());
    this.channelMixer = this.addModule('channel_mixer', new RepVitMlp(dim, dim * mlpRatio, act));
  }
  override forward(x: tf.Tensor): tf.Tensor {
    const y = this.se.forward(this.tokenMixer.forward(x));
    return tf.add(y, this.channelMixer.forward(y));
  }
}

/** timm's RepVitStem: two stride-2 3×3 ConvNorms with an activation between (stride 4). */
export class RepVitStem extends Module {
  readonly conv1: ConvNorm;
  readonly conv2: ConvNorm;
  constructor(inChs: number, outChs: number, readonly act: ActName) {
    super();
    this.conv1 = this.addModule('conv1', new ConvNorm(inChs, outChs >> 1, 3, 2, 1));
    this.conv2 = this.addModule('conv2', new ConvNorm(outChs >> 1, outChs, 3, 2, 1));
  }
  override forward(x: tf.Tensor): tf.Tensor {
    return this.conv2.forward(applyAct(this.act, this.conv1.forward(x)));
  }
}

/** timm's RepVitDownsample: a block, strided depthwise ConvNorm, 1×1 ConvNorm to the new width, residual MLP. */
export class RepVitDownsample extends Module {
  readonly preBlock: RepViTBlock;
  readonly spatialDownsample: ConvNorm;
  readonly channelDownsample: ConvNorm;
  readonly ffn: RepVitMlp;
  constructor(inDim: number, mlpRatio: number, outDim: number, kernelSize: number, act: ActName, legacy: boolean) {
    super();
    this.preBlock = this.addModule('pre_block', new RepViTBlock(inDim, mlpRatio, kernelSize, false, act, legacy));
    this.spatialDownsample = this.addModule('spatial_downsample', new ConvNorm(inDim, inDim, kernelSize, 2, (kernelSize - 1) >> 1, inDim));
    this.channelDownsample = this.addModule('channel_downsample', new ConvNorm(inDim, outDim, 1));
    this.ffn = this.addModule('ffn', new RepVitMlp(outDim, outDim * mlpRatio, act));
  }
  override forward(x: tf.Tensor): tf.Tensor {
    const y = this.channelDownsample.forward(this.spatialDownsample.forward(this.preBlock.forward(x)));
    return tf.add(this.ffn.forward(y), y);
  }
}

/** timm's RepVitStage: downsample (all but the first stage), then blocks alternating SE on / off. */
export class RepVitStage extends Module {
  readonly downsample: Module;
  readonly blocks: Sequential;
  constructor(inDim: number, outDim: number, depth: number, mlpRatio: number, act: ActName, kernelSize: number, downsample: boolean, legacy: boolean) {
    super();
    if (!downsample && inDim !== outDim) throw new Error(`RepVitStage without downsample needs inDim === outDim (got ${inDim}, ${outDim})`);
    this.downsample = this.addModule('downsample', downsample ? new RepVitDownsample(inDim, mlpRatio, outDim, kernelSize, act, legacy) : new Identity());
    this.blocks = this.addModule('blocks', new Sequential(Array.from({ length: depth }, (_, i) => new RepViTBlock(outDim, mlpRatio, kernelSize, i % 2 === 0, act, legacy))));
  }
  override forward(x: tf.Tensor): tf.Tensor {
    return this.blocks.forward(this.downsample.forward(x));
  }
}

/** timm's RepVitClassifier: NormLinear head, plus a distillation head averaged with it. Keys: head, head_dist. */
export class RepVitClassifier extends Module {
  readonly head: Module;
  readonly headDist: Module | null;
  constructor(dim: number, numClasses: number, distillation: boolean) {
    super();
    const make = () => (numClasses > 0 ? new NormLinear(dim, numClasses) : new Identity());
    this.head = this.addModule('head', make());
    this.headDist = distillation ? this.addModule('head_dist', make()) : null;
  }
  override forward(x: tf.Tensor): tf.Tensor {
    if (!this.headDist) return this.head.forward(x);
    return tf.div(tf.add(this.head.forward(x), this.headDist.forward(x)), 2);
  }
}

export interface RepVitArgs {
  inChans?: number;
  imgSize?: number;
  embedDim?: number[];
  depth?: number[];
  mlpRatio?: number;
  globalPool?: string;
  kernelSize?: number;
  numClasses?: number;
  actLayer?: string;
  distillation?: boolean;
  dropRate?: number;
  legacy?: boolean;
}

/** timm's RepVit: stem (stride 4) → stages → mean pool → (distilled) NormLinear head. */
export class RepVit extends VisionModel {
  static readonly argNames: readonly (keyof RepVitArgs)[] = [
    'inChans', 'imgSize', 'embedDim', 'depth', 'mlpRatio', 'globalPool', 'kernelSize', 'numClasses', 'actLayer', 'distillation', 'dropRate', 'legacy',
  ];
  numClasses: number;
  numFeatures: number;
  headHiddenSize: number;
  readonly inChans: number;
  readonly stages: Sequential;
  private globalPool: string;

  constructor(args: RepVitArgs = {}) {
    super();
    const {
      inChans = 3, embedDim = [48], depth = [2], mlpRatio = 2, globalPool = 'avg', kernelSize = 3, numClasses = 1000,
      actLayer = 'gelu', distillation = true, legacy = false,
    } = args;
    const act = resolveAct(actLayer);
    this.inChans = inChans;
    this.numClasses = numClasses;
    this.globalPool = globalPool;
    this.addModule('stem', new RepVitStem(inChans, embedDim[0]!, act));
    let stride = 4;
    let inDim = embedDim[0]!;
    const stages = embedDim.map((dim, i) => {
      const downsample = i !== 0;
      const stage = new RepVitStage(inDim, dim, depth[i]!, mlpRatio, act, kernelSize, downsample, legacy);
      if (downsample) stride *= 2;
      this.featureInfo.push({ numChs: dim, reduction: stride, module: `stages.${i}` });
      inDim = dim;
      return stage;
    });
    this.stages = this.addModule('stages', new Sequential(stages));
    this.numFeatures = this.headHiddenSize = embedDim[embedDim.length - 1]!;
    this.addModule('head', new RepVitClassifier(this.numFeatures, numClasses, distillation));
  }

  /** timm's `RepVit.group_matcher`: layer groups for layer-wise lr decay. */
  override groupMatcher(_coarse = false): GroupMatcher {
    return {
      stem: '^stem',
      blocks: [
        [String.raw`^blocks\.(\d+)`, null],
        ['^norm', [MATCH_PREV_GROUP]],
      ],
    };
  }

  protected computeFeatures(x: tf.Tensor): tf.Tensor {
    return this.stages.forward(this.getChild('stem')!.forward(x));
  }

  protected override computeHead(x: tf.Tensor, preLogits: boolean): tf.Tensor {
    if (this.globalPool === 'avg') x = spatialMean(x);
    return preLogits ? x : this.getChild('head')!.forward(x);
  }

  override resetClassifier(numClasses: number, globalPool?: string): void {
    this.numClasses = numClasses;
    if (globalPool !== undefined) this.globalPool = globalPool;
    // timm's reset_classifier builds the head without distillation unless asked.
    this.addModule('head', new RepVitClassifier(this.numFeatures, numClasses, false));
  }

  override getClassifier(): Module {
    return this.getChild('head')!;
  }

  protected override computeIntermediates(x: tf.Tensor, o: ForwardIntermediatesOptions): IntermediatesResult {
    const { indices, stop } = this.takeIndices(this.stages.length, o);
    const intermediates: tf.Tensor[] = [];
    x = this.getChild('stem')!.forward(x);
    for (let i = 0; i < stop; i++) {
      x = this.stages.at(i).forward(x);
      if (indices.includes(i)) intermediates.push(x);
    }
    return { final: x, intermediates };
  }

  override pruneIntermediateLayers(indices: OutIndices = 1, _pruneNorm = false, pruneHead = true): number[] {
    return this.pruneLevels(this.stages.length, indices, pruneHead, (maxIndex) => {
      for (let i = maxIndex + 1; i < this.stages.length; i++) this.stages.addModule(String(i), new Identity());
    });
  }
}
