/**
 * timm's HRNet (hrnet.py, `HighResolutionNet`) on NHWC input: a stride-4 stem, a ResNet layer, then three stages
 * of high-resolution modules that keep 2, 3 and 4 parallel branches (strides 4, 8, 16, 32) and exchange information
 * between them after every module (fusion: a 1×1 conv + BN and a nearest upsample from a lower resolution, chains of
 * strided 3×3 convs from a higher one, summed, ReLU). The classification head raises each branch's width with a
 * bottleneck ("incre" modules), folds the branches from high to low resolution with strided convs, and a 1×1 conv
 * gives 2048 features.
 *
 * Keys as timm's: conv1, bn1, conv2, bn2, layer1.*, transition{1,2,3}.*, stage{2,3,4}.M.branches.B.*,
 * stage{2,3,4}.M.fuse_layers.I.J.*, incre_modules.*, downsamp_modules.*, final_layer.*, classifier.
 *
 * `featuresOnly` builds {@link HighResolutionNetFeatures} (timm's own features class, not a generic wrapper).
 */
import * as tf from '@tensorflow/tfjs-core';
import {
  Activation, BasicBlock, BatchNorm2d, Bottleneck, Conv2d, convNormAct, createClassifier, Dropout, FeatureInfo,
  FeatureModel, FusedSequential, Identity, makeResLayer, Module, type OutIndices, type ResBlockClass, Sequential,
  Upsample, VisionModel,
} from '@zoo/core';

/** timm's `block_types_dict` keys: ResNet's BasicBlock and Bottleneck. */
export type HrnetBlockType = 'BASIC' | 'BOTTLENECK';

/** One stage of timm's `cfg_cls` entries (snake_case there): modules of `numBranches` parallel branches. */
export interface HrnetStageCfg {
  numModules: number;
  numBranches: number;
  blockType: HrnetBlockType;
  /** Blocks per branch. */
  numBlocks: readonly number[];
  /** Width per branch (before the block's expansion). */
  numChannels: readonly number[];
  /** timm's `fuse_method`: recorded, and as in timm the branches are always summed. */
  fuseMethod: string;
}

/** An architecture of timm's `cfg_cls` (the generated arch table holds them, from timm's own values). */
export interface HrnetCfg {
  stemWidth: number;
  stage1: HrnetStageCfg;
  stage2: HrnetStageCfg;
  stage3: HrnetStageCfg;
  stage4: HrnetStageCfg;
  /** Bias on the classification head's downsample and final convs (timm: `head_conv_bias`, default true). */
  headConvBias?: boolean;
}

/** timm's `head`: the full classifier, only the width-raising ("incre") modules, or none (the raw branches). */
export type HrnetHead = 'classification' | 'incre' | '';

export interface HighResolutionNetArgs extends Partial<HrnetCfg> {
  /** The architecture's cfg; as timm's `cfg.update(**kwargs)`, cfg fields given as options replace its own. */
  cfg: HrnetCfg;
  inChans?: number;
  numClasses?: number;
  /** Only 32 (timm's HRNet has no dilated variant). */
  outputStride?: number;
  globalPool?: string;
  dropRate?: number;
  head?: HrnetHead;
}

const BLOCKS: Record<HrnetBlockType, ResBlockClass> = { BASIC: BasicBlock, BOTTLENECK: Bottleneck };
/** Widths the head's incre modules raise the four branches to (× the bottleneck's 4). */
const HEAD_CHANNELS = [32, 64, 128, 256];

function blockOf(type: string, where: string): ResBlockClass {
  const b = BLOCKS[type as HrnetBlockType];
  if (!b) throw new Error(`HRNet ${where}: blockType must be 'BASIC' or 'BOTTLENECK', got ${JSON.stringify(type)}`);
  return b;
}

/** An `nn.Sequential` of conv → BN (→ ReLU / upsample) run with the BN (and ReLU) folded into the conv. */
class ConvBnSeq extends FusedSequential {}

