import type * as tf from '@tensorflow/tfjs-core';
import * as tfc from '@tensorflow/tfjs-core';
import {type AaLayerName, type ActName, AvgPool2d, applyAct, ClassifierHead, ConvNormAct, createAa, 
  type GroupMatcher, Identity, MATCH_PREV_GROUP, MaxPool2d,
  Module, type PaddingArg, resolveAct, SEModule, type SEOptions, Sequential, spatialMax, spatialMean, splitTensor, VisionModel,
} from '@zoo/core';

/** timm's CspStemCfg. */
export interface CspStemCfg {
  outChs?: number | number[];
  stride?: number;
  kernelSize?: number;
  padding?: PaddingArg;
  /** '' (none) or 'max'. */
  pool?: string;
}

export type CspStageType = 'csp' | 'cs3' | 'dark';
export type CspBlockType = 'bottle' | 'dark' | 'edge';
type PerStage<T> = T | T[];

/** timm's CspStagesCfg: every field but depth/outChs is one value for all stages or one per stage (the last repeats). */
export interface CspStagesCfg {
  depth: number[];
  outChs: number[];
  stride?: PerStage<number>;
  groups?: PerStage<number>;
  blockRatio?: PerStage<number>;
  bottleRatio?: PerStage<number>;
  avgDown?: PerStage<boolean>;
  attnLayer?: PerStage<string | null>;
  attnKwargs?: PerStage<{ rdRatio?: number } | null>;
  stageType?: PerStage<CspStageType>;
  blockType?: PerStage<CspBlockType>;
  expandRatio?: PerStage<number>;
  crossLinear?: PerStage<boolean>;
  downGrowth?: PerStage<boolean>;
}

/** timm's CspModelCfg. */
export interface CspModelCfg {
  stem: CspStemCfg;
  stages: CspStagesCfg;
  zeroInitLast?: boolean;
  actLayer?: string;
  normLayer?: string;
  aaLayer?: AaLayerName | null;
}

/** timm's `_pad_arg`: one value per stage, the last value repeated (or the list cut) to `n`. */
function padArg<T>(x: PerStage<T> | undefined, n: number, dflt: T): T[] {
  const arr = Array.isArray(x) ? x : [x === undefined ? dflt : x];
  if (arr.length >= n) return arr.slice(0, n);
  return [...arr, ...Array.from({ length: n - arr.length }, () => arr[arr.length - 1]!)];
}

interface BlockArgs {
  inChs: number;
  outChs: number;
  dilation: number;
  bottleRatio: number;
  groups: number;
  act: ActName;
  attn: ((chs: number) => Module) | null;
}

/** SEModule whose reduction activation never goes through tfjs' fused leakyrelu (slope 0.2 there, 0.01 in torch). */
class CspSEModule extends SEModule {
  override forward(x: tf.Tensor): tf.Tensor {
    if (this.act !== 'leaky_relu' || !(this.bn instanceof Identity)) return super.forward(x);
    let s = spatialMean(x, true);
    if (this.addMaxpool) s = tfc.add(tfc.mul(s, 0.5), tfc.mul(spatialMax(x, true), 0.5));
    s = applyAct(this.act, this.fc1.forward(s));
    s = this.fc2.forwardAct(s, this.gate);
    return tfc.mul(x, s);
  }
}

const cna = (inC: number, outC: number, k: number, act: ActName, o: { stride?: number; dilation?: number; groups?: number; applyAct?: boolean; padding?: PaddingArg; aaLayer?: AaLayerName | null } = {}) =>
  new ConvNormAct(inC, outC, k, { ...o, actLayer: act });

