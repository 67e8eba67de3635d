// timm's _efficientnet_builder.py: the block-string decoder, channel rounding / depth scaling, and the builder
// that turns decoded block args into stages of blocks with feature info.
import { type ActName, type FeatureInfoEntry, GlobalContext, makeDivisible, type Module, Sequential, roundHalfEven} from '@zoo/core';
import {
  CondConvResidual, ConvBnAct, DepthwiseSeparableConv, EdgeResidual, type EfficientBlock, InvertedResidual, MobileAttention,
  type SeLayerSpec,
  SqueezeExcite, UniversalInvertedResidual,
} from './blocks.js';
import type { AaLayer } from './layers.js';
import type { NormLayer } from '@zoo/core';

/** TF's BatchNorm epsilon, used by the `tf_*` ports. */
export const BN_EPS_TF_DEFAULT = 1e-3;

export type BlockType = 'ir' | 'ds' | 'dsa' | 'er' | 'cn' | 'uir' | 'mha' | 'mqa';
type KSize = number | number[];

/** One decoded block definition (timm's block_args dict). */
export interface BlockArgs {
  blockType: BlockType;
  outChs: number;
  stride: number;
  actLayer: ActName | null;
  dwKernelSize?: KSize;
  expKernelSize?: KSize;
  pwKernelSize?: KSize;
  kernelSize?: KSize;
  expRatio?: number;
  seRatio?: number;
  noskip?: boolean;
  skip?: boolean;
  pwAct?: boolean;
  s2d?: number;
  forceInChs?: number;
  numExperts?: number;
  dwKernelSizeStart?: number;
  dwKernelSizeMid?: number;
  dwKernelSizeEnd?: number;
  groupSize?: number;
  dilation?: number;
  numHeads?: number;
  keyDim?: number;
  valueDim?: number;
  kvStride?: number;
}

/** timm's `round_channels`: scale by the multiplier and make divisible (no multiplier → unchanged). */
export function roundChannels(channels: number, multiplier = 1.0, divisor = 8, channelMin?: number, roundLimit = 0.9): number {
  if (!multiplier) return channels;
  return makeDivisible(channels * multiplier, divisor, channelMin, roundLimit);
}

function parseKsize(ss: string): KSize {
  if (/^\d+$/.test(ss)) return Number.parseInt(ss, 10);
  return ss.split('.').map((k) => Number.parseInt(k, 10));
}

const ACT_CODES: Record<string, ActName> = { re: 'relu', r6: 'relu6', hs: 'hard_swish', sw: 'swish', mi: 'mish' };