/** conv k×k (no bias) → BN (→ ReLU): the layers of HRNet's transitions and fusions. */
function convBn(inChs: number, outChs: number, kernel: 1 | 3, stride: number, relu: boolean): ConvBnSeq {
  const layers: Module[] = [new Conv2d(inChs, outChs, kernel, { stride, padding: kernel === 3 ? 1 : 0 }), new BatchNorm2d(outChs)];
  if (relu) layers.push(new Activation('relu'));
  return new ConvBnSeq(layers);
}

/** A sum whose parts must be the same size: a clear error when the input's size does not halve evenly. */
function addSameSize(a: tf.Tensor, b: tf.Tensor, what: string): tf.Tensor {
  if (a.shape[1] !== b.shape[1] || a.shape[2] !== b.shape[2]) {
    throw new Error(
      `HRNet: ${what}: ${b.shape[1]}×${b.shape[2]} does not match ${a.shape[1]}×${a.shape[2]}; the branches only line up ` +
        'when the input height and width are multiples of 32 (timm fails the same way)',
    );
  }
  return tf.add(a, b);
}

/**
 * timm's HighResolutionModule: each branch runs its blocks, then every output resolution `i` sums all branches
 * brought to it (the same branch as is; a lower resolution `j > i` by a 1×1 conv + BN and a ×2^(j−i) nearest upsample;
 * a higher one `j < i` by i−j strided 3×3 convs + BN, ReLU between them), then ReLU.
 */
export class HighResolutionModule extends Module {
  readonly numBranches: number;
  /** Each branch's output width (timm's `get_num_in_chs()`). */
  readonly numInChs: number[];
  readonly multiScaleOutput: boolean;
  readonly branches: Sequential;
  readonly fuseLayers: Module;

  constructor(numBranches: number, blockType: HrnetBlockType, numBlocks: readonly number[], numInChs: readonly number[], numChannels: readonly number[], multiScaleOutput = true) {
    super();
    // timm's _check_branches, in its order.
    for (const [name, list] of [['numBlocks', numBlocks], ['numChannels', numChannels], ['numInChs', numInChs]] as const) {
      if (list.length !== numBranches) throw new Error(`HRNet: numBranches(${numBranches}) <> ${name}(${list.length})`);
    }
    const block = blockOf(blockType, 'stage');
    this.numBranches = numBranches;
    this.multiScaleOutput = multiScaleOutput;
    this.branches = this.addModule('branches', new Sequential(numChannels.map((c, b) => makeResLayer(block, numInChs[b]!, c, numBlocks[b]!))));
    this.numInChs = numChannels.map((c) => c * block.expansion);
    this.fuseLayers = this.addModule('fuse_layers', numBranches === 1 ? new Identity() : this.makeFuseLayers());
    this.addModule('fuse_act', new Activation('relu'));
  }

  private makeFuseLayers(): Sequential {
    const chs = this.numInChs;
    const rows: Sequential[] = [];
    for (let i = 0; i < (this.multiScaleOutput ? this.numBranches : 1); i++) {
      const row: Module[] = [];
      for (let j = 0; j < this.numBranches; j++) {
        if (j > i) {
          const up = convBn(chs[j]!, chs[i]!, 1, 1, false);
          up.append(new Upsample(2 ** (j - i)));
          row.push(up);
        } else if (j === i) {
          row.push(new Identity());
        } else {
          const steps: Module[] = [];
          for (let k = 0; k < i - j; k++) {
            const last = k === i - j - 1;
            steps.push(convBn(chs[j]!, last ? chs[i]! : chs[j]!, 3, 2, !last));
          }
          row.push(new Sequential(steps));
        }
      }
      rows.push(new Sequential(row));
    }
    return new Sequential(rows);
  }

  /** The branches' maps in, the fused maps out (one per branch, or only the highest resolution without multi-scale output). */
  forwardList(xs: tf.Tensor[]): tf.Tensor[] {
    if (this.numBranches === 1) return [this.branches.at(0).forward(xs[0]!)];
    const ys = xs.map((x, i) => this.branches.at(i).forward(x));
    return this.fuseLayers.namedChildren().map(([, row], i) => {
      let sum: tf.Tensor | null = null;
      row.namedChildren().forEach(([, f], j) => {
        const t = f.forward(ys[j]!);
        sum = sum === null ? t : addSameSize(sum, t, `fusing branch ${j} into branch ${i}`);
      });
      return tf.relu(sum!);
    });
  }
}

