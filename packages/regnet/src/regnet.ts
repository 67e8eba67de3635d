import * as tf from '@tensorflow/tfjs-core';
import {Activation, AvgPool2d, AvgPool2dSame, BatchNormAct2d, ClassifierHead, Conv2d, ConvNormAct, convNormAct, type ForwardIntermediatesOptions,
  type GroupMatcher, 
  GroupNormAct, Identity, type IntermediatesResult, Module, makeDivisible, type OutIndices, resolveAct, roundHalfEven, SEModule,
  Sequential, type StateDict, VisionModel,
} from '@zoo/core';

/** timm's `partial(GroupNormAct, group_size=…)`: GroupNorm with `groupSize` channels per group, then the activation. */
export interface GroupNormLayer {
  type: 'groupnorm';
  groupSize: number;
}

/** timm's `RegNetCfg`: the RegNet design-space parameters of one architecture. */
export interface RegNetCfg {
  depth?: number;
  w0?: number;
  wa?: number;
  wm?: number;
  groupSize?: number;
  bottleRatio?: number;
  seRatio?: number;
  /** torchvision's rounding of bottleneck widths to the group width (timm's `make_divisible` with this ratio). */
  groupMinRatio?: number;
  stemWidth?: number;
  /** Shortcut of a block that changes shape: 'conv1x1', 'avg' (pool then 1×1 conv), or null (no shortcut). */
  downsample?: 'conv1x1' | 'avg' | '' | null;
  linearOut?: boolean;
  /** Pre-activation blocks (the RegNet-V variants). */
  preact?: boolean;
  /** Width of a final 1×1 ConvNormAct before the head (0: none). */
  numFeatures?: number;
  actLayer?: string;
  normLayer?: 'batchnorm' | GroupNormLayer;
}

export interface RegNetArgs {
  cfg: RegNetCfg;
  inChans?: number;
  numClasses?: number;
  outputStride?: number;
  globalPool?: string;
  dropRate?: number;
  dropPathRate?: number;
  /** timm's init option (zero the last BN of each block); has no effect on loaded weights. */
  zeroInitLast?: boolean;
}

const CFG_DEFAULTS: Required<RegNetCfg> = {
  depth: 21, w0: 80, wa: 42.63, wm: 2.66, groupSize: 24, bottleRatio: 1, seRatio: 0, groupMinRatio: 0, stemWidth: 32,
  downsample: 'conv1x1', linearOut: false, preact: false, numFeatures: 0, actLayer: 'relu', normLayer: 'batchnorm',
};

const f32 = Math.fround;
/**
 * timm's `generate_regnet`: per-block widths from the linear rule `w0 + wa·i`, snapped to powers of `wm` times `w0`
 * and quantised to `quant`, computed in float32 as timm does with torch tensors.
 */
export function generateRegnet(wa: number, w0: number, wm: number, depth: number, quant = 8): number[] {
  if (!(wa >= 0 && w0 > 0 && wm > 1 && w0 % quant === 0)) throw new Error(`RegNet: invalid width parameters wa=${wa}, w0=${w0}, wm=${wm} (need wa >= 0, w0 > 0 divisible by ${quant}, wm > 1)`);
  const logWm = f32(Math.log(wm));
  const widths: number[] = [];
  for (let i = 0; i < depth; i++) {
    const cont = f32(f32(i * f32(wa)) + w0);
    const exp = roundHalfEven(f32(f32(Math.log(f32(cont / w0))) / logWm));
    widths.push(roundHalfEven(f32(f32(w0 * f32(f32(wm) ** exp)) / quant)) * quant);
  }
  return widths;
}

/** timm's `adjust_widths_groups_comp`: stage widths made compatible with their group widths. */
export function adjustWidthsGroups(widths: number[], bottleRatios: number[], groups: number[], minRatio = 0): [number[], number[]] {
  let bot = widths.map((w, i) => Math.trunc(w * bottleRatios[i]!));
  const gs = groups.map((g, i) => Math.min(g, bot[i]!));
  // timm passes the ratio as make_divisible's min_value (torchvision's rounding); otherwise round to the group.
  bot = minRatio ? bot.map((b, i) => makeDivisible(b, gs[i]!, minRatio)) : bot.map((b, i) => Math.trunc(roundHalfEven(b / gs[i]!) * gs[i]!));
  return [bot.map((b, i) => Math.trunc(b / bottleRatios[i]!)), gs];
}

