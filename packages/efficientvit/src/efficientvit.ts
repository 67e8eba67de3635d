/**
 * timm's EfficientViT from MIT (efficientvit_mit.py) on NHWC input: a conv stem, two stages of inverted bottlenecks
 * (MBConv; fused in the L series), then stages of EfficientViT blocks (LiteMLA linear attention + MBConv, each
 * residual), and a head with a hidden 1×1 conv and a hidden linear + LayerNorm after the pool. `EfficientVit` (B
 * series: hardswish, BatchNorm eps 1e-5) and `EfficientVitLarge` (L series: tanh GELU, BatchNorm eps 1e-7) are one
 * class here, `large` choosing. The conv blocks and LiteMLA are core's (`Lite*`). Keys: stem.in_conv, stem.res{i}.main,
 * stages.i.blocks.j.main | context_module.main | local_module.main, head.in_conv, head.classifier.{0,1,4}.
 */
import type * as tf from '@tensorflow/tfjs-core';
import {
  Activation, type ClassifierHeadLike, Dropout, type ForwardIntermediatesOptions, type GroupMatcher, Identity, type IntermediatesResult,
  LayerNorm, Linear, LiteConvBlock, LiteConvNormAct, LiteDSConv, LiteFusedMBConv, LiteMBConv, LiteMLA, type LiteNorm, LiteResidualBlock,
  liteBatchNorm, Module, type OutIndices, SelectAdaptivePool2d, Sequential, VisionModel,
} from '@zoo/core';

/** What a local (conv) block is built as: timm's `build_local_block` block types. */
type BlockType = 'default' | 'large' | 'fused';

interface LocalBlockArgs {
  stride: number;
  expandRatio: number;
  norm: LiteNorm;
  act: string;
  fewerNorm?: boolean;
  blockType?: BlockType;
}

/**
 * timm's `build_local_block`: with no expansion a depthwise-separable conv (or two full convs), else an inverted
 * bottleneck (or a fused one); `fewerNorm` (the attention stages) drops the norms before the last conv for biases.
 */
function buildLocalBlock(inChs: number, outChs: number, a: LocalBlockArgs): Module {
  const fewer = a.fewerNorm ?? false;
  const plain = (a.blockType ?? 'default') === 'default';
  if (a.expandRatio === 1) {
    const o = { stride: a.stride, bias: fewer ? [true, false] : false, norm: fewer ? [null, a.norm] : a.norm, act: [a.act, null] };
    return plain ? new LiteDSConv(inChs, outChs, o) : new LiteConvBlock(inChs, outChs, o);
  }
  if (plain) {
    return new LiteMBConv(inChs, outChs, {
      stride: a.stride, expandRatio: a.expandRatio, bias: fewer ? [true, true, false] : false, norm: fewer ? [null, null, a.norm] : a.norm,
      act: [a.act, a.act, null],
    });
  }
  return new LiteFusedMBConv(inChs, outChs, {
    stride: a.stride, expandRatio: a.expandRatio, bias: fewer ? [true, false] : false, norm: fewer ? [null, a.norm] : a.norm, act: [a.act, null],
  });
}

/** timm's EfficientVitBlock: residual LiteMLA (context), then a residual MBConv (local). Keys: context_module, local_module. */
export class EfficientVitBlock extends Module {
  readonly contextModule: LiteResidualBlock;
  readonly localModule: LiteResidualBlock;
  constructor(dim: number, options: { headsRatio?: number; headDim?: number; expandRatio?: number; norm?: LiteNorm; act?: string } = {}) {
    super();
    const norm = options.norm === undefined ? liteBatchNorm() : options.norm;
    const act = options.act ?? 'hardswish';
    this.contextModule = this.addModule('context_module', new LiteResidualBlock(
      new LiteMLA(dim, dim, { headsRatio: options.headsRatio ?? 1, dim: options.headDim ?? 32, norm: [null, norm] }), true));
    this.localModule = this.addModule('local_module', new LiteResidualBlock(new LiteMBConv(dim, dim, {
      expandRatio: options.expandRatio ?? 4, bias: [true, true, false], norm: [null, null, norm], act: [act, act, null],
    }), true));
  }
  override forward(x: tf.Tensor): tf.Tensor {
    return this.localModule.forward(this.contextModule.forward(x));
  }
}