/** timm's cspnet BottleneckBlock: 1×1 → 3×3 (grouped) → (attn) → 1×1, residual add, then the activation. */
export class BottleneckBlock extends Module {
  readonly act: ActName;
  constructor(a: BlockArgs) {
    super();
    const mid = Math.round(a.outChs * a.bottleRatio);
    this.act = a.act;
    this.addModule('conv1', cna(a.inChs, mid, 1, a.act));
    this.addModule('conv2', cna(mid, mid, 3, a.act, { dilation: a.dilation, groups: a.groups }));
    this.addModule('attn2', a.attn ? a.attn(mid) : new Identity());
    this.addModule('conv3', cna(mid, a.outChs, 1, a.act, { applyAct: false }));
    this.addModule('attn3', new Identity());
    this.addModule('drop_path', new Identity());
    this.addModule('act3', new Identity());
  }
  override forward(x: tf.Tensor): tf.Tensor {
    let y = this.getChild('conv1')!.forward(x);
    y = this.getChild('conv2')!.forward(y);
    y = this.getChild('attn2')!.forward(y);
    y = this.getChild('conv3')!.forward(y);
    return applyAct(this.act, tfc.add(y, x));
  }
}

/** timm's DarkBlock: 1×1 → (attn) → 3×3, residual add (EdgeBlock swaps the two kernels). */
export class DarkBlock extends Module {
  constructor(a: BlockArgs, kernels: readonly [number, number] = [1, 3]) {
    super();
    const mid = Math.round(a.outChs * a.bottleRatio);
    // Dilation and groups belong to the 3×3 conv.
    const opts = (k: number) => (k === 1 ? undefined : { dilation: a.dilation, groups: a.groups });
    this.addModule('conv1', cna(a.inChs, mid, kernels[0], a.act, opts(kernels[0])));
    this.addModule('attn', a.attn ? a.attn(mid) : new Identity());
    this.addModule('conv2', cna(mid, a.outChs, kernels[1], a.act, opts(kernels[1])));
    this.addModule('drop_path', new Identity());
  }
  override forward(x: tf.Tensor): tf.Tensor {
    let y = this.getChild('conv1')!.forward(x);
    y = this.getChild('attn')!.forward(y);
    y = this.getChild('conv2')!.forward(y);
    return tfc.add(y, x);
  }
}

/** timm's EdgeBlock (fused-MBConv-like): 3×3 → (attn) → 1×1, residual add. */
export class EdgeBlock extends DarkBlock {
  constructor(a: BlockArgs) {
    super(a, [3, 1]);
  }
}

const BLOCKS: Record<CspBlockType, new (a: BlockArgs) => Module> = { bottle: BottleneckBlock, dark: DarkBlock, edge: EdgeBlock };

interface StageArgs {
  inChs: number;
  outChs: number;
  stride: number;
  dilation: number;
  firstDilation: number;
  depth: number;
  blockRatio: number;
  bottleRatio: number;
  expandRatio: number;
  groups: number;
  avgDown: boolean;
  downGrowth: boolean;
  crossLinear: boolean;
  blockType: CspBlockType;
  act: ActName;
  aa: AaLayerName | null;
  attn: ((chs: number) => Module) | null;
}

/** The strided entry conv of a stage: a 3×3 ConvNormAct, or (avgDown) a 2×2 average pool and a 1×1 ConvNormAct. */
function convDown(s: StageArgs, outChs: number): Module {
  if (s.avgDown) {
    return new Sequential([
      s.stride === 2 ? new AvgPool2d(2) : new Identity(),
      cna(s.inChs, s.outChs, 1, s.act, { groups: s.groups }),
    ]);
  }
  return cna(s.inChs, outChs, 3, s.act, { stride: s.stride, dilation: s.firstDilation, groups: s.groups, aaLayer: s.aa });
}

function makeBlocks(s: StageArgs, inChs: number, blockOutChs: number): Sequential {
  const blocks = new Sequential();
  let prev = inChs;
  for (let i = 0; i < s.depth; i++) {
    blocks.addModule(String(i), new BLOCKS[s.blockType]({
      inChs: prev, outChs: blockOutChs, dilation: s.dilation, bottleRatio: s.bottleRatio, groups: s.groups, act: s.act, attn: s.attn,
    }));
    prev = blockOutChs;
  }
  return blocks;
}

/**
 * The opening of CrossStage and CrossStage3: `conv_down` (or `noDown` when the stage keeps its stride and dilation)
 * and the 1×1 `conv_exp`. Returns the expanded width and the blocks' output width.
 */
