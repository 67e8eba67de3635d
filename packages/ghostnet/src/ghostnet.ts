/**
 * timm's GhostNet V1 / V2 / V3 (ghostnet.py) on NHWC input. A ghost module makes half its channels with a conv and
 * the other half from those with a cheap depthwise conv. V2 gates the result with DFC attention (a pooled,
 * horizontally and vertically decoupled depthwise branch); V3 trains each conv as three parallel conv+BN branches
 * plus 1×1 and identity-BN branches, kept here exactly as timm's state dicts hold them (run unfused, each branch's
 * BN folded into its conv). Keys: conv_stem, bn1, blocks.i.j.ghost1.primary_conv.0, …, conv_head, classifier.
 */
import * as tf from '@tensorflow/tfjs-core';
import {Activation, 
  type ActName, BatchNorm2d, Conv2d, convNormAct, type ForwardIntermediatesOptions, type GroupMatcher, Identity,
  type IntermediatesResult, Linear, MATCH_PREV_GROUP, Module, makeDivisible, type OutIndices, resolveAct, SelectAdaptivePool2d,
  Sequential, sliceTensor, spatialMean, VisionModel,
} from '@zoo/core';

/** One block row of timm's cfgs: kernel, expansion (mid) channels, out channels, SE ratio, stride. */
export type GhostBlockCfg = [kernel: number, expSize: number, outChs: number, seRatio: number, stride: number];

/** Conv → BN (no activation), as timm's `nn.Sequential(nn.Conv2d, nn.BatchNorm2d)` pairs, run as one fused op. */
function convBn(x: tf.Tensor, conv: Module, bn: Module, act: 'relu' | 'identity' = 'identity'): tf.Tensor {
  return convNormAct(x, conv as Conv2d, bn as BatchNorm2d, act);
}

/** Runs a Sequential of (conv, BN[, act]) children, folding each BN into the conv before it. */
function runConvBnSeq(x: tf.Tensor, seq: Sequential): tf.Tensor {
  const mods = seq.namedChildren().map(([, m]) => m);
  for (let i = 0; i < mods.length; i++) {
    const m = mods[i]!;
    if (m instanceof Conv2d && mods[i + 1] instanceof BatchNorm2d) {
      x = convBn(x, m, mods[i + 1]!);
      i++;
    } else x = m.forward(x);
  }
  return x;
}

/** timm's efficientnet-blocks ConvBnAct as GhostNet uses it: conv (PyTorch padding k // 2) → bn1 (BatchNormAct2d). Keys: conv, bn1. */
export class GhostConvBnAct extends Module {
  readonly conv: Conv2d;
  readonly bn1: BatchNorm2d;
  readonly act: ActName;
  constructor(inChs: number, outChs: number, kernelSize: number, options: { stride?: number; depthwise?: boolean; act?: string | null } = {}) {
    super();
    this.conv = this.addModule('conv', new Conv2d(inChs, outChs, kernelSize, {
      stride: options.stride ?? 1, padding: Math.floor(kernelSize / 2), groups: options.depthwise ? inChs : 1,
    }));
    this.bn1 = this.addModule('bn1', new BatchNorm2d(outChs));
    this.act = resolveAct(options.act === undefined ? 'relu' : options.act);
  }
  override forward(x: tf.Tensor): tf.Tensor {
    return this.conv.forwardBn(x, this.bn1, this.act);
  }
}

/** timm's efficientnet-blocks SqueezeExcite as GhostNet uses it: ReLU, hard-sigmoid gate. Keys: conv_reduce, conv_expand. */
export class GhostSqueezeExcite extends Module {
  readonly convReduce: Conv2d;
  readonly convExpand: Conv2d;
  constructor(channels: number, seRatio: number) {
    super();
    const rd = makeDivisible(channels * seRatio, 4);
    this.convReduce = this.addModule('conv_reduce', new Conv2d(channels, rd, 1, { bias: true }));
    this.convExpand = this.addModule('conv_expand', new Conv2d(rd, channels, 1, { bias: true }));
  }
  override forward(x: tf.Tensor): tf.Tensor {
    const s = this.convReduce.forwardAct(spatialMean(x, true), 'relu');
    return tf.mul(x, this.convExpand.forwardAct(s, 'hard_sigmoid'));
  }
}