/** timm's SequentialList: high-resolution modules applied in turn to the list of branch maps. */
export class HighResolutionStage extends Sequential {
  forwardList(xs: tf.Tensor[]): tf.Tensor[] {
    for (const [, m] of this.namedChildren()) xs = (m as HighResolutionModule).forwardList(xs);
    return xs;
  }
}

/**
 * timm's `_make_transition_layer`: a branch that exists keeps its map (Identity) unless its width changes (3×3 conv
 * + BN + ReLU); each new branch comes from the lowest-resolution map through strided 3×3 convs + BN + ReLU.
 */
function makeTransition(pre: readonly number[], cur: readonly number[]): Sequential {
  const layers: Module[] = cur.map((c, i) => {
    if (i < pre.length) return c !== pre[i] ? convBn(pre[i]!, c, 3, 1, true) : new Identity();
    const steps: Module[] = [];
    const inChs = pre[pre.length - 1]!;
    for (let j = 0; j < i + 1 - pre.length; j++) steps.push(convBn(inChs, j === i - pre.length ? c : inChs, 3, 2, true));
    return new Sequential(steps);
  });
  return new Sequential(layers);
}

export class HighResolutionNet extends VisionModel {
  static readonly argNames: readonly (keyof HighResolutionNetArgs)[] = [
    'cfg', 'inChans', 'numClasses', 'outputStride', 'globalPool', 'dropRate', 'head',
    'stemWidth', 'stage1', 'stage2', 'stage3', 'stage4', 'headConvBias',
  ];
  numClasses: number;
  numFeatures: number;
  headHiddenSize: number;
  readonly inChans: number;
  /** The cfg the model was built from (the arch's, with any cfg fields given as options). */
  readonly cfg: HrnetCfg;
  /** Which head was built (timm's `head`). */
  readonly headType: HrnetHead;
  /** The incre modules' widths (before ×4) when the head has them (timm's `head_channels`), else null. */
  readonly headChannels: number[] | null;
  readonly conv1: Conv2d;
  readonly bn1: BatchNorm2d;
  readonly conv2: Conv2d;
  readonly bn2: BatchNorm2d;
  readonly increModules: Sequential | null = null;
  private readonly dropRate: number;