/** A norm + activation over `chs` channels as `normLayer` says (BatchNormAct2d or GroupNormAct). */
function normAct(normLayer: RegNetCfg['normLayer'], chs: number, act: string | null, applyAct = true): BatchNormAct2d | GroupNormAct {
  if (normLayer === 'batchnorm') return new BatchNormAct2d(chs, { act, applyAct });
  if (normLayer && typeof normLayer === 'object' && normLayer.type === 'groupnorm') {
    return new GroupNormAct(Math.floor(chs / normLayer.groupSize), chs, { act, applyAct });
  }
  throw new Error(`RegNet: normLayer must be 'batchnorm' or { type: 'groupnorm', groupSize }, got ${JSON.stringify(normLayer)}`);
}

/** timm's ConvNormAct with any norm: `conv` then `bn` (BatchNorm folded into the conv; GroupNorm run after it). */
class ConvNormActAny extends Module {
  readonly conv: Conv2d;
  readonly bn: BatchNormAct2d | GroupNormAct;
  constructor(inChs: number, outChs: number, kernel: number, o: { stride?: number; dilation?: number; groups?: number; act: string; applyAct?: boolean; normLayer: RegNetCfg['normLayer'] }) {
    super();
    this.conv = this.addModule('conv', new Conv2d(inChs, outChs, kernel, { stride: o.stride ?? 1, dilation: o.dilation ?? 1, groups: o.groups ?? 1 }));
    this.bn = this.addModule('bn', normAct(o.normLayer, outChs, o.act, o.applyAct ?? true));
  }
  override forward(x: tf.Tensor): tf.Tensor {
    return convNormAct(x, this.conv, this.bn);
  }
}

type ConvOpts = { stride?: number; dilation?: number; groups?: number; act: string; applyAct?: boolean; normLayer: RegNetCfg['normLayer'] };
/** core's ConvNormAct for BatchNorm (its fused path), the GroupNorm variant otherwise; keys conv.*, bn.* either way. */
function cna(inChs: number, outChs: number, kernel: number, o: ConvOpts): Module {
  if (o.normLayer === 'batchnorm') {
    return new ConvNormAct(inChs, outChs, kernel, { stride: o.stride, dilation: o.dilation, groups: o.groups, actLayer: o.act, applyAct: o.applyAct ?? true });
  }
  return new ConvNormActAny(inChs, outChs, kernel, o);
}

/**
 * timm's `create_shortcut`: null (no shortcut: `downsample` None), Identity, a 1×1 conv(+BN), or an average pool
 * then a 1×1 conv(+BN) ('avg'). Pre-activation blocks get plain convs (their input is already normalised).
 */
function createShortcut(type: RegNetCfg['downsample'], inChs: number, outChs: number, stride: number, dilation: [number, number], normLayer: RegNetCfg['normLayer'], preact: boolean): Module | null {
  if (inChs === outChs && stride === 1 && dilation[0] === dilation[1]) return new Identity();
  if (!type) return null;
  const conv = (s: number) => (preact ? new Conv2d(inChs, outChs, 1, { stride: s }) : cna(inChs, outChs, 1, { stride: s, act: 'identity', applyAct: false, normLayer }));
  if (type === 'avg') {
    // timm's downsample_avg: a strided 2×2 mean, or in a dilated stage a stride-1 2×2 mean over TF-SAME zero padding.
    let pool: Module = new Identity();
    if (dilation[0] > 1) pool = new AvgPool2dSame(2, { stride: 1, ceilMode: true });
    else if (stride > 1) pool = new AvgPool2d(2, { stride, ceilMode: true, countIncludePad: false });
    return new Sequential([pool, conv(1)]);
  }
  if (type !== 'conv1x1') throw new Error(`RegNet: downsample must be 'conv1x1', 'avg' or null, got '${type}'`);
  return conv(stride);
}