/** Conv → BN pairs as an `nn.Sequential`: children 0 (conv), 1 (BN), 2 (activation, when given). */
function convBnSeq(conv: Conv2d, chs: number, act: string | null): Sequential {
  const mods: Module[] = [conv, new BatchNorm2d(chs)];
  if (act) mods.push(new Activation(act));
  return new Sequential(mods);
}

/**
 * V2's DFC attention branch (`short_conv`): 2×2 average pool → conv+BN → 1×5 depthwise+BN → 5×1 depthwise+BN →
 * sigmoid, upsampled (nearest) to the module's output size.
 */
function dfcGate(x: tf.Tensor, shortConv: Sequential, outHw: [number, number]): tf.Tensor {
  const pooled = tf.avgPool(x as tf.Tensor4D, 2, 2, 'valid');
  const res = tf.sigmoid(runConvBnSeq(pooled, shortConv));
  return tf.image.resizeNearestNeighbor(res as tf.Tensor4D, outHw);
}

function shortConvSeq(inChs: number, outChs: number): Sequential {
  return new Sequential([
    new Conv2d(inChs, outChs, 1, { padding: 0 }), new BatchNorm2d(outChs),
    new Conv2d(outChs, outChs, [1, 5], { padding: [0, 2], groups: outChs }), new BatchNorm2d(outChs),
    new Conv2d(outChs, outChs, [5, 1], { padding: [2, 0], groups: outChs }), new BatchNorm2d(outChs),
  ]);
}

/** timm's GhostModule (V1) and GhostModuleV2 (`attn`: with the DFC gate). Keys: primary_conv, cheap_operation[, short_conv]. */
export class GhostModule extends Module {
  readonly primaryConv: Sequential;
  readonly cheapOperation: Sequential;
  readonly shortConv: Sequential | null;
  private readonly actName: 'relu' | 'identity';
  constructor(inChs: number, readonly outChs: number, act: boolean, attn = false) {
    super();
    const initChs = Math.ceil(outChs / 2);
    const a = act ? 'relu' : null;
    this.actName = act ? 'relu' : 'identity';
    this.primaryConv = this.addModule('primary_conv', convBnSeq(new Conv2d(inChs, initChs, 1, { padding: 0 }), initChs, a));
    this.cheapOperation = this.addModule('cheap_operation', convBnSeq(new Conv2d(initChs, initChs, 3, { padding: 1, groups: initChs }), initChs, a));
    this.shortConv = attn ? this.addModule('short_conv', shortConvSeq(inChs, outChs)) : null;
  }
  override forward(x: tf.Tensor): tf.Tensor {
    const x1 = convBn(x, this.primaryConv.at(0), this.primaryConv.at(1), this.actName);
    const x2 = convBn(x1, this.cheapOperation.at(0), this.cheapOperation.at(1), this.actName);
    let out = tf.concat([x1, x2], 3);
    if (out.shape[3] !== this.outChs) out = sliceChannels(out, this.outChs);
    if (!this.shortConv) return out;
    return tf.mul(out, dfcGate(x, this.shortConv, [out.shape[1]!, out.shape[2]!]));
  }
}

/** The first `n` channels of an NHWC map. */
function sliceChannels(x: tf.Tensor, n: number): tf.Tensor {
  const [b, h, w] = x.shape as number[];
  return sliceTensor(x, [0, 0, 0, 0], [b!, h!, w!, n]);
}

/** Sum of a list of conv+BN branches (V3's re-parameterisable training-time form). */
function sumBranches(x: tf.Tensor, branches: Module[], extra: tf.Tensor[] = []): tf.Tensor {
  const outs = [...extra, ...branches.map((b) => b.forward(x))];
  return outs.length === 1 ? outs[0]! : tf.addN(outs);
}