/** timm's `_decode_block_str`: e.g. `ir_r2_k3_s2_e6_c24_se0.25` → block args and repeat count. */
export function decodeBlockStr(blockStr: string): [BlockArgs, number] {
  const [blockType, ...ops] = blockStr.split('_');
  const options: Record<string, string> = {};
  let act: ActName | null = null;
  let skip: boolean | null = null;
  for (const op of ops) {
    if (op === 'noskip') skip = false;
    else if (op === 'skip') skip = true;
    else if (op.startsWith('n')) {
      const code = ACT_CODES[op.slice(1)];
      if (code) act = code;
    } else {
      const m = /^(\D*)(\d.*)$/.exec(op);
      if (m) options[m[1]!] = m[2]!;
    }
  }
  const startK = options.a !== undefined ? parseKsize(options.a) : 1;
  const endK = options.p !== undefined ? parseKsize(options.p) : 1;
  const forceInChs = options.fc !== undefined ? Number.parseInt(options.fc, 10) : 0;
  const numRepeat = Number.parseInt(options.r!, 10);
  const ba: BlockArgs = {
    blockType: blockType as BlockType, outChs: Number.parseInt(options.c!, 10), stride: Number.parseInt(options.s!, 10), actLayer: act,
  };
  const seRatio = options.se !== undefined ? Number.parseFloat(options.se) : 0;
  switch (blockType) {
    case 'ir':
      Object.assign(ba, {
        dwKernelSize: parseKsize(options.k!), expKernelSize: startK, pwKernelSize: endK,
        expRatio: Number.parseFloat(options.e!), seRatio, noskip: skip === false, s2d: Number.parseInt(options.d ?? '0', 10) > 0 ? 1 : 0,
      });
      if (options.cc !== undefined) ba.numExperts = Number.parseInt(options.cc, 10);
      break;
    case 'ds':
    case 'dsa':
      Object.assign(ba, {
        dwKernelSize: parseKsize(options.k!), pwKernelSize: endK, seRatio, pwAct: blockType === 'dsa',
        noskip: blockType === 'dsa' || skip === false, s2d: Number.parseInt(options.d ?? '0', 10) > 0 ? 1 : 0,
      });
      break;
    case 'er':
      Object.assign(ba, {
        expKernelSize: parseKsize(options.k!), pwKernelSize: endK, expRatio: Number.parseFloat(options.e!), forceInChs,
        seRatio, noskip: skip === false,
      });
      break;
    case 'cn':
      Object.assign(ba, { kernelSize: Number.parseInt(options.k!, 10), skip: skip === true });
      break;
    case 'uir':
      Object.assign(ba, {
        dwKernelSizeStart: options.a !== undefined ? parseKsize(options.a) : 0,
        dwKernelSizeMid: parseKsize(options.k!),
        dwKernelSizeEnd: options.p !== undefined ? parseKsize(options.p) : 0,
        expRatio: Number.parseFloat(options.e!), seRatio, noskip: skip === false,
      });
      break;
    case 'mha':
    case 'mqa': {
      const kv = Number.parseInt(options.d!, 10);
      Object.assign(ba, {
        dwKernelSize: parseKsize(options.k!), numHeads: Number.parseInt(options.h!, 10), keyDim: kv, valueDim: kv,
        kvStride: Number.parseInt(options.v ?? '1', 10), noskip: skip === false,
      });
      break;
    }
    default:
      throw new Error(`Unknown block type (${blockType})`);
  }
  if (options.gs !== undefined) ba.groupSize = Number.parseInt(options.gs, 10);
  return [ba, numRepeat];
}

/** timm's `_scale_stage_depth`: scales a stage's repeats (ceil or round), distributing from the last definition. */
function scaleStageDepth(stackArgs: BlockArgs[], repeats: number[], depthMultiplier: number, depthTrunc: 'ceil' | 'round'): BlockArgs[] {
  let numRepeat = repeats.reduce((a, b) => a + b, 0);
  let scaled = depthTrunc === 'round'
    ? Math.max(1, roundHalfEven(numRepeat * depthMultiplier))
    : Math.ceil(numRepeat * depthMultiplier);
  const repeatsScaled: number[] = [];
  for (const r of [...repeats].reverse()) {
    const rs = Math.max(1, roundHalfEven((r / numRepeat) * scaled));
    repeatsScaled.push(rs);
    numRepeat -= r;
    scaled -= rs;
  }
  repeatsScaled.reverse();
  const out: BlockArgs[] = [];
  stackArgs.forEach((ba, i) => {
    for (let j = 0; j < repeatsScaled[i]!; j++) out.push({ ...ba });
  });
  return out;
}

export interface DecodeOptions {
  depthMultiplier?: number | number[];
  depthTrunc?: 'ceil' | 'round';
  expertsMultiplier?: number;
  fixFirstLast?: boolean;
  groupSize?: number | null;
}

/** timm's `decode_arch_def`: block strings per stage → block args per stage, depth-scaled. */
export function decodeArchDef(archDef: string[][], o: DecodeOptions = {}): BlockArgs[][] {
  const { depthTrunc = 'ceil', expertsMultiplier = 1, fixFirstLast = false, groupSize = null } = o;
  const dm = o.depthMultiplier ?? 1.0;
  const mults = Array.isArray(dm) ? dm : archDef.map(() => dm);
  if (mults.length !== archDef.length) throw new Error('depthMultiplier needs one value per stage');
  return archDef.map((blockStrings, stackIdx) => {
    const stackArgs: BlockArgs[] = [];
    const repeats: number[] = [];
    for (const s of blockStrings) {
      const [ba, rep] = decodeBlockStr(s);
      if ((ba.numExperts ?? 0) > 0 && expertsMultiplier > 1) ba.numExperts! *= expertsMultiplier;
      if (groupSize !== null && groupSize !== undefined && ba.groupSize === undefined) ba.groupSize = groupSize;
      stackArgs.push(ba);
      repeats.push(rep);
    }
    const m = fixFirstLast && (stackIdx === 0 || stackIdx === archDef.length - 1) ? 1.0 : mults[stackIdx]!;
    return scaleStageDepth(stackArgs, repeats, m, depthTrunc);
  });
}