interface BlockArgs {
  stride: number;
  dilation: [number, number];
  bottleRatio: number;
  groupSize: number;
  seRatio: number;
  downsample: RegNetCfg['downsample'];
  linearOut: boolean;
  act: string;
  normLayer: RegNetCfg['normLayer'];
}

/** Shortcut sum of a block (`drop_path` is the identity at inference); no shortcut when `downsample` is null. */
function addShortcut(x: tf.Tensor, shortcut: Module | null, input: tf.Tensor): tf.Tensor {
  return shortcut ? tf.add(x, shortcut.forward(input)) : x;
}

/** timm's RegNet Bottleneck: 1×1 CNA → grouped 3×3 CNA → SE → 1×1 CN, plus the shortcut, then act (unless linear out). */
export class RegNetBottleneck extends Module {
  readonly conv1: Module;
  readonly conv2: Module;
  readonly se: Module;
  readonly conv3: Module;
  readonly act3: Module;
  readonly downsample: Module | null;
  constructor(inChs: number, outChs: number, a: BlockArgs) {
    super();
    const bottleneck = roundHalfEven(outChs * a.bottleRatio);
    const groups = Math.floor(bottleneck / a.groupSize);
    const o = { act: a.act, normLayer: a.normLayer };
    this.conv1 = this.addModule('conv1', cna(inChs, bottleneck, 1, o));
    this.conv2 = this.addModule('conv2', cna(bottleneck, bottleneck, 3, { ...o, stride: a.stride, dilation: a.dilation[0], groups }));
    this.se = this.addModule('se', a.seRatio ? new SEModule(bottleneck, { rdChannels: roundHalfEven(inChs * a.seRatio), act: a.act }) : new Identity());
    this.conv3 = this.addModule('conv3', cna(bottleneck, outChs, 1, { ...o, applyAct: false }));
    this.act3 = this.addModule('act3', a.linearOut ? new Identity() : new Activation(a.act));
    const shortcut = createShortcut(a.downsample, inChs, outChs, a.stride, a.dilation, a.normLayer, false);
    this.downsample = shortcut ? this.addModule('downsample', shortcut) : null;
  }
  override forward(x: tf.Tensor): tf.Tensor {
    const y = this.conv3.forward(this.se.forward(this.conv2.forward(this.conv1.forward(x))));
    return this.act3.forward(addShortcut(y, this.downsample, x));
  }
}

/** timm's PreBottleneck (RegNet-V): norm-act before each conv; the shortcut takes the first norm's output. */
export class PreBottleneck extends Module {
  readonly norm1: Module;
  readonly conv1: Conv2d;
  readonly norm2: Module;
  readonly conv2: Conv2d;
  readonly se: Module;
  readonly norm3: Module;
  readonly conv3: Conv2d;
  readonly downsample: Module | null;
  constructor(inChs: number, outChs: number, a: BlockArgs) {
    super();
    const bottleneck = roundHalfEven(outChs * a.bottleRatio);
    const groups = Math.floor(bottleneck / a.groupSize);
    this.norm1 = this.addModule('norm1', normAct(a.normLayer, inChs, a.act));
    this.conv1 = this.addModule('conv1', new Conv2d(inChs, bottleneck, 1));
    this.norm2 = this.addModule('norm2', normAct(a.normLayer, bottleneck, a.act));
    this.conv2 = this.addModule('conv2', new Conv2d(bottleneck, bottleneck, 3, { stride: a.stride, dilation: a.dilation[0], groups }));
    this.se = this.addModule('se', a.seRatio ? new SEModule(bottleneck, { rdChannels: roundHalfEven(inChs * a.seRatio), act: a.act }) : new Identity());
    this.norm3 = this.addModule('norm3', normAct(a.normLayer, bottleneck, a.act));
    this.conv3 = this.addModule('conv3', new Conv2d(bottleneck, outChs, 1));
    const shortcut = createShortcut(a.downsample, inChs, outChs, a.stride, a.dilation, a.normLayer, true);
    this.downsample = shortcut ? this.addModule('downsample', shortcut) : null;
  }
  override forward(x: tf.Tensor): tf.Tensor {
    const n1 = this.norm1.forward(x);
    let y = convNormAct(n1, this.conv1, this.norm2);
    y = this.se.forward(this.conv2.forward(y));
    y = this.conv3.forward(this.norm3.forward(y));
    return addShortcut(y, this.downsample, n1);
  }
}