/** timm's efficientvit Stem: a stride-2 3×3 ConvNormAct, then `depth` residual unexpanded blocks. Keys: in_conv, res{i}. */
export class EfficientVitStem extends Module {
  readonly steps: Module[] = [];
  constructor(inChs: number, outChs: number, depth: number, norm: LiteNorm, act: string, blockType: BlockType) {
    super();
    this.steps.push(this.addModule('in_conv', new LiteConvNormAct(inChs, outChs, 3, { stride: 2, norm, act })));
    for (let i = 0; i < depth; i++) {
      const block = buildLocalBlock(outChs, outChs, { stride: 1, expandRatio: 1, norm, act, blockType });
      this.steps.push(this.addModule(`res${i}`, new LiteResidualBlock(block, true)));
    }
  }
  override forward(x: tf.Tensor): tf.Tensor {
    for (const m of this.steps) x = m.forward(x);
    return x;
  }
}

/** timm's EfficientVitStage / EfficientVitLargeStage: a stride-2 block without shortcut, then `depth` blocks. Keys: blocks.j. */
export class EfficientVitStage extends Module {
  readonly blocks: Sequential;
  constructor(inChs: number, outChs: number, depth: number, o: { norm: LiteNorm; act: string; headDim: number; expandRatio: number; vitStage: boolean; large: boolean; fewerNorm: boolean }) {
    super();
    const { norm, act, headDim } = o;
    // The L series' conv stages are fused until its fewer-norm stages; its expansions are fixed (16 / 24 down, 4 / 6 in).
    const blockType: BlockType = o.large && !o.fewerNorm ? 'fused' : 'default';
    const downExpand = o.large ? (o.vitStage ? 24 : 16) : o.expandRatio;
    const blocks: Module[] = [new LiteResidualBlock(buildLocalBlock(inChs, outChs, {
      stride: 2, expandRatio: downExpand, norm, act, fewerNorm: o.vitStage || o.fewerNorm, blockType,
    }), false)];
    if (o.vitStage) {
      const expandRatio = o.large ? 6 : o.expandRatio;
      for (let i = 0; i < depth; i++) blocks.push(new EfficientVitBlock(outChs, { headDim, expandRatio, norm, act }));
    } else {
      // timm's B stages count the downsampling block in `depth`; the L stages add `depth` blocks after it.
      const n = o.large ? depth : depth - 1;
      const expandRatio = o.large ? 4 : o.expandRatio;
      for (let i = 0; i < n; i++) {
        blocks.push(new LiteResidualBlock(buildLocalBlock(outChs, outChs, { stride: 1, expandRatio, norm, act, fewerNorm: o.fewerNorm, blockType }), true));
      }
    }
    this.blocks = this.addModule('blocks', new Sequential(blocks));
  }
  override forward(x: tf.Tensor): tf.Tensor {
    return this.blocks.forward(x);
  }
}

const NO_POOL_OFF = "EfficientViT's head cannot disable pooling (globalPool ''), as timm's asserts";

/**
 * timm's efficientvit_mit ClassifierHead: 1×1 ConvNormAct to `widths[0]`, global pool (it cannot be turned off), then
 * Linear (no bias) → LayerNorm → act → dropout → Linear classifier. Pre-logits stop before the classifier, so their
 * width is `widths[1]`. Keys: in_conv, classifier.0, classifier.1, classifier.4.
 */
