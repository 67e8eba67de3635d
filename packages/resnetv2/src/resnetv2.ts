import * as tf from '@tensorflow/tfjs-core';
import {
  Activation, AvgPool2d, BatchNormAct2d, ClassifierHead, type Conv2d, convNormAct, createConv2d, DropPath,
  EvoNorm2dS0, FilterResponseNormAct2d, FilterResponseNormTlu2d, type ForwardIntermediatesOptions,
  FusedSequential, GroupNormAct, Identity, type IntermediatesResult, makeDivisible, MaxPool2d, MaxPool2dSame, Module,
  type OutIndices, resolveAct, Sequential, StdConv2d, StdConv2dSame, VisionModel,
} from '@zoo/core';

/** timm's conv layers for ResNet-V2: `create_conv2d` (plain), `StdConv2d` (BiT) and `StdConv2dSame` (ViT hybrids). */
export type ResNetV2ConvName = 'conv2d' | 'stdconv' | 'stdconv_same';
/** A conv layer by name, or with its weight-standardisation eps (timm's `partial(StdConv2d, eps=1e-8)`). */
export type ResNetV2ConvLayer = ResNetV2ConvName | { type: ResNetV2ConvName; eps?: number };

/**
 * timm's norm + activation layers by their `get_norm_act_layer` names: GroupNormAct (32 groups), BatchNormAct2d,
 * EvoNorm2dS0, FilterResponseNormTlu2d ('frntlu') and FilterResponseNormAct2d ('frn').
 */
export type ResNetV2NormName = 'groupnorm' | 'batchnorm' | 'evonorms0' | 'frntlu' | 'frn';
export type ResNetV2NormLayer = ResNetV2NormName | { type: ResNetV2NormName; numGroups?: number; eps?: number };

/** timm's stems: 7×7 conv ('', 'fixed' with BiT's zero pad before the pool, 'same' with TF SAME pooling) or a 3-conv deep / tiered stem. */
export type ResNetV2StemType = '' | 'fixed' | 'same' | 'deep' | 'deep_fixed' | 'deep_same' | 'tiered';
const STEM_TYPES: readonly string[] = ['', 'fixed', 'same', 'deep', 'deep_fixed', 'deep_same', 'tiered'];

export interface ResNetV2Args {
  /** Blocks per stage; its length is the number of stages (ViT hybrids use 3, or none: the stem alone). */
  layers: number[];
  /** Output channels per stage, before `widthFactor`. */
  channels?: number[];
  numClasses?: number;
  inChans?: number;
  globalPool?: string;
  outputStride?: number;
  /** BiT's width multiplier of the stem and every stage. */
  widthFactor?: number;
  stemChs?: number;
  stemType?: ResNetV2StemType;
  /** Average-pool then 1×1 conv in the downsampling shortcut ('d' variants). */
  avgDown?: boolean;
  /** Pre-activation blocks (true, ResNet-V2) or the v1.5 bottleneck ViT hybrids use (false). */
  preact?: boolean;
  /** Pre-activation basic blocks (ResNetV2-18/34) instead of bottlenecks. */
  basic?: boolean;
  bottleRatio?: number;
  actLayer?: string;
  normLayer?: ResNetV2NormLayer;
  convLayer?: ResNetV2ConvLayer;
  dropRate?: number;
  dropPathRate?: number;
  /** timm's init option (zero the last conv / norm of each block); has no effect on loaded weights. */
  zeroInitLast?: boolean;
}

type NormFactory = (chs: number, applyAct?: boolean) => Module;
type ConvFactory = (inChs: number, outChs: number, kernel: number, o?: { stride?: number; dilation?: number; groups?: number }) => Conv2d;

const NORM_NAMES: readonly string[] = ['groupnorm', 'batchnorm', 'evonorms0', 'frntlu', 'frn'];
const CONV_NAMES: readonly string[] = ['conv2d', 'stdconv', 'stdconv_same'];