/** timm's RegStage: blocks b1 … bN, the first one striding (and changing width). */
export class RegStage extends Sequential {
  constructor(depth: number, inChs: number, outChs: number, dilation: number, preact: boolean, a: Omit<BlockArgs, 'dilation'>) {
    super();
    let firstDilation = dilation === 1 || dilation === 2 ? 1 : 2;
    for (let i = 0; i < depth; i++) {
      const args: BlockArgs = { ...a, stride: i === 0 ? a.stride : 1, dilation: [firstDilation, dilation] };
      const block = preact ? new PreBottleneck(i === 0 ? inChs : outChs, outChs, args) : new RegNetBottleneck(i === 0 ? inChs : outChs, outChs, args);
      this.addModule(`b${i + 1}`, block);
      firstDilation = dilation;
    }
  }
}

const STAGES = ['s1', 's2', 's3', 's4'] as const;
const ARG_NAMES = ['cfg', 'inChans', 'numClasses', 'outputStride', 'globalPool', 'dropRate', 'dropPathRate', 'zeroInitLast'] as const;

/**
 * timm's RegNet (X, Y, Z and the pre-activation V variants) on NHWC input. Children as timm's: `stem`, `s1` … `s4`,
 * `final_conv`, `head` (ClassifierHead). Stage widths, depths and group widths come from the RegNet generator
 * (`generateRegnet`, `adjustWidthsGroups`) exactly as timm computes them.
 */
export class RegNet extends VisionModel {
  static readonly argNames: readonly (keyof RegNetArgs)[] = ARG_NAMES;
  numClasses: number;
  numFeatures: number;
  headHiddenSize: number;
  readonly inChans: number;
  readonly cfg: Required<RegNetCfg>;

  constructor(args: RegNetArgs) {
    super();
    const { inChans = 3, numClasses = 1000, outputStride = 32, globalPool = 'avg', dropRate = 0 } = args;
    if (![8, 16, 32].includes(outputStride)) throw new Error(`RegNet: outputStride must be 8, 16 or 32, got ${outputStride}`);
    const cfg: Required<RegNetCfg> = { ...CFG_DEFAULTS, ...args.cfg };
    this.cfg = cfg;
    this.numClasses = numClasses;
    this.inChans = inChans;
    const act = resolveAct(cfg.actLayer);
    this.addModule('stem', cfg.preact
      ? new Conv2d(inChans, cfg.stemWidth, 3, { stride: 2 })
      : cna(inChans, cfg.stemWidth, 3, { stride: 2, act, normLayer: cfg.normLayer }));
    this.featureInfo = [{ numChs: cfg.stemWidth, reduction: 2, module: 'stem' }];

    // Per-block widths → stages (unique widths with their counts), then strides / dilations for the output stride.
    const widths = generateRegnet(cfg.wa, cfg.w0, cfg.wm, cfg.depth);
    const stageWidths = [...new Set(widths)].sort((a, b) => a - b);
    const stageDepths = stageWidths.map((w) => widths.filter((v) => v === w).length);
    if (stageWidths.length !== 4) throw new Error(`RegNet: the width parameters give ${stageWidths.length} stages, not 4`);
    const [outWidths, groupSizes] = adjustWidthsGroups(stageWidths, stageWidths.map(() => cfg.bottleRatio), stageWidths.map(() => cfg.groupSize), cfg.groupMinRatio);
    let prev = cfg.stemWidth;
    let netStride = 2;
    let dilation = 1;
    STAGES.forEach((name, i) => {
      let stride = 2;
      if (netStride >= outputStride) {
        dilation *= 2;
        stride = 1;
      } else netStride *= 2;
      const out = outWidths[i]!;
      this.addModule(name, new RegStage(stageDepths[i]!, prev, out, dilation, cfg.preact, {
        stride, bottleRatio: cfg.bottleRatio, groupSize: groupSizes[i]!, seRatio: cfg.seRatio, downsample: cfg.downsample,
        linearOut: cfg.linearOut, act, normLayer: cfg.normLayer,
      }));
      prev = out;
      this.featureInfo.push({ numChs: out, reduction: netStride, module: name });
    });
    if (cfg.numFeatures) {
      this.addModule('final_conv', cna(prev, cfg.numFeatures, 1, { act, normLayer: cfg.normLayer }));
      this.numFeatures = cfg.numFeatures;
    } else {
      this.addModule('final_conv', cfg.linearOut || cfg.preact ? new Activation(act) : new Identity());
      this.numFeatures = prev;
    }
    this.headHiddenSize = this.numFeatures;
    this.setClassifierHead('head', new ClassifierHead(this.numFeatures, numClasses, { poolType: globalPool, dropRate }), numClasses);
  }