export class EfficientVitHead extends Module implements ClassifierHeadLike {
  readonly numFeatures: number;
  readonly inConv: LiteConvNormAct;
  readonly classifier: Sequential;
  globalPool: SelectAdaptivePool2d;
  constructor(inChannels: number, widths: readonly number[], numClasses: number, o: { poolType?: string; act?: string | null; normEps?: number; dropRate?: number } = {}) {
    super();
    const poolType = o.poolType ?? 'avg';
    if (!poolType) throw new Error(NO_POOL_OFF);
    const [w0, w1] = widths;
    if (!w0 || !w1) throw new Error(`EfficientViT's head needs two widths (headWidths), got ${JSON.stringify(widths)}`);
    this.numFeatures = w1;
    const act = o.act === undefined ? 'hardswish' : o.act;
    this.inConv = this.addModule('in_conv', new LiteConvNormAct(inChannels, w0, 1, { act }));
    this.globalPool = this.addModule('global_pool', new SelectAdaptivePool2d({ poolType, flatten: true }));
    this.classifier = this.addModule('classifier', new Sequential([
      new Linear(w0, w1, { bias: false }),
      new LayerNorm(w1, { eps: o.normEps ?? 1e-5 }),
      new Activation(act),
      new Dropout(o.dropRate ?? 0),
      numClasses > 0 ? new Linear(w1, numClasses) : new Identity(),
    ]));
  }
  get fc(): Module {
    return this.classifier.at(4);
  }
  reset(numClasses: number, poolType?: string): void {
    if (poolType !== undefined && !poolType) throw new Error(NO_POOL_OFF);
    if (poolType !== undefined) this.globalPool = this.addModule('global_pool', new SelectAdaptivePool2d({ poolType, flatten: true }));
    this.classifier.addModule('4', numClasses > 0 ? new Linear(this.numFeatures, numClasses) : new Identity());
  }
  forwardHead(x: tf.Tensor, preLogits: boolean): tf.Tensor {
    x = this.globalPool.forward(this.inConv.forward(x));
    for (let i = 0; i < 4; i++) x = this.classifier.at(i).forward(x);
    return preLogits ? x : this.fc.forward(x);
  }
  override forward(x: tf.Tensor): tf.Tensor {
    return this.forwardHead(x, false);
  }
}

export interface EfficientVitArgs {
  inChans?: number;
  /** Stem width, then each stage's. */
  widths?: readonly number[];
  /** Stem blocks, then each stage's. */
  depths?: readonly number[];
  headDim?: number;
  /** The B series' MBConv expansion (the L series' are fixed). */
  expandRatio?: number;
  /** Activation (default hardswish; tanh GELU for the L series). */
  actLayer?: string;
  globalPool?: string;
  /** The head's hidden widths: the 1×1 conv's and the linear's. */
  headWidths?: readonly number[];
  dropRate?: number;
  numClasses?: number;
  /** The L series' norm epsilon (BatchNorms in the trunk, the head's LayerNorm; default 1e-7). */
  normEps?: number;
  /** timm's EfficientVitLarge: fused MBConv stages, ConvBlock stem, three conv stages and tanh GELU. */
  large?: boolean;
}

const ARG_NAMES: readonly (keyof EfficientVitArgs)[] = [
  'inChans', 'widths', 'depths', 'headDim', 'expandRatio', 'actLayer', 'globalPool', 'headWidths', 'dropRate', 'numClasses', 'normEps', 'large',
];

/** timm's EfficientVit (B series) and EfficientVitLarge (L series, `large: true`). */
export class EfficientVit extends VisionModel {
  static readonly argNames: readonly (keyof EfficientVitArgs)[] = ARG_NAMES;
  numClasses: number;
  numFeatures: number;
  headHiddenSize: number;
  readonly inChans: number;
  readonly large: boolean;
  readonly stem: EfficientVitStem;
  readonly stages: Sequential;
  readonly head: EfficientVitHead;
  private readonly numStages: number;