/**
 * timm's GhostModuleV3 as trained: three 1×1 conv+BN branches (primary), then three depthwise 3×3 conv+BN branches,
 * a depthwise 1×1 conv+BN and a BN-only identity branch (cheap). `shortcut` mode adds the DFC gate. Keys:
 * primary_rpr_conv.{0,1,2}, cheap_rpr_skip, cheap_rpr_conv.{0,1,2}, cheap_rpr_scale[, short_conv].
 */
export class GhostModuleV3 extends Module {
  readonly primaryRprConv: Sequential;
  readonly cheapRprSkip: BatchNorm2d;
  readonly cheapRprConv: Sequential;
  readonly cheapRprScale: GhostConvBnAct;
  readonly shortConv: Sequential | null;
  private readonly actName: 'relu' | 'identity';
  constructor(inChs: number, readonly outChs: number, act: boolean, shortcut = false) {
    super();
    const initChs = Math.ceil(outChs / 2);
    this.actName = act ? 'relu' : 'identity';
    const three = (make: () => Module) => new Sequential([make(), make(), make()]);
    this.primaryRprConv = this.addModule('primary_rpr_conv', three(() => new GhostConvBnAct(inChs, initChs, 1, { act: null })));
    this.cheapRprSkip = this.addModule('cheap_rpr_skip', new BatchNorm2d(initChs));
    this.cheapRprConv = this.addModule('cheap_rpr_conv', three(() => new GhostConvBnAct(initChs, initChs, 3, { depthwise: true, act: null })));
    this.cheapRprScale = this.addModule('cheap_rpr_scale', new GhostConvBnAct(initChs, initChs, 1, { depthwise: true, act: null }));
    this.shortConv = shortcut ? this.addModule('short_conv', shortConvSeq(inChs, outChs)) : null;
  }
  override forward(x: tf.Tensor): tf.Tensor {
    const branches = (s: Sequential) => s.namedChildren().map(([, m]) => m);
    const act = (t: tf.Tensor) => (this.actName === 'relu' ? tf.relu(t) : t);
    const x1 = act(sumBranches(x, branches(this.primaryRprConv)));
    const x2 = act(sumBranches(x1, branches(this.cheapRprConv), [this.cheapRprScale.forward(x1), this.cheapRprSkip.forward(x1)]));
    const out = tf.concat([x1, x2], 3);
    if (!this.shortConv) return out;
    const sliced = out.shape[3] === this.outChs ? out : sliceChannels(out, this.outChs);
    return tf.mul(sliced, dfcGate(x, this.shortConv, [out.shape[1]!, out.shape[2]!]));
  }
}

function dwShortcut(inChs: number, outChs: number, k: number, stride: number): Sequential {
  return new Sequential([
    new Conv2d(inChs, inChs, k, { stride, padding: (k - 1) >> 1, groups: inChs }), new BatchNorm2d(inChs),
    new Conv2d(inChs, outChs, 1, { padding: 0 }), new BatchNorm2d(outChs),
  ]);
}

/**
 * timm's GhostBottleneck (V1/V2) and GhostBottleneckV3: ghost1 (→ strided depthwise conv) (→ SE) → ghost2, plus
 * the identity or a depthwise+pointwise shortcut.
 */