/** timm's `get_norm_act_layer(norm_layer, act_layer)`: EvoNorm and FRN-TLU bring their own non-linearity. */
function normFactory(layer: ResNetV2NormLayer, act: string): NormFactory {
  const spec = typeof layer === 'string' ? { type: layer } : layer;
  if (!spec || !NORM_NAMES.includes(spec.type)) {
    throw new Error(`ResNetV2: normLayer must be one of ${NORM_NAMES.map((n) => `'${n}'`).join(', ')} (or { type, numGroups, eps }), got ${JSON.stringify(layer)}`);
  }
  const { eps } = spec;
  switch (spec.type) {
    case 'groupnorm': {
      const groups = (spec as { numGroups?: number }).numGroups ?? 32;
      return (chs, applyAct = true) => new GroupNormAct(groups, chs, { act, applyAct, eps });
    }
    case 'batchnorm':
      return (chs, applyAct = true) => new BatchNormAct2d(chs, { act, applyAct, eps });
    case 'evonorms0':
      return (chs, applyAct = true) => new EvoNorm2dS0(chs, { applyAct, eps });
    case 'frntlu':
      return (chs, applyAct = true) => new FilterResponseNormTlu2d(chs, { applyAct, eps });
    default:
      return (chs, applyAct = true) => new FilterResponseNormAct2d(chs, { act, applyAct, eps });
  }
}

/** The conv layer a model is built with; symmetric PyTorch padding except for `stdconv_same`. */
function convFactory(layer: ResNetV2ConvLayer): ConvFactory {
  const spec = typeof layer === 'string' ? { type: layer } : layer;
  if (!spec || !CONV_NAMES.includes(spec.type)) {
    throw new Error(`ResNetV2: convLayer must be one of ${CONV_NAMES.map((n) => `'${n}'`).join(', ')} (or { type, eps }), got ${JSON.stringify(layer)}`);
  }
  const { eps } = spec as { eps?: number };
  if (spec.type === 'stdconv') return (i, o, k, a = {}) => new StdConv2d(i, o, k, { ...a, eps });
  if (spec.type === 'stdconv_same') return (i, o, k, a = {}) => new StdConv2dSame(i, o, k, { ...a, eps });
  return (i, o, k, a = {}) => createConv2d(i, o, k, a);
}

interface BlockArgs {
  stride: number;
  dilation: number;
  firstDilation: number;
  bottleRatio: number;
  /** The shortcut's projection for the stage's first block ('conv' or 'avg'); null for the others. */
  proj: 'conv' | 'avg' | null;
  dropPath: number;
  conv: ConvFactory;
  norm: NormFactory;
  act: string;
}

/** timm's AvgPool2dSame at stride 1 (a dilated 'd' shortcut): zero pad bottom / right, then a 2×2 mean that counts the pad. */
class AvgPool2dSameCounted extends Module {
  override forward(x: tf.Tensor): tf.Tensor {
    return tf.avgPool(tf.pad(x as tf.Tensor4D, [[0, 0], [0, 1], [0, 1], [0, 0]]), 2, 1, 'valid');
  }
}

/**
 * timm's DownsampleConv (a strided 1×1 conv) and DownsampleAvg (2×2 average pool, ceil mode, then a 1×1 conv) as the
 * shortcut of a block that changes shape; pre-activation blocks have no norm after the conv (`norm` is Identity).
 */
export class Downsample extends Module {
  readonly pool: Module | null;
  readonly conv: Conv2d;
  readonly norm: Module;
  constructor(inChs: number, outChs: number, kind: 'conv' | 'avg', stride: number, dilation: number, preact: boolean, a: BlockArgs) {
    super();
    if (kind === 'avg') {
      const avgStride = dilation === 1 ? stride : 1;
      let pool: Module = new Identity();
      if (stride > 1 || dilation > 1) {
        pool = avgStride === 1 && dilation > 1 ? new AvgPool2dSameCounted() : new AvgPool2d(2, { stride: avgStride, ceilMode: true, countIncludePad: false });
      }
      this.pool = this.addModule('pool', pool);
      stride = 1;
    } else this.pool = null;
    this.conv = this.addModule('conv', a.conv(inChs, outChs, 1, { stride }));
    this.norm = this.addModule('norm', preact ? new Identity() : a.norm(outChs, false));
  }
  override forward(x: tf.Tensor): tf.Tensor {
    return convNormAct(this.pool ? this.pool.forward(x) : x, this.conv, this.norm);
  }
}

