import * as tf from '@tensorflow/tfjs-core';
import {Activation, ClassifierHead, ConvNormAct, type ForwardIntermediatesOptions, 
  type GroupMatcher, type IntermediatesResult, 
  Module, makeDivisible,type OutIndices, resolveAct, roundHalfEven, SEModule, Sequential, sliceTensor, VisionModel,
} from '@zoo/core';

export interface RexNetArgs {
  inChans?: number;
  numClasses?: number;
  globalPool?: string;
  outputStride?: number;
  initialChs?: number;
  finalChs?: number;
  widthMult?: number;
  depthMult?: number;
  seRatio?: number;
  /** Channel divisor (the rounded-channel `rexnetr_*` variants use 8 or 16). */
  chDiv?: number;
  actLayer?: string;
  dwActLayer?: string;
  dropRate?: number;
  dropPathRate?: number;
}

/** One block of timm's `_block_cfg`: output channels, expansion ratio, stride, SE ratio. */
export type RexBlockCfg = [outChs: number, expRatio: number, stride: number, seRatio: number];

/**
 * timm's `_block_cfg`: 16 blocks (at depth 1) in six stages whose widths grow linearly from `initialChs` by
 * `finalChs` in total, each made divisible by `chDiv`; SE from the third stage on.
 */
export function rexBlockCfg(widthMult = 1, depthMult = 1, initialChs = 16, finalChs = 180, seRatio = 0, chDiv = 1): RexBlockCfg[] {
  const layers = [1, 2, 2, 3, 3, 5].map((n) => Math.ceil(n * depthMult));
  const strides = [1, 2, 2, 2, 1, 2].flatMap((s, i) => [s, ...new Array<number>(layers[i]! - 1).fill(1)]);
  const total = layers.reduce((a, b) => a + b, 0);
  const expRatios = layers.flatMap((n, i) => new Array<number>(n).fill(i === 0 ? 1 : 6));
  const seRatios = layers.flatMap((n, i) => new Array<number>(n).fill(i < 2 ? 0 : seRatio));
  let baseChs = widthMult < 1 ? initialChs / widthMult : initialChs;
  const out: RexBlockCfg[] = [];
  for (let i = 0; i < total; i++) {
    out.push([makeDivisible(roundHalfEven(baseChs * widthMult), chDiv), expRatios[i]!, strides[i]!, seRatios[i]!]);
    baseChs += finalChs / total;
  }
  return out;
}

/**
 * timm's ReXNet LinearBottleneck: [1×1 expand CNA] → depthwise 3×3 CN → [SE with BN] → act → 1×1 CN; when the
 * shape allows, the input is added to the first `inChs` output channels (the rest pass as they are).
 */
export class LinearBottleneck extends Module {
  readonly useShortcut: boolean;
  readonly inChannels: number;
  readonly outChannels: number;
  readonly convExp: ConvNormAct | null;
  readonly convDw: ConvNormAct;
  readonly se: SEModule | null;
  readonly actDw: Activation;
  readonly convPwl: ConvNormAct;
  constructor(inChs: number, outChs: number, stride: number, dilation: [number, number], expRatio: number, seRatio: number, chDiv: number, act: string, dwAct: string) {
    super();
    this.useShortcut = stride === 1 && dilation[0] === dilation[1] && inChs <= outChs;
    this.inChannels = inChs;
    this.outChannels = outChs;
    let dwChs = inChs;
    this.convExp = null;
    if (expRatio !== 1) {
      dwChs = makeDivisible(roundHalfEven(inChs * expRatio), chDiv);
      this.convExp = this.addModule('conv_exp', new ConvNormAct(inChs, dwChs, 1, { actLayer: act }));
    }
    this.convDw = this.addModule('conv_dw', new ConvNormAct(dwChs, dwChs, 3, { stride, dilation: dilation[0], groups: dwChs, applyAct: false }));
    this.se = seRatio > 0 ? this.addModule('se', new SEModule(dwChs, { rdChannels: makeDivisible(Math.trunc(dwChs * seRatio), chDiv), norm: true })) : null;
    this.actDw = this.addModule('act_dw', new Activation(dwAct));
    this.convPwl = this.addModule('conv_pwl', new ConvNormAct(dwChs, outChs, 1, { applyAct: false }));
  }
  override forward(x: tf.Tensor): tf.Tensor {
    let y = this.convExp ? this.convExp.forward(x) : x;
    y = this.convDw.forward(y);
    if (this.se) y = this.se.forward(y);
    y = this.convPwl.forward(this.actDw.forward(y));
    if (!this.useShortcut) return y;
    if (this.inChannels === this.outChannels) return tf.add(y, x);
    const rest = this.outChannels - this.inChannels;
    return tf.concat([tf.add(sliceTensor(y, [0, 0, 0, 0], [-1, -1, -1, this.inChannels]), x), sliceTensor(y, [0, 0, 0, this.inChannels], [-1, -1, -1, rest])], 3);
  }
}