export class GhostBottleneck extends Module {
  readonly stride: number;
  constructor(inChs: number, midChs: number, outChs: number, k: number, stride: number, seRatio: number, mode: 'original' | 'attn' | 'v3' | 'v3-shortcut') {
    super();
    this.stride = stride;
    const v3 = mode.startsWith('v3');
    if (v3) {
      this.addModule('ghost1', new GhostModuleV3(inChs, midChs, true, mode === 'v3-shortcut'));
      if (stride > 1) {
        this.addModule('dw_rpr_conv', new Sequential([0, 1, 2].map(() => new GhostConvBnAct(midChs, midChs, k, { stride, depthwise: true, act: null }))));
        this.addModule('dw_rpr_scale', new GhostConvBnAct(midChs, midChs, 1, { stride: 2, depthwise: true, act: null }));
      }
    } else {
      this.addModule('ghost1', new GhostModule(inChs, midChs, true, mode === 'attn'));
      if (stride > 1) {
        this.addModule('conv_dw', new Conv2d(midChs, midChs, k, { stride, padding: (k - 1) >> 1, groups: midChs }));
        this.addModule('bn_dw', new BatchNorm2d(midChs));
      }
    }
    if (seRatio > 0) this.addModule('se', new GhostSqueezeExcite(midChs, seRatio));
    this.addModule('ghost2', v3 ? new GhostModuleV3(midChs, outChs, false) : new GhostModule(midChs, outChs, false));
    if (!(inChs === outChs && stride === 1)) this.addModule('shortcut', dwShortcut(inChs, outChs, k, stride));
  }
  override forward(x: tf.Tensor): tf.Tensor {
    let y = this.getChild('ghost1')!.forward(x);
    const dwConvs = this.getChild('dw_rpr_conv') as Sequential | undefined;
    if (dwConvs) {
      y = sumBranches(y, dwConvs.namedChildren().map(([, m]) => m), [this.getChild('dw_rpr_scale')!.forward(y)]);
    } else if (this.getChild('conv_dw')) {
      y = convBn(y, this.getChild('conv_dw')!, this.getChild('bn_dw')!);
    }
    const se = this.getChild('se');
    if (se) y = se.forward(y);
    y = this.getChild('ghost2')!.forward(y);
    const sc = this.getChild('shortcut') as Sequential | undefined;
    return tf.add(y, sc ? runConvBnSeq(x, sc) : x);
  }
}

export interface GhostNetArgs {
  /** Stages of block rows (timm's `cfgs`, given by every architecture). */
  cfgs: GhostBlockCfg[][];
  numClasses?: number;
  width?: number;
  inChans?: number;
  outputStride?: number;
  globalPool?: string;
  dropRate?: number;
  version?: 'v1' | 'v2' | 'v3';
}

/** timm's GhostNet: stem conv → stages of ghost bottlenecks → 1×1 ConvBnAct; head: pool → conv_head → ReLU → classifier. */
export class GhostNet extends VisionModel {
  static readonly argNames: readonly (keyof GhostNetArgs)[] = ['cfgs', 'numClasses', 'width', 'inChans', 'outputStride', 'globalPool', 'dropRate', 'version'];
  numClasses: number;
  numFeatures: number;
  headHiddenSize = 1280;
  readonly inChans: number;
  readonly blocks: Sequential;
  /** Block index of each feature level after the stem (timm's `stage_ends`, the stem being -1). */
  private readonly stageEnds: number[] = [-1];

  constructor(args: GhostNetArgs) {
    super();
    const { cfgs, numClasses = 1000, width = 1, inChans = 3, outputStride = 32, globalPool = 'avg', version = 'v1' } = args;
    if (outputStride !== 32) throw new Error(`GhostNet supports only outputStride 32 (got ${outputStride}); dilation is not supported`);
    if (!['v1', 'v2', 'v3'].includes(version)) throw new Error(`GhostNet version must be 'v1', 'v2' or 'v3' (got '${version}')`);
    this.numClasses = numClasses;
    this.inChans = inChans;
    const stemChs = makeDivisible(16 * width, 4);
    this.addModule('conv_stem', new Conv2d(inChans, stemChs, 3, { stride: 2, padding: 1 }));
    this.featureInfo.push({ numChs: stemChs, reduction: 2, module: 'conv_stem' });
    this.addModule('bn1', new BatchNorm2d(stemChs));
    this.addModule('act1', new Activation('relu'));
    let prev = stemChs;
    let layerIdx = 0;
    let netStride = 2;
    let expSize = 0;
    const stages: Module[] = cfgs.map((rows, stageIdx) => {
      let s = 1;
      const layers = rows.map(([k, exp, c, se, stride]) => {
        s = stride;
        expSize = exp;
        const outChs = makeDivisible(c * width, 4);
        const midChs = makeDivisible(exp * width, 4);
        const late = layerIdx > 1;
        const mode = version === 'v3' ? (late ? 'v3-shortcut' : 'v3') : version === 'v2' && late ? 'attn' : 'original';
        const block = new GhostBottleneck(prev, midChs, outChs, k, stride, se, mode);
        prev = outChs;
        layerIdx++;
        return block;
      });
      if (s > 1) {
        netStride *= 2;
        this.featureInfo.push({ numChs: prev, reduction: netStride, module: `blocks.${stageIdx}` });
        this.stageEnds.push(stageIdx);
      }
      return new Sequential(layers);
    });
    const outChs = makeDivisible(expSize * width, 4);
    stages.push(new Sequential([new GhostConvBnAct(prev, outChs, 1)]));
    this.blocks = this.addModule('blocks', new Sequential(stages));
    this.numFeatures = outChs;
    this.buildHead(numClasses, globalPool);
  }