/** Residual sum with stochastic depth on the branch (identity at inference). */
function residual(dropPath: DropPath | null, branch: tf.Tensor, shortcut: tf.Tensor): tf.Tensor {
  return tf.add(dropPath ? dropPath.forward(branch) : branch, shortcut);
}

/**
 * timm's PreActBasic (ResNetV2-18/34): norm → 3×3 conv → norm → 3×3 conv, the shortcut projected from the first
 * norm's output when the shape changes.
 */
export class PreActBasic extends Module {
  readonly downsample: Downsample | null;
  readonly norm1: Module;
  readonly conv1: Conv2d;
  readonly norm2: Module;
  readonly conv2: Conv2d;
  readonly dropPath: DropPath | null;
  constructor(inChs: number, outChs: number, a: BlockArgs) {
    super();
    const mid = makeDivisible(outChs * a.bottleRatio);
    const project = a.proj && (a.stride !== 1 || a.firstDilation !== a.dilation || inChs !== outChs);
    this.downsample = project ? this.addModule('downsample', new Downsample(inChs, outChs, a.proj!, a.stride, a.dilation, true, a)) : null;
    this.norm1 = this.addModule('norm1', a.norm(inChs));
    this.conv1 = this.addModule('conv1', a.conv(inChs, mid, 3, { stride: a.stride, dilation: a.firstDilation }));
    this.norm2 = this.addModule('norm2', a.norm(mid));
    this.conv2 = this.addModule('conv2', a.conv(mid, outChs, 3, { dilation: a.dilation }));
    this.dropPath = a.dropPath > 0 ? this.addModule('drop_path', new DropPath(a.dropPath)) : null;
  }
  override forward(x: tf.Tensor): tf.Tensor {
    const pre = this.norm1.forward(x);
    const shortcut = this.downsample ? this.downsample.forward(pre) : x;
    const y = this.conv2.forward(convNormAct(pre, this.conv1, this.norm2));
    return residual(this.dropPath, y, shortcut);
  }
}

/**
 * timm's PreActBottleneck (ResNet-V2, BiT): norm → 1×1 → norm → 3×3 (the stride) → norm → 1×1, the shortcut
 * projected from the first norm's output in each stage's first block.
 */
export class PreActBottleneck extends Module {
  readonly downsample: Downsample | null;
  readonly norm1: Module;
  readonly conv1: Conv2d;
  readonly norm2: Module;
  readonly conv2: Conv2d;
  readonly norm3: Module;
  readonly conv3: Conv2d;
  readonly dropPath: DropPath | null;
  constructor(inChs: number, outChs: number, a: BlockArgs) {
    super();
    const mid = makeDivisible(outChs * a.bottleRatio);
    this.downsample = a.proj ? this.addModule('downsample', new Downsample(inChs, outChs, a.proj, a.stride, a.dilation, true, a)) : null;
    this.norm1 = this.addModule('norm1', a.norm(inChs));
    this.conv1 = this.addModule('conv1', a.conv(inChs, mid, 1));
    this.norm2 = this.addModule('norm2', a.norm(mid));
    this.conv2 = this.addModule('conv2', a.conv(mid, mid, 3, { stride: a.stride, dilation: a.firstDilation }));
    this.norm3 = this.addModule('norm3', a.norm(mid));
    this.conv3 = this.addModule('conv3', a.conv(mid, outChs, 1));
    this.dropPath = a.dropPath > 0 ? this.addModule('drop_path', new DropPath(a.dropPath)) : null;
  }
  override forward(x: tf.Tensor): tf.Tensor {
    const pre = this.norm1.forward(x);
    const shortcut = this.downsample ? this.downsample.forward(pre) : x;
    let y = convNormAct(pre, this.conv1, this.norm2);
    y = convNormAct(y, this.conv2, this.norm3);
    return residual(this.dropPath, this.conv3.forward(y), shortcut);
  }
}