/** An SE layer factory as the builder binds it: `(chs, {rdRatio, act}) → module`. */
export type SeLayer = SeLayerSpec | 'gc' | ((chs: number, o: { rdRatio: number; act: ActName }) => Module);

export interface BuilderOptions {
  outputStride?: number;
  padType?: '' | 'same' | 'valid';
  roundChsFn?: (c: number) => number;
  seFromExp?: boolean;
  actLayer: ActName;
  normLayer?: NormLayer;
  aaLayer?: AaLayer;
  seLayer?: SeLayer;
  dropPathRate?: number;
  layerScaleInitValue?: number | null;
  featureLocation?: '' | 'bottleneck' | 'expansion';
}

/** timm's EfficientNetBuilder. After `build`, `inChs` is the trunk's output width and `features` its feature info. */
export class EfficientNetBuilder {
  inChs = 0;
  readonly features: FeatureInfoEntry[] = [];
  private readonly o: Required<Omit<BuilderOptions, 'normLayer' | 'aaLayer' | 'seLayer' | 'layerScaleInitValue'>> & BuilderOptions;
  constructor(o: BuilderOptions) {
    this.o = {
      outputStride: 32, padType: '', roundChsFn: (c) => roundChannels(c), seFromExp: false, dropPathRate: 0,
      featureLocation: '', ...o,
    };
  }

  private makeSe(seRatio: number): ((chs: number, act: ActName) => Module) | null {
    const se = this.o.seLayer;
    if (!seRatio || !se) return null;
    if (typeof se === 'function') return (chs, act) => se(chs, { rdRatio: seRatio, act });
    if (se === 'gc') return (chs, act) => new GlobalContext(chs, { rdRatio: seRatio, act });
    return (chs, act) => new SqueezeExcite(chs, { rdRatio: seRatio, act, ...se });
  }

  private makeBlock(ba: BlockArgs, blockIdx: number, blockCount: number): EfficientBlock {
    const dropPathRate = (this.o.dropPathRate * blockIdx) / blockCount;
    const s2d = ba.s2d ?? 0;
    // Inside a space-to-depth region the block works at 4× the channels.
    const outChs = this.o.roundChsFn(ba.outChs) * (s2d > 0 ? 4 : 1);
    const forceInChs = ba.forceInChs ? this.o.roundChsFn(ba.forceInChs) : 0;
    let seRatio = ba.seRatio ?? 0;
    if (seRatio && !this.o.seFromExp) seRatio /= ba.expRatio ?? 1.0;
    if (seRatio && s2d === 1) seRatio /= 4;
    const common = {
      inChs: this.inChs, outChs, stride: ba.stride, dilation: ba.dilation ?? 1, padType: this.o.padType,
      actLayer: ba.actLayer ?? this.o.actLayer, normLayer: this.o.normLayer, aaLayer: this.o.aaLayer,
      seLayer: this.makeSe(seRatio), dropPathRate, groupSize: ba.groupSize,
    };
    let block: EfficientBlock;
    switch (ba.blockType) {
      case 'ir':
        if (ba.numExperts) {
          block = new CondConvResidual({
            ...common, dwKernelSize: ba.dwKernelSize!, expKernelSize: ba.expKernelSize!, pwKernelSize: ba.pwKernelSize!,
            expRatio: ba.expRatio!, noskip: !!ba.noskip, numExperts: ba.numExperts,
          });
          break;
        }
        block = new InvertedResidual({
          ...common, dwKernelSize: ba.dwKernelSize!, expKernelSize: ba.expKernelSize!, pwKernelSize: ba.pwKernelSize!,
          expRatio: ba.expRatio!, noskip: !!ba.noskip, s2d: ba.s2d,
        });
        break;
      case 'ds':
      case 'dsa':
        block = new DepthwiseSeparableConv({
          ...common, dwKernelSize: ba.dwKernelSize!, pwKernelSize: ba.pwKernelSize!, pwAct: !!ba.pwAct, noskip: !!ba.noskip, s2d: ba.s2d,
        });
        break;
      case 'er':
        block = new EdgeResidual({
          ...common, expKernelSize: ba.expKernelSize!, pwKernelSize: ba.pwKernelSize!, expRatio: ba.expRatio!, forceInChs,
          noskip: !!ba.noskip,
        });
        break;
      case 'cn':
        block = new ConvBnAct({ ...common, kernelSize: ba.kernelSize!, skip: !!ba.skip });
        break;
      case 'uir':
        block = new UniversalInvertedResidual({
          ...common, dwKernelSizeStart: ba.dwKernelSizeStart ?? 0, dwKernelSizeMid: ba.dwKernelSizeMid ?? 3,
          dwKernelSizeEnd: ba.dwKernelSizeEnd ?? 0, expRatio: ba.expRatio!, noskip: !!ba.noskip,
          layerScaleInitValue: this.o.layerScaleInitValue ?? null,
        });
        break;
      case 'mqa':
        block = new MobileAttention({
          ...common, dwKernelSize: ba.dwKernelSize as number, numHeads: ba.numHeads!, keyDim: ba.keyDim!, valueDim: ba.valueDim!,
          kvStride: ba.kvStride ?? 1, noskip: !!ba.noskip, layerScaleInitValue: this.o.layerScaleInitValue ?? null,
        });
        break;
      default:
        throw new Error(`Block type '${ba.blockType}' is not supported`);
    }
    this.inChs = outChs;
    return block;
  }