  private buildHead(numClasses: number, globalPool: string): void {
    this.numClasses = numClasses;
    this.addModule('global_pool', new SelectAdaptivePool2d({ poolType: globalPool }));
    if (!this.getChild('conv_head')) {
      this.addModule('conv_head', new Conv2d(this.numFeatures, this.headHiddenSize, 1, { bias: true }));
      this.addModule('act2', new Activation('relu'));
    }
    this.addModule('classifier', numClasses > 0 ? new Linear(this.headHiddenSize, numClasses) : new Identity());
  }

  private stem(x: tf.Tensor): tf.Tensor {
    return convBn(x, this.getChild('conv_stem')!, this.getChild('bn1')!, 'relu');
  }

  /** timm's `GhostNet.group_matcher`: layer groups for layer-wise lr decay. */
  override groupMatcher(coarse = false): GroupMatcher {
    return {
      stem: '^conv_stem|bn1',
      blocks: [
        [coarse ? String.raw`^blocks\.(\d+)` : String.raw`^blocks\.(\d+)\.(\d+)`, null],
        ['conv_head', [MATCH_PREV_GROUP]],
      ],
    };
  }

  protected computeFeatures(x: tf.Tensor): tf.Tensor {
    return this.blocks.forward(this.stem(x));
  }

  protected override computeHead(x: tf.Tensor, preLogits: boolean): tf.Tensor {
    const pool = this.getChild('global_pool') as SelectAdaptivePool2d;
    const pooled = !pool.isIdentity();
    // Pool keeping the spatial dims, so the conv head sees [B, 1, 1, C] as timm's does.
    if (pooled) x = tf.reshape(pool.forward(x), [x.shape[0]!, 1, 1, -1]);
    x = (this.getChild('conv_head') as Conv2d).forwardAct(x, 'relu');
    if (pooled) x = tf.reshape(x, [x.shape[0]!, -1]);
    return preLogits ? x : this.getChild('classifier')!.forward(x);
  }

  override resetClassifier(numClasses: number, globalPool = 'avg'): void {
    this.buildHead(numClasses, globalPool);
  }

  override getClassifier(): Module {
    return this.getChild('classifier')!;
  }

  protected override computeIntermediates(x: tf.Tensor, o: ForwardIntermediatesOptions): IntermediatesResult {
    const { indices, maxIndex } = this.takeIndices(this.stageEnds.length, o);
    const take = indices.map((i) => this.stageEnds[i]! + 1);
    const intermediates: tf.Tensor[] = [];
    // Level 0 is the stem conv's output before its norm (timm's feature_info); the trunk runs the fused stem.
    if (take.includes(0)) intermediates.push(this.getChild('conv_stem')!.forward(x));
    x = this.stem(x);
    const last = o.stopEarly ? this.stageEnds[maxIndex]! + 1 : this.blocks.length;
    for (let i = 0; i < last; i++) {
      x = this.blocks.at(i).forward(x);
      if (take.includes(i + 1)) intermediates.push(x);
    }
    return { final: x, intermediates };
  }

  override pruneIntermediateLayers(indices: OutIndices = 1, _pruneNorm = false, pruneHead = true): number[] {
    return this.pruneLevels(this.stageEnds.length, indices, pruneHead, (maxIndex) => {
      const lastBlock = this.stageEnds[maxIndex]!;
      for (let i = lastBlock + 1; i < this.blocks.length; i++) this.blocks.addModule(String(i), new Identity());
    });
  }
}