  constructor(args: HighResolutionNetArgs) {
    super();
    const { cfg: base, inChans = 3, numClasses = 1000, outputStride = 32, globalPool = 'avg', dropRate = 0, head = 'classification', ...overrides } = args;
    if (outputStride !== 32) throw new Error(`HRNet: outputStride must be 32 (timm's HRNet has no dilated variant), got ${outputStride}`);
    if (!['classification', 'incre', ''].includes(head)) throw new Error(`HRNet: head must be 'classification', 'incre' or '', got ${JSON.stringify(head)}`);
    const cfg: HrnetCfg = { ...base };
    for (const [k, v] of Object.entries(overrides)) if (v !== undefined) (cfg as unknown as Record<string, unknown>)[k] = v;
    this.cfg = cfg;
    this.numClasses = numClasses;
    this.inChans = inChans;
    this.headType = head;
    this.dropRate = dropRate;

    const stem = cfg.stemWidth;
    this.conv1 = this.addModule('conv1', new Conv2d(inChans, stem, 3, { stride: 2, padding: 1 }));
    this.bn1 = this.addModule('bn1', new BatchNorm2d(stem));
    this.addModule('act1', new Activation('relu'));
    this.conv2 = this.addModule('conv2', new Conv2d(stem, 64, 3, { stride: 2, padding: 1 }));
    this.bn2 = this.addModule('bn2', new BatchNorm2d(64));
    this.addModule('act2', new Activation('relu'));

    const s1 = cfg.stage1;
    const block1 = blockOf(s1.blockType, 'stage1');
    this.addModule('layer1', makeResLayer(block1, 64, s1.numChannels[0]!, s1.numBlocks[0]!));
    let pre = [block1.expansion * s1.numChannels[0]!];
    let stageChs = pre;
    for (const [n, sc] of [[2, cfg.stage2], [3, cfg.stage3], [4, cfg.stage4]] as const) {
      const expansion = blockOf(sc.blockType, `stage${n}`).expansion;
      stageChs = sc.numChannels.map((c) => c * expansion);
      this.addModule(`transition${n - 1}`, makeTransition(pre, stageChs));
      const modules: HighResolutionModule[] = [];
      let inChs = stageChs;
      for (let i = 0; i < sc.numModules; i++) {
        const m = new HighResolutionModule(sc.numBranches, sc.blockType, sc.numBlocks, inChs, sc.numChannels, true);
        modules.push(m);
        inChs = m.numInChs;
      }
      this.addModule(`stage${n}`, new HighResolutionStage(modules));
      pre = inChs;
    }

    if (head === 'classification' || head === 'incre') {
      this.numFeatures = this.headHiddenSize = 2048;
      this.headChannels = HEAD_CHANNELS.slice();
      this.increModules = this.addModule('incre_modules', new Sequential(pre.map((c, i) => makeResLayer(Bottleneck, c, HEAD_CHANNELS[i]!, 1))));
    } else {
      this.numFeatures = this.headHiddenSize = 256;
      this.headChannels = null;
    }
    if (head === 'classification') {
      const bias = cfg.headConvBias ?? true;
      const down: Module[] = [];
      for (let i = 0; i < pre.length - 1; i++) {
        const inC = HEAD_CHANNELS[i]! * 4;
        const outC = HEAD_CHANNELS[i + 1]! * 4;
        down.push(new ConvBnSeq([new Conv2d(inC, outC, 3, { stride: 2, padding: 1, bias }), new BatchNorm2d(outC), new Activation('relu')]));
      }
      this.addModule('downsamp_modules', new Sequential(down));
      this.addModule('final_layer', new ConvBnSeq([
        new Conv2d(HEAD_CHANNELS[3]! * 4, this.numFeatures, 1, { bias }), new BatchNorm2d(this.numFeatures), new Activation('relu'),
      ]));
      this.buildHead(numClasses, globalPool);
    } else {
      this.addModule('global_pool', new Identity());
      this.addModule('head_drop', new Identity());
      this.addModule('classifier', new Identity());
    }

    // As timm (whose comment says these module names are not real modules): the stem's first conv, then one level
    // per branch at strides 4 … 32, widened ×4 by the incre modules when the head has them.
    this.featureInfo = [{ numChs: stem, reduction: 2, module: 'stem' }];
    (this.headChannels ?? stageChs).forEach((c, i) => {
      this.featureInfo.push({ numChs: this.headChannels ? c * 4 : c, reduction: 2 ** (i + 2), module: `stage${i + 1}` });
    });
  }

  /** timm's `create_classifier(num_features, num_classes, pool_type, drop_rate)`: global_pool, head_drop, classifier. */
  private buildHead(numClasses: number, globalPool: string): void {
    const head = createClassifier(this.numFeatures, numClasses, globalPool);
    this.numClasses = numClasses;
    this.addModule('global_pool', head.globalPool);
    if (!(this.getChild('head_drop') instanceof Dropout)) this.addModule('head_drop', new Dropout(this.dropRate));
    this.addModule('classifier', head.fc);
  }

  /** The stem's two convs; `atFirst` sees the first conv's output (feature level 0). */
  runStem(x: tf.Tensor, atFirst?: (t: tf.Tensor) => void): tf.Tensor {
    const y = convNormAct(x, this.conv1, this.bn1, 'relu');
    atFirst?.(y);
    return convNormAct(y, this.conv2, this.bn2, 'relu');
  }