function addDownExpand(stage: Module, s: StageArgs, noDown: Module | null): { expandChs: number; blockOutChs: number } {
  const downChs = s.downGrowth ? s.outChs : s.inChs;
  const expandChs = Math.round(s.outChs * s.expandRatio);
  const down = s.stride !== 1 || s.firstDilation !== s.dilation;
  stage.addModule('conv_down', down ? convDown(s, downChs) : noDown);
  stage.addModule('conv_exp', cna(down ? downChs : s.inChs, expandChs, 1, s.act, { applyAct: !s.crossLinear }));
  return { expandChs, blockOutChs: Math.round(s.outChs * s.blockRatio) };
}

/** timm's CrossStage (CSPNet): down conv, 1×1 expansion split in two, blocks on one half, transitions, concat. */
export class CrossStage extends Module {
  readonly expandChs: number;
  constructor(s: StageArgs) {
    super();
    const { expandChs, blockOutChs } = addDownExpand(this, s, new Identity());
    this.expandChs = expandChs;
    const half = Math.floor(this.expandChs / 2);
    this.addModule('blocks', makeBlocks(s, half, blockOutChs));
    this.addModule('conv_transition_b', cna(s.depth ? blockOutChs : half, half, 1, s.act));
    this.addModule('conv_transition', cna(this.expandChs, s.outChs, 1, s.act));
  }
  override forward(x: tf.Tensor): tf.Tensor {
    x = this.getChild('conv_down')!.forward(x);
    x = this.getChild('conv_exp')!.forward(x);
    const half = Math.floor(this.expandChs / 2);
    const [xs, xb] = splitTensor(x, [half, x.shape[3]! - half], 3);
    let yb = this.getChild('blocks')!.forward(xb!);
    yb = this.getChild('conv_transition_b')!.forward(yb);
    return this.getChild('conv_transition')!.forward(tfc.concat([xs!, yb], 3));
  }
}

/** timm's CrossStage3 (CS3): like CrossStage with a single output transition. */
export class CrossStage3 extends Module {
  readonly expandChs: number;
  constructor(s: StageArgs) {
    super();
    const { expandChs, blockOutChs } = addDownExpand(this, s, null);
    this.expandChs = expandChs;
    this.addModule('blocks', makeBlocks(s, Math.floor(this.expandChs / 2), blockOutChs));
    this.addModule('conv_transition', cna(this.expandChs, s.outChs, 1, s.act));
  }
  override forward(x: tf.Tensor): tf.Tensor {
    const down = this.getChild('conv_down');
    if (down) x = down.forward(x);
    x = this.getChild('conv_exp')!.forward(x);
    const half = Math.floor(this.expandChs / 2);
    const [x1, x2] = splitTensor(x, [half, x.shape[3]! - half], 3);
    const y1 = this.getChild('blocks')!.forward(x1!);
    return this.getChild('conv_transition')!.forward(tfc.concat([y1, x2!], 3));
  }
}

/** timm's DarkStage: down conv, then blocks. */
export class DarkStage extends Module {
  constructor(s: StageArgs) {
    super();
    this.addModule('conv_down', convDown(s, s.outChs));
    this.addModule('blocks', makeBlocks(s, s.outChs, Math.round(s.outChs * s.blockRatio)));
  }
  override forward(x: tf.Tensor): tf.Tensor {
    return this.getChild('blocks')!.forward(this.getChild('conv_down')!.forward(x));
  }
}

const STAGES: Record<CspStageType, new (s: StageArgs) => Module> = { csp: CrossStage, cs3: CrossStage3, dark: DarkStage };

type FeatureEntry = { numChs: number; reduction: number; module: string };