/**
 * timm's non-pre-activation Bottleneck of resnetv2.py (v1.5, the ViT hybrids' backbone): conv-norm ×3, the last norm
 * without activation, then the activation after the shortcut sum.
 */
export class ResNetV2Bottleneck extends Module {
  readonly downsample: Downsample | null;
  readonly conv1: Conv2d;
  readonly norm1: Module;
  readonly conv2: Conv2d;
  readonly norm2: Module;
  readonly conv3: Conv2d;
  readonly norm3: Module;
  readonly dropPath: DropPath | null;
  readonly act3: Activation;
  constructor(inChs: number, outChs: number, a: BlockArgs) {
    super();
    const mid = makeDivisible(outChs * a.bottleRatio);
    this.downsample = a.proj ? this.addModule('downsample', new Downsample(inChs, outChs, a.proj, a.stride, a.dilation, false, a)) : null;
    this.conv1 = this.addModule('conv1', a.conv(inChs, mid, 1));
    this.norm1 = this.addModule('norm1', a.norm(mid));
    this.conv2 = this.addModule('conv2', a.conv(mid, mid, 3, { stride: a.stride, dilation: a.firstDilation }));
    this.norm2 = this.addModule('norm2', a.norm(mid));
    this.conv3 = this.addModule('conv3', a.conv(mid, outChs, 1));
    this.norm3 = this.addModule('norm3', a.norm(outChs, false));
    this.dropPath = a.dropPath > 0 ? this.addModule('drop_path', new DropPath(a.dropPath)) : null;
    this.act3 = this.addModule('act3', new Activation(a.act));
  }
  override forward(x: tf.Tensor): tf.Tensor {
    const shortcut = this.downsample ? this.downsample.forward(x) : x;
    let y = convNormAct(x, this.conv1, this.norm1);
    y = convNormAct(y, this.conv2, this.norm2);
    y = convNormAct(y, this.conv3, this.norm3);
    return this.act3.forward(residual(this.dropPath, y, shortcut));
  }
}

type BlockKind = 'basic' | 'preact' | 'v1';

/** timm's ResNetStage: `blocks`, the first one striding and projecting the shortcut. */
export class ResNetStage extends Module {
  readonly blocks: Sequential;
  constructor(inChs: number, outChs: number, depth: number, kind: BlockKind, dprs: number[], a: Omit<BlockArgs, 'firstDilation' | 'dropPath'>) {
    super();
    this.blocks = this.addModule('blocks', new Sequential());
    let firstDilation = a.dilation === 1 || a.dilation === 2 ? 1 : 2;
    let prev = inChs;
    for (let i = 0; i < depth; i++) {
      const args: BlockArgs = { ...a, stride: i === 0 ? a.stride : 1, firstDilation, dropPath: dprs[i] ?? 0, proj: i === 0 ? a.proj : null };
      const Block = kind === 'basic' ? PreActBasic : kind === 'preact' ? PreActBottleneck : ResNetV2Bottleneck;
      this.blocks.append(new Block(prev, outChs, args));
      prev = outChs;
      firstDilation = a.dilation;
    }
  }
  override forward(x: tf.Tensor): tf.Tensor {
    return this.blocks.forward(x);
  }
}

/** nn.ConstantPad2d(1, 0.): BiT's 'fixed' stem pads the conv output with zeros before a pad-free 3×3 max pool. */
class ZeroPad1 extends Module {
  override forward(x: tf.Tensor): tf.Tensor {
    return tf.pad(x as tf.Tensor4D, [[0, 0], [1, 1], [1, 1], [0, 0]]);
  }
}

/** timm's stem Sequential (`conv` or `conv1`…`conv3` with norms, then `pad` / `pool`), run with BatchNorm folded into the convs. */
class Stem extends FusedSequential {}

const isDeep = (stemType: string) => stemType.includes('deep') || stemType.includes('tiered');