  constructor(args: EfficientVitArgs = {}) {
    super();
    const large = args.large ?? false;
    const { inChans = 3, widths = [], depths = [], headDim = 32, expandRatio = 4, globalPool = 'avg', headWidths = [], numClasses = 1000 } = args;
    if (widths.length < 2 || depths.length !== widths.length) {
      throw new Error(`EfficientViT needs widths and depths of one length (stem + stages), got ${JSON.stringify(widths)} and ${JSON.stringify(depths)}`);
    }
    const act = args.actLayer ?? (large ? 'gelu_tanh' : 'hardswish');
    const normEps = large ? (args.normEps ?? 1e-7) : 1e-5;
    const norm = liteBatchNorm(normEps);
    this.large = large;
    this.inChans = inChans;
    this.numClasses = numClasses;
    this.stem = this.addModule('stem', new EfficientVitStem(inChans, widths[0]!, depths[0]!, norm, act, large ? 'large' : 'default'));
    let stride = 2;
    let inChs = widths[0]!;
    const stages: Module[] = [];
    for (let i = 0; i + 1 < widths.length; i++) {
      const w = widths[i + 1]!;
      stages.push(new EfficientVitStage(inChs, w, depths[i + 1]!, {
        norm, act, headDim, expandRatio, vitStage: large ? i >= 3 : i >= 2, large, fewerNorm: large && i >= 2,
      }));
      stride *= 2;
      inChs = w;
      this.featureInfo.push({ numChs: w, reduction: stride, module: `stages.${i}` });
    }
    this.numStages = stages.length;
    this.stages = this.addModule('stages', new Sequential(stages));
    this.numFeatures = inChs;
    // The L series' head keeps BatchNorm's default eps in its conv but takes normEps for its LayerNorm.
    this.head = new EfficientVitHead(inChs, headWidths, numClasses, { poolType: globalPool, act, normEps, dropRate: args.dropRate ?? 0 });
    this.setClassifierHead('head', this.head, numClasses);
    this.headHiddenSize = this.head.numFeatures;
  }

  /** timm's `reset_classifier`; refuses `globalPool: ''` before changing anything. */
  override resetClassifier(numClasses: number, globalPool?: string): void {
    if (globalPool !== undefined && !globalPool) throw new Error(NO_POOL_OFF);
    super.resetClassifier(numClasses, globalPool);
  }

  /** timm's `group_matcher`. */
  override groupMatcher(coarse = false): GroupMatcher {
    return {
      stem: '^stem',
      blocks: coarse ? String.raw`^stages\.(\d+)` : [[String.raw`^stages\.(\d+).downsample`, [0]], [String.raw`^stages\.(\d+)\.\w+\.(\d+)`, null]],
    };
  }

  protected computeFeatures(x: tf.Tensor): tf.Tensor {
    return this.stages.forward(this.stem.forward(x));
  }

  protected override computeIntermediates(x: tf.Tensor, o: ForwardIntermediatesOptions): IntermediatesResult {
    const { indices, stop } = this.takeIndices(this.numStages, o);
    // The stem's map through the stages that run, keeping those asked for.
    const maps: tf.Tensor[] = [this.stem.forward(x)];
    for (let i = 0; i < stop; i++) maps.push(this.stages.at(i).forward(maps[i]!));
    return { final: maps[stop]!, intermediates: maps.slice(1).filter((_, i) => indices.includes(i)) };
  }

  /**
   * timm's `prune_intermediate_layers`: the stages after the last index are dropped. With `pruneHead` timm calls
   * `reset_classifier(0, '')`, which its head refuses (pooling cannot be disabled); here the classifier is removed
   * and the pool kept.
   */
  override pruneIntermediateLayers(indices: OutIndices = 1, _pruneNorm = false, pruneHead = true): number[] {
    const taken = this.pruneLevels(this.numStages, indices, false, (maxIndex) => {
      for (let i = maxIndex + 1; i < this.numStages; i++) this.stages.addModule(String(i), new Identity());
    });
    if (pruneHead) this.resetClassifier(0);
    return taken;
  }
}