/** timm's `create_csp_stem`: ConvNormActs (the first, and with stride 4 and no pool the last, strided), optional max pool. */
function createCspStem(inChans: number, cfg: CspStemCfg, act: ActName, aa: AaLayerName | null): { stem: Sequential; info: FeatureEntry[] } {
  const { stride = 2, kernelSize = 3, padding = '', pool = '' } = cfg;
  const outChs = Array.isArray(cfg.outChs) ? cfg.outChs : [cfg.outChs ?? 32];
  if (![1, 2, 4].includes(stride)) throw new Error(`CSP stem stride must be 1, 2 or 4, got ${stride}`);
  const stem = new Sequential();
  const info: FeatureEntry[] = [];
  let prevFeat: FeatureEntry | null = null;
  let prevChs = inChans;
  const lastIdx = outChs.length - 1;
  let stemStride = 1;
  outChs.forEach((chs, i) => {
    const name = `conv${i + 1}`;
    const convStride = (i === 0 && stride > 1) || (i === lastIdx && stride > 2 && !pool) ? 2 : 1;
    if (convStride > 1 && prevFeat) info.push(prevFeat);
    stem.addModule(name, cna(prevChs, chs, kernelSize, act, { stride: convStride, padding: i === 0 ? padding : '' }));
    stemStride *= convStride;
    prevChs = chs;
    prevFeat = { numChs: prevChs, reduction: stemStride, module: `stem.${name}` };
  });
  if (pool) {
    if (stride <= 2) throw new Error('a CSP stem pool needs stem stride 4');
    if (prevFeat) info.push(prevFeat);
    let poolName = 'pool';
    if (aa) {
      stem.addModule('pool', new MaxPool2d(3, { stride: 1, padding: 1 }));
      stem.addModule('aa', createAa(aa, prevChs, 2)!);
      poolName = 'aa';
    } else {
      stem.addModule('pool', new MaxPool2d(3, { stride: 2, padding: 1 }));
    }
    stemStride *= 2;
    prevFeat = { numChs: prevChs, reduction: stemStride, module: `stem.${poolName}` };
  }
  info.push(prevFeat!);
  return { stem, info };
}

export interface CspNetArgs {
  cfg: CspModelCfg;
  inChans?: number;
  numClasses?: number;
  outputStride?: 8 | 16 | 32;
  globalPool?: string;
  dropRate?: number;
  dropPathRate?: number;
  zeroInitLast?: boolean;
  /** Overlays onto `cfg` (timm's `replace(cfg, **kwargs)`). */
  actLayer?: string;
  normLayer?: string;
  aaLayer?: AaLayerName | null;
}

const ARG_NAMES: readonly (keyof CspNetArgs)[] = [
  'cfg', 'inChans', 'numClasses', 'outputStride', 'globalPool', 'dropRate', 'dropPathRate', 'zeroInitLast', 'actLayer',
  'normLayer', 'aaLayer',
];

/**
 * timm's CspNet (CSPResNet/ResNeXt, CSPDarkNet, DarkNet, CS3-DarkNet/EdgeNet) on NHWC input, built from a
 * CspModelCfg table. Keys are timm's: stem.conv1.conv, stages.N.conv_down.conv, stages.N.blocks.M.conv1.bn, head.fc, …
 */
export class CspNet extends VisionModel {
  static readonly argNames: readonly (keyof CspNetArgs)[] = ARG_NAMES;
  numClasses: number;
  numFeatures: number;
  headHiddenSize: number;
  readonly inChans: number;
  readonly dropRate: number;
  readonly stem: Sequential;
  readonly stages: Sequential;
  readonly head: ClassifierHead;