/** timm's `create_resnetv2_stem`. */
function createStem(inChs: number, outChs: number, stemType: string, preact: boolean, conv: ConvFactory, norm: NormFactory): Stem {
  const stem = new Stem();
  if (isDeep(stemType)) {
    const chs = stemType.includes('tiered') ? [Math.floor((3 * outChs) / 8), Math.floor(outChs / 2)] : [Math.floor(outChs / 2), Math.floor(outChs / 2)];
    stem.addModule('conv1', conv(inChs, chs[0]!, 3, { stride: 2 }));
    stem.addModule('norm1', norm(chs[0]!));
    stem.addModule('conv2', conv(chs[0]!, chs[1]!, 3));
    stem.addModule('norm2', norm(chs[1]!));
    stem.addModule('conv3', conv(chs[1]!, outChs, 3));
    if (!preact) stem.addModule('norm3', norm(outChs));
  } else {
    stem.addModule('conv', conv(inChs, outChs, 7, { stride: 2 }));
    if (!preact) stem.addModule('norm', norm(outChs));
  }
  if (stemType.includes('fixed')) {
    stem.addModule('pad', new ZeroPad1());
    stem.addModule('pool', new MaxPool2d(3, { stride: 2 }));
  } else if (stemType.includes('same')) {
    stem.addModule('pool', new MaxPool2dSame(3, 2));
  } else {
    stem.addModule('pool', new MaxPool2d(3, { stride: 2, padding: 1 }));
  }
  return stem;
}

const ARG_NAMES = [
  'layers', 'channels', 'numClasses', 'inChans', 'globalPool', 'outputStride', 'widthFactor', 'stemChs', 'stemType', 'avgDown',
  'preact', 'basic', 'bottleRatio', 'actLayer', 'normLayer', 'convLayer', 'dropRate', 'dropPathRate', 'zeroInitLast',
] as const satisfies readonly (keyof ResNetV2Args)[];

/**
 * timm's ResNetV2 on NHWC input: pre-activation ResNets (BiT with GroupNorm and weight-standardised convs, and the
 * BatchNorm / GroupNorm / EvoNorm / FRN variants), and the non-pre-activation backbone of the ViT hybrids. Children
 * as timm's: `stem`, `stages` (each with `blocks`), `norm` (the final pre-activation norm, Identity otherwise) and
 * `head` (ClassifierHead with a 1×1 conv `fc`).
 */
export class ResNetV2 extends VisionModel {
  static readonly argNames: readonly (keyof ResNetV2Args)[] = ARG_NAMES;
  numClasses: number;
  numFeatures: number;
  headHiddenSize: number;
  readonly inChans: number;
  readonly stem: Stem;
  readonly stages: Sequential;
  norm: Module;