  /** timm's `stages(x)`: layer1, then the three multi-resolution stages; one map per branch (strides 4 … 32). */
  runStages(x: tf.Tensor): tf.Tensor[] {
    x = this.getChild('layer1')!.forward(x);
    let xl = this.getChild('transition1')!.namedChildren().map(([, t]) => t.forward(x));
    let yl = (this.getChild('stage2') as HighResolutionStage).forwardList(xl);
    for (const n of [3, 4]) {
      const prev = yl;
      // As timm: a transition that is not an Identity takes the lowest-resolution map.
      xl = this.getChild(`transition${n - 1}`)!.namedChildren().map(([, t], i) => (t instanceof Identity ? prev[i]! : t.forward(prev[prev.length - 1]!)));
      yl = (this.getChild(`stage${n}`) as HighResolutionStage).forwardList(xl);
    }
    return yl;
  }

  protected computeFeatures(x: tf.Tensor): tf.Tensor {
    if (this.headType !== 'classification' || !this.increModules) {
      throw new Error(`${this.modelName || 'HighResolutionNet'} was built with head '${this.headType}', which has no single feature map: build it with featuresOnly: true for its maps`);
    }
    const yl = this.runStages(this.runStem(x));
    const incre = this.increModules.namedChildren().map(([, m]) => m);
    const down = this.getChild('downsamp_modules')!.namedChildren().map(([, m]) => m);
    let y = incre[0]!.forward(yl[0]!);
    for (let i = 1; i < incre.length; i++) y = addSameSize(incre[i]!.forward(yl[i]!), down[i - 1]!.forward(y), `the head's level ${i}`);
    return this.getChild('final_layer')!.forward(y);
  }

  protected override computeHead(x: tf.Tensor, preLogits: boolean): tf.Tensor {
    x = this.getChild('global_pool')!.forward(x);
    x = this.getChild('head_drop')!.forward(x);
    return preLogits ? x : this.getChild('classifier')!.forward(x);
  }

  /** timm's `reset_classifier` (the pool defaults to 'avg'). */
  override resetClassifier(numClasses: number, globalPool = 'avg'): void {
    if (this.headType !== 'classification') throw new Error(`HighResolutionNet: resetClassifier needs the classification head (this one has head '${this.headType}')`);
    this.buildHead(numClasses, globalPool);
  }

  override getClassifier(): Module {
    return this.getChild('classifier')!;
  }
}

/**
 * timm's HighResolutionNetFeatures (what `featuresOnly` builds for HRNet, instead of a generic wrapper): the network
 * with `head` = `featureLocation` ('incre': each branch widened by its incre module, the default; '': the raw
 * branches), returning the stem's first conv output (index 0) and the four branches (1 … 4). As in timm, the maps
 * come in level order, whatever the order of `outIndices` (its levels are a set), while `featureInfo` follows
 * `outIndices` as given. State-dict keys are the network's (conv1 … stage4, incre_modules), without a head.
 */
export class HighResolutionNetFeatures extends FeatureModel<tf.Tensor[]> {
  readonly featureInfo: FeatureInfo;
  private readonly net: HighResolutionNet;
  private readonly take: Set<number>;

  constructor(net: HighResolutionNet, outIndices: OutIndices = [0, 1, 2, 3, 4]) {
    super(net.inChans);
    if (net.headType === 'classification') throw new Error("HighResolutionNetFeatures: build the network with head 'incre' or '' (its featureLocation)");
    this.featureInfo = new FeatureInfo(net.featureInfo, outIndices);
    const n = net.featureInfo.length;
    this.take = new Set(this.featureInfo.outIndices.map((i) => (i < 0 ? n + i : i)));
    this.net = net;
    for (const [name, m] of net.namedChildren()) this.addModule(name, m);
    this.modelName = net.modelName;
  }

  /** Which feature location the network was built with ('incre' or ''). */
  get featureLocation(): HrnetHead {
    return this.net.headType;
  }

  protected collect(x: tf.Tensor): tf.Tensor[] {
    const out: tf.Tensor[] = [];
    const y = this.net.runStem(x, (t) => {
      if (this.take.has(0)) out.push(t);
    });
    if (![...this.take].some((i) => i > 0)) return out;
    const maps = this.net.runStages(y);
    const incre = this.net.increModules?.namedChildren().map(([, m]) => m) ?? null;
    maps.forEach((f, i) => {
      if (!this.take.has(i + 1)) return;
      const m = incre?.[i];
      out.push(m ? m.forward(f) : f);
    });
    return out;
  }
}