  private level(i: number): Module {
    return this.getChild(i === 0 ? 'stem' : STAGES[i - 1]!)!;
  }

  /** timm's `RegNet.group_matcher`: layer groups for layer-wise lr decay. */
  override groupMatcher(coarse = false): GroupMatcher {
    return { stem: '^stem', blocks: coarse ? String.raw`^s(\d+)` : String.raw`^s(\d+)\.b(\d+)` };
  }

  protected computeFeatures(x: tf.Tensor): tf.Tensor {
    for (let i = 0; i < 5; i++) x = this.level(i).forward(x);
    return this.getChild('final_conv')!.forward(x);
  }

  /** timm's `forward_intermediates`: stem and the four stages; `final_conv` only after the last stage. */
  protected override computeIntermediates(x: tf.Tensor, o: ForwardIntermediatesOptions): IntermediatesResult {
    const { indices, stop } = this.takeIndices(5, o);
    const intermediates: tf.Tensor[] = [];
    for (let i = 0; i < stop; i++) {
      x = this.level(i).forward(x);
      if (indices.includes(i)) intermediates.push(x);
    }
    if (stop === 5) x = this.getChild('final_conv')!.forward(x);
    return { final: x, intermediates };
  }

  override pruneIntermediateLayers(indices: OutIndices = 1, _pruneNorm = false, pruneHead = true): number[] {
    return this.pruneLevels(5, indices, pruneHead, (maxIndex) => {
      for (let i = maxIndex + 1; i <= 4; i++) this.addModule(STAGES[i - 1]!, new Identity());
      if (maxIndex < 4) this.addModule('final_conv', new Identity());
    });
  }
}

// pycls / torchvision block-part names → timm's (timm's `_filter_fn`, in its order).
const REPLACES: [string, string][] = [
  ['f.a.0', 'conv1.conv'], ['f.a.1', 'conv1.bn'], ['f.b.0', 'conv2.conv'], ['f.b.1', 'conv2.bn'],
  ['f.final_bn', 'conv3.bn'], ['f.se.excitation.0', 'se.fc1'], ['f.se.excitation.2', 'se.fc2'], ['f.se', 'se'],
  ['f.c.0', 'conv3.conv'], ['f.c.1', 'conv3.bn'], ['f.c', 'conv3.conv'], ['proj.0', 'downsample.conv'],
  ['proj.1', 'downsample.bn'], ['proj', 'downsample.conv'],
];

/**
 * timm's `_filter_fn` for torchvision's RegNet checkpoints (`stem.0`, `trunk_output.blockN.blockN-M.…`, `fc`):
 * renamed to timm's keys. timm's own checkpoints pass unchanged. (Classy-vision / SEER checkpoints are nested
 * dicts that a flat state dict cannot hold.)
 */
export function checkpointFilterFn(sd: StateDict): StateDict {
  if (!('stem.0.weight' in sd)) return sd;
  const out: StateDict = {};
  for (const [key, v] of Object.entries(sd)) {
    let k = key.replace('stem.0', 'stem.conv').replace('stem.1', 'stem.bn');
    k = k.replace(/trunk_output\.block(\d)\.block(\d+)-(\d+)/, (_, s: string, _b: string, i: string) => `s${Number(s)}.b${Number(i) + 1}`);
    for (const [s, r] of REPLACES) k = k.split(s).join(r);
    out[k.split('fc.').join('head.fc.')] = v;
  }
  return out;
}