  constructor(args: ResNetV2Args) {
    super();
    const {
      layers, channels = [256, 512, 1024, 2048], numClasses = 1000, inChans = 3, globalPool = 'avg', outputStride = 32,
      widthFactor = 1, stemChs = 64, stemType = '', avgDown = false, preact = true, basic = false, bottleRatio = 0.25,
      actLayer = 'relu', normLayer = 'groupnorm', convLayer = 'stdconv', dropRate = 0, dropPathRate = 0,
    } = args;
    if (!Array.isArray(layers) || layers.some((d) => !Number.isInteger(d) || d < 1)) {
      throw new Error(`ResNetV2: layers must be a list of positive block counts, got ${JSON.stringify(layers)}`);
    }
    if (layers.length > channels.length) throw new Error(`ResNetV2: ${layers.length} stages (layers) but only ${channels.length} channels given`);
    if (!STEM_TYPES.includes(stemType)) throw new Error(`ResNetV2: stemType must be one of ${STEM_TYPES.map((s) => `'${s}'`).join(', ')}, got '${stemType}'`);
    if (![8, 16, 32].includes(outputStride)) throw new Error(`ResNetV2: outputStride must be 8, 16 or 32, got ${outputStride}`);
    if (basic && !preact) throw new Error('ResNetV2: basic blocks exist only with preact (timm: assert not basic)');
    this.numClasses = numClasses;
    this.inChans = inChans;
    const act = resolveAct(actLayer);
    const norm = normFactory(normLayer, act);
    const conv = convFactory(convLayer);

    const stemWidth = makeDivisible(stemChs * widthFactor);
    this.stem = this.addModule('stem', createStem(inChans, stemWidth, stemType, preact, conv, norm));
    const stemFeat = preact ? (isDeep(stemType) ? 'stem.conv3' : 'stem.conv') : 'stem.norm';
    this.featureInfo = [{ numChs: stemWidth, reduction: 2, module: stemFeat }];

    // timm's calculate_drop_path_rates(stagewise=True): one linear ramp over all blocks, split by stage.
    const total = layers.reduce((a, b) => a + b, 0);
    let blockIdx = 0;
    const kind: BlockKind = preact ? (basic ? 'basic' : 'preact') : 'v1';
    this.stages = this.addModule('stages', new Sequential());
    let prev = stemWidth;
    let currStride = 4;
    let dilation = 1;
    layers.forEach((depth, i) => {
      const out = makeDivisible(channels[i]! * widthFactor);
      let stride = i === 0 ? 1 : 2;
      if (currStride >= outputStride) {
        dilation *= stride;
        stride = 1;
      }
      const dprs = Array.from({ length: depth }, () => (total > 1 ? (dropPathRate * blockIdx++) / (total - 1) : 0));
      this.stages.append(new ResNetStage(prev, out, depth, kind, dprs, {
        stride, dilation, bottleRatio, proj: avgDown ? 'avg' : 'conv', conv, norm, act,
      }));
      prev = out;
      currStride *= stride;
      this.featureInfo.push({ numChs: prev, reduction: currStride, module: `stages.${i}` });
    });
    this.numFeatures = this.headHiddenSize = prev;
    this.norm = this.addModule('norm', preact ? norm(prev) : new Identity());
    this.setClassifierHead('head', new ClassifierHead(prev, numClasses, { poolType: globalPool, dropRate, useConv: true }), numClasses);
  }

  protected computeFeatures(x: tf.Tensor): tf.Tensor {
    return this.norm.forward(this.stages.forward(this.stem.forward(x)));
  }

  /**
   * timm's `forward_intermediates`: level 0 is the last stem output at half the input size (the stem conv, before
   * the pool), levels 1… the stages; the final norm runs after the last stage (on its intermediate too with `norm`).
   * Indices are taken over 5 levels as timm does.
   */
  protected override computeIntermediates(x: tf.Tensor, o: ForwardIntermediatesOptions): IntermediatesResult {
    const { indices, maxIndex } = this.takeIndices(5, o);
    const [, h, w] = x.shape as number[];
    const intermediates: tf.Tensor[] = [];
    let half: tf.Tensor | null = null;
    for (const [, m] of this.stem.namedChildren()) {
      x = m.forward(x);
      if (x.shape[1] === Math.floor(h! / 2) && x.shape[2] === Math.floor(w! / 2)) half = x;
    }
    if (indices.includes(0)) {
      if (!half) throw new Error(`ResNetV2 forwardIntermediates: no stem output is half the input size ${h}×${w} (timm fails here too); use an even input size`);
      intermediates.push(half);
    }
    const stages = this.stages.namedChildren().map(([, m]) => m);
    const last = stages.length;
    const run = o.stopEarly ? stages.slice(0, maxIndex) : stages;
    let idx = 0;
    for (const stage of run) {
      x = stage.forward(x);
      idx++;
      if (indices.includes(idx)) intermediates.push(idx === last && o.norm ? this.norm.forward(x) : x);
    }
    if (idx === last) x = this.norm.forward(x);
    return { final: x, intermediates };
  }

  /** timm's `prune_intermediate_layers`: the stages after the last index taken go (the stem is level 0). */
  override pruneIntermediateLayers(indices: OutIndices = 1, pruneNorm = false, pruneHead = true): number[] {
    return this.pruneLevels(5, indices, pruneHead, (maxIndex) => {
      for (const [name] of this.stages.namedChildren()) if (Number(name) >= maxIndex) this.stages.addModule(name, null);
      if (pruneNorm) this.norm = this.addModule('norm', new Identity());
    });
  }
}