const ARG_NAMES = [
  'inChans', 'numClasses', 'globalPool', 'outputStride', 'initialChs', 'finalChs', 'widthMult', 'depthMult', 'seRatio',
  'chDiv', 'actLayer', 'dwActLayer', 'dropRate', 'dropPathRate',
] as const;

/**
 * timm's ReXNet (and the rounded-channel ReXNet-R) on NHWC input: `stem` (ConvNormAct), `features` (the linear
 * bottlenecks, then a 1×1 ConvNormAct to 1280·width) and `head` (ClassifierHead). Feature levels are the blocks
 * before each stride.
 */
export class RexNet extends VisionModel {
  static readonly argNames: readonly (keyof RexNetArgs)[] = ARG_NAMES;
  numClasses: number;
  numFeatures: number;
  headHiddenSize: number;
  readonly inChans: number;
  features: Sequential;

  constructor(args: RexNetArgs = {}) {
    super();
    const {
      inChans = 3, numClasses = 1000, globalPool = 'avg', outputStride = 32, initialChs = 16, finalChs = 180,
      widthMult = 1, depthMult = 1, seRatio = 1 / 12, chDiv = 1, actLayer = 'swish', dwActLayer = 'relu6', dropRate = 0.2,
    } = args;
    if (![8, 16, 32].includes(outputStride)) throw new Error(`RexNet: outputStride must be 8, 16 or 32, got ${outputStride}`);
    this.numClasses = numClasses;
    this.inChans = inChans;
    const act = resolveAct(actLayer);
    const dwAct = resolveAct(dwActLayer);
    const stemChs = makeDivisible(roundHalfEven((widthMult < 1 ? 32 / widthMult : 32) * widthMult), chDiv);
    this.addModule('stem', new ConvNormAct(inChans, stemChs, 3, { stride: 2, actLayer: act }));

    const features = new Sequential();
    let prev = stemChs;
    let currStride = 2;
    let dilation = 1;
    rexBlockCfg(widthMult, depthMult, initialChs, finalChs, seRatio, chDiv).forEach(([chs, expRatio, s, se], i) => {
      let stride = s;
      let nextDilation = dilation;
      if (stride > 1) {
        this.featureInfo.push({ numChs: prev, reduction: currStride, module: i === 0 ? 'stem' : `features.${i - 1}` });
        if (currStride >= outputStride) {
          nextDilation = dilation * stride;
          stride = 1;
        }
      }
      features.append(new LinearBottleneck(prev, chs, stride, [dilation, nextDilation], expRatio, se, chDiv, act, dwAct));
      currStride *= stride;
      dilation = nextDilation;
      prev = chs;
    });
    this.featureInfo.push({ numChs: prev, reduction: currStride, module: `features.${features.length - 1}` });
    const penChs = makeDivisible(1280 * widthMult, chDiv);
    features.append(new ConvNormAct(prev, penChs, 1, { actLayer: act }));
    this.features = this.addModule('features', features);
    this.numFeatures = this.headHiddenSize = penChs;
    this.setClassifierHead('head', new ClassifierHead(penChs, numClasses, { poolType: globalPool, dropRate }), numClasses);
  }

  /** timm's `RexNet.group_matcher`: layer groups for layer-wise lr decay. */
  override groupMatcher(_coarse = false): GroupMatcher {
    return { stem: '^stem', blocks: String.raw`^features\.(\d+)` };
  }

  protected computeFeatures(x: tf.Tensor): tf.Tensor {
    return this.features.forward(this.getChild('stem')!.forward(x));
  }

  /** The `features` index of each feature level (timm's `stage_ends`). */
  private stageEnds(): number[] {
    return this.featureInfo.map((f) => Number(f.module.split('.').pop()));
  }

  /** timm's `forward_intermediates`: the feature levels are blocks of `features`; the final map is after all of them. */
  protected override computeIntermediates(x: tf.Tensor, o: ForwardIntermediatesOptions): IntermediatesResult {
    const ends = this.stageEnds();
    const { indices, maxIndex } = this.takeIndices(ends.length, o);
    const take = indices.map((i) => ends[i]!);
    const stop = o.stopEarly ? ends[maxIndex]! + 1 : this.features.length;
    x = this.getChild('stem')!.forward(x);
    const intermediates: tf.Tensor[] = [];
    for (let i = 0; i < stop; i++) {
      x = this.features.at(i).forward(x);
      if (take.includes(i)) intermediates.push(x);
    }
    return { final: x, intermediates };
  }

  /** timm's `prune_intermediate_layers`: `features` truncated after the last level taken (the final 1×1 conv goes too). */
  override pruneIntermediateLayers(indices: OutIndices = 1, _pruneNorm = false, pruneHead = true): number[] {
    const ends = this.stageEnds();
    return this.pruneLevels(ends.length, indices, pruneHead, (maxIndex) => {
      const keep = this.features.namedChildren().slice(0, ends[maxIndex]! + 1).map(([, m]) => m);
      this.features = this.addModule('features', new Sequential(keep));
    });
  }
}