  constructor(args: CspNetArgs) {
    super();
    const { inChans = 3, numClasses = 1000, outputStride = 32, globalPool = 'avg', dropRate = 0 } = args;
    if (![8, 16, 32].includes(outputStride)) throw new RangeError(`outputStride must be 8, 16 or 32, got ${outputStride}`);
    const cfg: CspModelCfg = { ...args.cfg };
    if (args.actLayer !== undefined) cfg.actLayer = args.actLayer;
    if (args.normLayer !== undefined) cfg.normLayer = args.normLayer;
    if (args.aaLayer !== undefined) cfg.aaLayer = args.aaLayer;
    const norm = (cfg.normLayer ?? 'batchnorm').toLowerCase();
    if (norm !== 'batchnorm' && norm !== 'batchnorm2d') throw new Error(`CspNet: norm layer '${cfg.normLayer}' is not supported (batchnorm only)`);
    const act = resolveAct(cfg.actLayer ?? 'leaky_relu');
    const aa = cfg.aaLayer ?? null;
    this.numClasses = numClasses;
    this.inChans = inChans;
    this.dropRate = dropRate;

    const { stem, info: stemInfo } = createCspStem(inChans, cfg.stem, act, aa);
    this.stem = this.addModule('stem', stem);
    this.featureInfo = stemInfo.slice(0, -1);

    // timm's create_csp_stages
    const sc = cfg.stages;
    const n = sc.depth.length;
    if (sc.outChs.length !== n) throw new Error('CspStagesCfg: depth and outChs must have one entry per stage');
    const per = {
      stride: padArg(sc.stride, n, 2), groups: padArg(sc.groups, n, 1), blockRatio: padArg(sc.blockRatio, n, 1),
      bottleRatio: padArg(sc.bottleRatio, n, 1), avgDown: padArg(sc.avgDown, n, false), attnLayer: padArg(sc.attnLayer, n, null),
      attnKwargs: padArg(sc.attnKwargs, n, null), stageType: padArg(sc.stageType, n, 'csp' as CspStageType),
      blockType: padArg(sc.blockType, n, 'bottle' as CspBlockType), expandRatio: padArg(sc.expandRatio, n, 1),
      crossLinear: padArg(sc.crossLinear, n, false), downGrowth: padArg(sc.downGrowth, n, false),
    };
    const stemFeat = stemInfo[stemInfo.length - 1]!;
    let dilation = 1;
    let netStride = stemFeat.reduction;
    let prevChs = stemFeat.numChs;
    let prevFeat: FeatureEntry | null = stemFeat;
    const stages = new Sequential();
    for (let i = 0; i < n; i++) {
      let stride = per.stride[i]!;
      if (stride !== 1 && prevFeat) this.featureInfo.push(prevFeat);
      if (netStride >= outputStride && stride > 1) {
        dilation *= stride;
        stride = 1;
      }
      netStride *= stride;
      const firstDilation = dilation === 1 || dilation === 2 ? 1 : 2;
      const attnName = per.attnLayer[i];
      const attnKw = per.attnKwargs[i];
      let attn: ((chs: number) => Module) | null = null;
      if (attnName) {
        if (attnName.toLowerCase() !== 'se') throw new Error(`CspNet: attention '${attnName}' is not supported (se only)`);
        const opts: SEOptions = { act, ...(attnKw?.rdRatio !== undefined ? { rdRatio: attnKw.rdRatio } : {}) };
        attn = (chs) => new CspSEModule(chs, opts);
      }
      const stageType = per.stageType[i]!;
      const s: StageArgs = {
        inChs: prevChs, outChs: sc.outChs[i]!, stride, dilation, firstDilation, depth: sc.depth[i]!, blockRatio: per.blockRatio[i]!,
        bottleRatio: per.bottleRatio[i]!, expandRatio: stageType === 'dark' ? 1 : per.expandRatio[i]!, groups: per.groups[i]!,
        avgDown: per.avgDown[i]!, downGrowth: stageType === 'dark' ? false : per.downGrowth[i]!,
        crossLinear: stageType === 'dark' ? false : per.crossLinear[i]!, blockType: per.blockType[i]!, act, aa, attn,
      };
      stages.addModule(String(i), new STAGES[stageType](s));
      prevChs = s.outChs;
      prevFeat = { numChs: prevChs, reduction: netStride, module: `stages.${i}` };
    }
    this.featureInfo.push(prevFeat!);
    this.stages = this.addModule('stages', stages);
    this.numFeatures = this.headHiddenSize = prevChs;
    this.head = this.setClassifierHead('head', new ClassifierHead(prevChs, numClasses, { poolType: globalPool, dropRate }), numClasses);
  }

  /** timm's `CspNet.group_matcher`: layer groups for layer-wise lr decay. */
  override groupMatcher(coarse = false): GroupMatcher {
    if (coarse) return { stem: '^stem', blocks: String.raw`^stages\.(\d+)` };
    // Blocks by (stage, block); a stage's transition joins its last block, the rest of a stage goes first.
    const blocks: [string, number[] | null][] = [
      [String.raw`^stages\.(\d+)\.blocks\.(\d+)`, null],
      [String.raw`^stages\.(\d+)\..*transition`, [MATCH_PREV_GROUP]],
      [String.raw`^stages\.(\d+)`, [0]],
    ];
    return { stem: '^stem', blocks };
  }

  protected computeFeatures(x: tf.Tensor): tf.Tensor {
    return this.stages.forward(this.stem.forward(x));
  }
}