  /** Builds the stages (each a Sequential of blocks) from the stem width and the decoded args. */
  build(inChs: number, modelBlockArgs: BlockArgs[][]): Sequential[] {
    this.inChs = inChs;
    const total = modelBlockArgs.reduce((a, s) => a + s.length, 0);
    let totalIdx = 0;
    let currentStride = 2;
    let currentDilation = 1;
    const stages: Sequential[] = [];
    let space2depth = 0;
    if (modelBlockArgs[0]![0]!.stride > 1) {
      this.features.push({ module: 'bn1', numChs: inChs, stage: 0, reduction: currentStride });
    }
    modelBlockArgs.forEach((stackArgs, stackIdx) => {
      const blocks: Module[] = [];
      stackArgs.forEach((orig, blockIdx) => {
        const ba: BlockArgs = { ...orig };
        const lastBlock = blockIdx + 1 === stackArgs.length;
        if (ba.stride !== 1 && ba.stride !== 2) throw new Error(`stride must be 1 or 2, got ${ba.stride}`);
        if (blockIdx >= 1) ba.stride = 1;
        // Space-to-depth (timm's WIP 's2d'): the 'd' block starts it, the next stride-2 block ends it.
        if (!space2depth && ba.s2d) {
          delete ba.s2d;
          if (ba.stride !== 1) throw new Error('a space-to-depth block must have stride 1');
          space2depth = 1;
        }
        if (space2depth > 0) {
          if (space2depth === 2 && ba.stride === 2) {
            ba.stride = 1;
            ba.expRatio = (ba.expRatio ?? 1) / 4;
            space2depth = 0;
          } else ba.s2d = space2depth;
        }
        let extract = false;
        if (lastBlock) {
          const next = stackIdx + 1;
          extract = next >= modelBlockArgs.length || modelBlockArgs[next]![0]!.stride > 1;
        }
        let nextDilation = currentDilation;
        if (ba.stride > 1) {
          const nextStride = currentStride * ba.stride;
          if (nextStride > this.o.outputStride) {
            nextDilation = currentDilation * ba.stride;
            ba.stride = 1;
          } else currentStride = nextStride;
        }
        ba.dilation = currentDilation;
        currentDilation = nextDilation;
        const block = this.makeBlock(ba, totalIdx, total);
        blocks.push(block);
        if (space2depth === 1) space2depth = 2;
        if (extract) {
          const fi = block.featureInfo(this.o.featureLocation);
          const module = fi.module ? `blocks.${stackIdx}.${blockIdx}.${fi.module}` : `blocks.${stackIdx}`;
          const entry: FeatureInfoEntry = { module, numChs: fi.numChs, stage: stackIdx + 1, reduction: currentStride };
          if (fi.hookType) entry.hookType = fi.hookType;
          this.features.push(entry);
        }
        totalIdx++;
      });
      stages.push(new Sequential(blocks));
    });
    return stages;
  }
}

