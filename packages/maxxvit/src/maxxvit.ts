import * as tf from '@tensorflow/tfjs-core';
import {
  AvgPool2d, AvgPool2dSame, ClassifierHead, Conv2d, ConvMlp, createAttn, createConv2d, createNorm, createNormAct, dropPath,
  type ForwardIntermediatesOptions, type GroupMatcher, gridPartition, gridReverse, Identity, type IntermediatesResult, LayerScale,
  Linear, MaxPool2d, MaxPool2dSame, Mlp, Module, makeDivisible, NormMlpClassifierHead, type OutIndices, type Pair, RelPosBias, RelPosBiasTf,
  RelPosMlp, resizeRelPosBiasTable, runFused, Sequential, type StateDict, toPair, VisionModel, windowAttend, windowPartition, windowReverse,
} from '@zoo/core';

/** timm's `MaxxVitConvCfg`: the conv blocks (MBConv or ConvNeXt) of a MaxxVit. */
export interface MaxxVitConvCfg {
  blockType?: 'mbconv' | 'convnext';
  expandRatio?: number;
  /** Expansion width from the output channels (else the input's). */
  expandOutput?: boolean;
  kernelSize?: number;
  /** Channels per group of the k×k conv (1: depthwise, 0: a plain conv). */
  groupSize?: number;
  preNormAct?: boolean;
  /** Bias of the shortcut's and the last 1×1 conv. */
  outputBias?: boolean;
  /** Where the block strides: 'dw' (the k×k conv), 'pool' (a pool before it), '1x1' (the first 1×1 conv). */
  strideMode?: 'dw' | 'pool' | '1x1';
  poolType?: string;
  downsamplePoolType?: string;
  /** '' (PyTorch's symmetric padding) or 'same' (TensorFlow SAME, the `*_tf_*` ports). */
  padding?: '' | 'same';
  /** SE between the k×k conv and its norm (else after the norm). */
  attnEarly?: boolean;
  attnLayer?: string;
  attnActLayer?: string;
  attnRatio?: number;
  /** Layer-scale init of ConvNeXt blocks (MBConv blocks have none). */
  initValues?: number | null;
  actLayer?: string;
  normLayer?: string;
  normLayerCl?: string;
  normEps?: number | null;
}

/** timm's `MaxxVitTransformerCfg`: the attention blocks of a MaxxVit. */
export interface MaxxVitTransformerCfg {
  dimHead?: number;
  /** qkv channels ordered (heads, q/k/v, dim) (else (q/k/v, heads, dim)). */
  headFirst?: boolean;
  expandRatio?: number;
  expandFirst?: boolean;
  shortcutBias?: boolean;
  attnBias?: boolean;
  attnDrop?: number;
  projDrop?: number;
  poolType?: string;
  /** 'bias' (timm's RelPosBias), 'bias_tf' (RelPosBiasTf), 'mlp' (RelPosMlp), or none. */
  relPosType?: string;
  relPosDim?: number;
  /** Window and grid size = image size / this, unless given. */
  partitionRatio?: number;
  windowSize?: number | readonly number[] | null;
  gridSize?: number | readonly number[] | null;
  /** MaxViT blocks with grid attention only. */
  noBlockAttn?: boolean;
  /** Partition attention with 1×1 convs and 2-D norms (timm's NCHW variant) instead of linear layers. */
  useNchwAttn?: boolean;
  initValues?: number | null;
  actLayer?: string;
  normLayer?: string;
  normLayerCl?: string;
  normEps?: number;
}

/** timm's `MaxxVitCfg`: stage widths, depths and block kinds ('C' conv, 'T' transformer, 'M' MaxViT, 'PM' parallel MaxViT). */
export interface MaxxVitCfg {
  embedDim?: readonly number[];
  depths?: readonly number[];
  blockType?: readonly (string | readonly string[])[];
  stemWidth?: number | readonly number[];
  stemBias?: boolean;
  convCfg?: MaxxVitConvCfg;
  transformerCfg?: MaxxVitTransformerCfg;
  headHiddenSize?: number | null;
  weightInit?: string;
}

export interface MaxxVitArgs {
  cfg?: MaxxVitCfg;
  imgSize?: number | readonly number[];
  inChans?: number;
  numClasses?: number;
  globalPool?: string;
  dropRate?: number;
  dropPathRate?: number;
}

type ConvCfg = Required<MaxxVitConvCfg> & { normEps: number };
type TransformerCfg = Omit<Required<MaxxVitTransformerCfg>, 'windowSize' | 'gridSize'> & { windowSize: Pair; gridSize: Pair };

/** timm's `MaxxVitConvCfg.__post_init__`: norm, norm eps and the downsample pool default from the block type. */
function resolveConvCfg(c: MaxxVitConvCfg = {}): ConvCfg {
  const mbconv = (c.blockType ?? 'mbconv') === 'mbconv';
  if (c.blockType !== undefined && !['mbconv', 'convnext'].includes(c.blockType)) throw new Error(`MaxxVit: conv blockType must be 'mbconv' or 'convnext', got '${c.blockType}'`);
  const poolType = c.poolType ?? 'avg2';
  return {
    blockType: mbconv ? 'mbconv' : 'convnext', expandRatio: c.expandRatio ?? 4, expandOutput: c.expandOutput ?? true, kernelSize: c.kernelSize ?? 3,
    groupSize: c.groupSize ?? 1, preNormAct: c.preNormAct ?? false, outputBias: c.outputBias ?? true, strideMode: c.strideMode ?? 'dw', poolType,
    downsamplePoolType: c.downsamplePoolType || poolType, padding: c.padding ?? '', attnEarly: c.attnEarly ?? false, attnLayer: c.attnLayer ?? 'se',
    attnActLayer: c.attnActLayer ?? 'silu', attnRatio: c.attnRatio ?? 0.25, initValues: c.initValues === undefined ? 1e-6 : c.initValues,
    actLayer: c.actLayer ?? 'gelu', normLayer: c.normLayer || (mbconv ? 'batchnorm2d' : 'layernorm2d'),
    normLayerCl: c.normLayerCl || (mbconv ? '' : 'layernorm'), normEps: c.normEps ?? (mbconv ? 1e-5 : 1e-6),
  };
}

/** timm's `MaxxVitTransformerCfg` with `cfg_window_size`: window and grid = image size / partition ratio unless given. */
function resolveTransformerCfg(c: MaxxVitTransformerCfg = {}, imgSize: Pair): TransformerCfg {
  const ratio = c.partitionRatio ?? 32;
  const win = c.windowSize ?? null;
  const windowSize: Pair = win === null ? [Math.floor(imgSize[0] / ratio), Math.floor(imgSize[1] / ratio)] : toPair(win as number | Pair);
  const grid = c.gridSize ?? null;
  return {
    dimHead: c.dimHead ?? 32, headFirst: c.headFirst ?? true, expandRatio: c.expandRatio ?? 4, expandFirst: c.expandFirst ?? true,
    shortcutBias: c.shortcutBias ?? true, attnBias: c.attnBias ?? true, attnDrop: c.attnDrop ?? 0, projDrop: c.projDrop ?? 0,
    poolType: c.poolType ?? 'avg2', relPosType: c.relPosType ?? 'bias', relPosDim: c.relPosDim ?? 512, partitionRatio: ratio,
    windowSize, gridSize: grid === null ? windowSize : toPair(grid as number | Pair), noBlockAttn: c.noBlockAttn ?? false,
    useNchwAttn: c.useNchwAttn ?? false, initValues: c.initValues ?? null, actLayer: c.actLayer ?? 'gelu', normLayer: c.normLayer ?? 'layernorm2d',
    normLayerCl: c.normLayerCl ?? 'layernorm', normEps: c.normEps ?? 1e-6,
  };
}

/** A relative position bias over a window: getBias() `[heads, N, N]`. */
type RelPos = RelPosBias | RelPosBiasTf | RelPosMlp;

/** timm's `get_rel_pos_cls`: the relative position module the cfg names, for a window, or null. */
function createRelPos(cfg: TransformerCfg, windowSize: Pair, numHeads: number): RelPos | null {
  switch (cfg.relPosType) {
    case 'mlp':
      return new RelPosMlp(windowSize, { numHeads, hiddenDim: cfg.relPosDim });
    case 'bias':
      return new RelPosBias(windowSize, numHeads);
    case 'bias_tf':
      return new RelPosBiasTf(windowSize, numHeads);
    default:
      return null;
  }
}

/** timm's `get_norm_layer(name)` with eps: LayerNorm on the last (channel) axis, or BatchNorm. */
const norm = (name: string, chs: number, eps: number): Module => createNorm({ type: name, eps }, chs);

/**
 * timm's `Downsample2d`: a pool ('avg2' / 'max2': 2×2 stride 2; 'avg' / 'max': 3×3 stride 2 pad 1; TF SAME with
 * padding 'same') then a 1×1 conv to `dimOut` when the widths differ. Keys: expand.
 */
export class Downsample2d extends Module {
  readonly pool: Module;
  readonly expand: Module;
  constructor(dim: number, dimOut: number, poolType = 'avg2', padding = '', bias = true) {
    super();
    const same = padding === 'same';
    const pools: Record<string, () => Module> = {
      max: () => (same ? new MaxPool2dSame(3, 2) : new MaxPool2d(3, { stride: 2, padding: 1 })),
      max2: () => (same ? new MaxPool2dSame(2, 2) : new MaxPool2d(2)),
      avg: () => (same ? new AvgPool2dSame(3, { stride: 2 }) : new AvgPool2d(3, { stride: 2, padding: 1, countIncludePad: false })),
      avg2: () => (same ? new AvgPool2dSame(2) : new AvgPool2d(2)),
    };
    const make = pools[poolType];
    if (!make) throw new Error(`Downsample2d: poolType must be one of ${Object.keys(pools).join(', ')}, got '${poolType}'`);
    this.pool = this.addModule('pool', make());
    this.expand = this.addModule('expand', dim !== dimOut ? new Conv2d(dim, dimOut, 1, { bias }) : new Identity());
  }
  override forward(x: tf.Tensor): tf.Tensor {
    return this.expand.forward(this.pool.forward(x));
  }
}

/**
 * timm's maxxvit `MbConvBlock`: pre-norm inverted bottleneck, 1×1 expand → norm-act → k×k depthwise (grouped) →
 * norm-act + SE → 1×1 project, plus a (pooled, expanded) shortcut. Keys: shortcut, pre_norm, down, conv1_1x1, norm1,
 * conv2_kxk, se_early | norm2, se, conv3_1x1.
 */
export class MbConvBlock extends Module {
  readonly shortcut: Module;
  readonly preNorm: Module;
  readonly down: Module;
  readonly conv1: Conv2d;
  readonly norm1: Module;
  readonly conv2: Conv2d;
  readonly seEarly: Module | null;
  readonly norm2: Module;
  readonly se: Module | null;
  readonly conv3: Conv2d;
  constructor(inChs: number, outChs: number, stride: number, cfg: ConvCfg, readonly dropPathRate = 0) {
    super();
    const normAct = (chs: number, applyAct = true) => createNormAct({ type: cfg.normLayer, eps: cfg.normEps }, chs, cfg.actLayer, applyAct);
    const mid = makeDivisible((cfg.expandOutput ? outChs : inChs) * cfg.expandRatio);
    const groups = cfg.groupSize ? mid / cfg.groupSize : 1;
    if (!Number.isInteger(groups)) throw new Error(`MbConvBlock: ${mid} channels are not divisible by groupSize ${cfg.groupSize}`);
    this.shortcut = this.addModule('shortcut', stride === 2 ? new Downsample2d(inChs, outChs, cfg.poolType, cfg.padding, cfg.outputBias) : new Identity());
    const [sPool, s1, s2] = cfg.strideMode === 'pool' ? [stride, 1, 1] : cfg.strideMode === '1x1' ? [1, stride, 1] : [1, 1, stride];
    this.preNorm = this.addModule('pre_norm', normAct(inChs, cfg.preNormAct));
    this.down = this.addModule('down', sPool > 1 ? new Downsample2d(inChs, inChs, cfg.downsamplePoolType, cfg.padding) : new Identity());
    this.conv1 = this.addModule('conv1_1x1', createConv2d(inChs, mid, 1, { stride: s1 }));
    this.norm1 = this.addModule('norm1', normAct(mid));
    this.conv2 = this.addModule('conv2_kxk', createConv2d(mid, mid, cfg.kernelSize, { stride: s2, groups, padding: cfg.padding }));
    const rd = Math.trunc(cfg.attnRatio * (cfg.expandOutput ? outChs : mid));
    const attn = () => createAttn(cfg.attnLayer, mid, { act: cfg.attnActLayer, rdChannels: rd });
    this.seEarly = cfg.attnEarly ? this.addModule('se_early', attn()) : null;
    this.norm2 = this.addModule('norm2', normAct(mid));
    this.se = cfg.attnEarly ? null : this.addModule('se', attn());
    this.conv3 = this.addModule('conv3_1x1', createConv2d(mid, outChs, 1, { bias: cfg.outputBias }));
  }
  override forward(x: tf.Tensor): tf.Tensor {
    const shortcut = this.shortcut.forward(x);
    let y = this.down.forward(this.preNorm.forward(x));
    y = runFused(y, [this.conv1, this.norm1]);
    if (this.seEarly) y = this.norm2.forward(this.seEarly.forward(this.conv2.forward(y)));
    else y = runFused(y, [this.conv2, this.norm2]);
    if (this.se) y = this.se.forward(y);
    y = this.conv3.forward(y);
    return tf.add(dropPath(y, this.dropPathRate, this.training), shortcut);
  }
}

/**
 * timm's maxxvit `ConvNeXtBlock` (conv MLP form): 7×7 depthwise conv (with a channel multiplier when widening) →
 * norm → ConvMlp → layer scale, plus a pooled / 1×1 shortcut. Keys: shortcut, down, conv_dw, norm, mlp, ls.
 */
export class MaxxVitConvNeXtBlock extends Module {
  readonly shortcut: Module;
  readonly down: Module;
  readonly convDw: Conv2d;
  readonly norm: Module;
  readonly mlp: ConvMlp;
  readonly ls: Module;
  constructor(inChs: number, outChs: number, stride: number, cfg: ConvCfg, readonly dropPathRate = 0) {
    super();
    if (cfg.strideMode !== 'pool' && cfg.strideMode !== 'dw') throw new Error(`MaxxVit ConvNeXt block: strideMode must be 'pool' or 'dw', got '${cfg.strideMode}'`);
    this.shortcut = this.addModule('shortcut',
      stride === 2 ? new Downsample2d(inChs, outChs) : inChs !== outChs ? new Conv2d(inChs, outChs, 1, { bias: cfg.outputBias }) : new Identity());
    const [sPool, sDw] = cfg.strideMode === 'pool' ? [stride, 1] : [1, stride];
    this.down = this.addModule('down', sPool === 2 ? new Downsample2d(inChs, inChs, cfg.downsamplePoolType) : new Identity());
    this.convDw = this.addModule('conv_dw', createConv2d(inChs, outChs, 7, { stride: sDw, depthwise: true, bias: cfg.outputBias }));
    this.norm = this.addModule('norm', norm(cfg.normLayer, outChs, cfg.normEps));
    this.mlp = this.addModule('mlp', new ConvMlp(outChs, { hiddenFeatures: Math.trunc(cfg.expandRatio * outChs), bias: cfg.outputBias, actLayer: cfg.actLayer }));
    this.ls = this.addModule('ls', layerScale(outChs, cfg.initValues));
  }
  override forward(x: tf.Tensor): tf.Tensor {
    const shortcut = this.shortcut.forward(x);
    const y = this.ls.forward(this.mlp.forward(this.norm.forward(this.convDw.forward(this.down.forward(x)))));
    return tf.add(dropPath(y, this.dropPathRate, this.training), shortcut);
  }
}

function convBlock(inChs: number, outChs: number, stride: number, cfg: ConvCfg, dpr: number): Module {
  return cfg.blockType === 'convnext' ? new MaxxVitConvNeXtBlock(inChs, outChs, stride, cfg, dpr) : new MbConvBlock(inChs, outChs, stride, cfg, dpr);
}

/**
 * timm's maxxvit `Attention2d` (1×1 convs, `conv`) and `AttentionCl` (linear layers) over NHWC windows `[B, h, w, C]`:
 * multi-head softmax attention among the window's h·w positions with an optional relative position bias. Keys: qkv,
 * rel_pos, proj. Both lay q/k/v out in the qkv channels the same way (heads first or q/k/v first).
 */
export class PartitionAttention extends Module {
  readonly numHeads: number;
  readonly qkv: Module;
  readonly relPos: RelPos | null;
  readonly proj: Module;
  constructor(dim: number, dimOut: number, dimAttn: number, readonly dimHead: number, readonly headFirst: boolean, bias: boolean, conv: boolean, relPos: (numHeads: number) => RelPos | null) {
    super();
    if (dimAttn % dimHead) throw new Error(`MaxxVit attention: width ${dimAttn} is not divisible by dimHead ${dimHead}`);
    this.numHeads = dimAttn / dimHead;
    const layer = (i: number, o: number) => (conv ? new Conv2d(i, o, 1, { bias }) : new Linear(i, o, { bias }));
    this.qkv = this.addModule('qkv', layer(dim, dimAttn * 3));
    this.relPos = relPos(this.numHeads);
    if (this.relPos) this.addModule('rel_pos', this.relPos);
    this.proj = this.addModule('proj', layer(dimAttn, dimOut));
  }
  override forward(x: tf.Tensor): tf.Tensor {
    const [B, h, w] = x.shape as number[];
    const n = h! * w!;
    const H = this.numHeads;
    const d = this.dimHead;
    const ws = this.relPos?.windowSize;
    if (ws && (ws[0] !== h || ws[1] !== w)) {
      throw new Error(`MaxxVit attention: a ${h}x${w} window does not match the ${ws[0]}x${ws[1]} its relative position bias was built for (build the model with this input's imgSize)`);
    }
    const qkv = this.qkv.forward(x);
    let q: tf.Tensor;
    let k: tf.Tensor;
    let v: tf.Tensor;
    if (this.headFirst) {
      // channels (head, q/k/v, d) → [B, heads, N, 3d], split on the last axis.
      [q, k, v] = tf.split(tf.transpose(tf.reshape(qkv, [B!, n, H, 3 * d]), [0, 2, 1, 3]), 3, 3);
    } else {
      // channels (q/k/v, head, d) → [B, 3·heads, N, d], split on the head axis.
      [q, k, v] = tf.split(tf.transpose(tf.reshape(qkv, [B!, n, 3 * H, d]), [0, 2, 1, 3]), 3, 1);
    }
    let attn = tf.matMul(tf.reshape(tf.mul(q!, d ** -0.5), [B! * H, n, d]), tf.reshape(k!, [B! * H, n, d]), false, true);
    attn = tf.reshape(attn, [B!, H, n, n]);
    if (this.relPos) attn = tf.add(attn, this.relPos.getBias());
    const out = windowAttend(attn, null, v!);
    return this.proj.forward(tf.reshape(out, [B!, h!, w!, H * d]));
  }
}

/** The layer scale (timm's LayerScale / LayerScale2d, the same on NHWC) when `initValues` is set, else identity. */
const layerScale = (dim: number, initValues: number | null): Module => (initValues ? new LayerScale(dim, initValues) : new Identity());

/**
 * timm's `TransformerBlock2d` (CoAtNet's 'T' blocks) over the whole map: pre-norm attention with a relative position
 * bias over the (downsampled) feature map, then a ConvMlp; a stride-2 block pools before attention (norm1 = norm →
 * down) and on its shortcut. Keys: shortcut, norm1(.norm, .down), attn, ls1, norm2, mlp, ls2.
 */
export class TransformerBlock2d extends Module {
  readonly shortcut: Module;
  readonly norm1: Module;
  readonly attn: PartitionAttention;
  readonly ls1: Module;
  readonly norm2: Module;
  readonly mlp: ConvMlp;
  readonly ls2: Module;
  constructor(dim: number, dimOut: number, stride: number, featSize: Pair, cfg: TransformerCfg, readonly dropPathRate = 0) {
    super();
    if (stride === 2) {
      this.shortcut = this.addModule('shortcut', new Downsample2d(dim, dimOut, cfg.poolType, '', cfg.shortcutBias));
      const n1 = new Sequential();
      n1.addModule('norm', norm(cfg.normLayer, dim, cfg.normEps));
      n1.addModule('down', new Downsample2d(dim, dim, cfg.poolType));
      this.norm1 = this.addModule('norm1', n1);
    } else {
      if (dim !== dimOut) throw new Error(`TransformerBlock2d: a stride-1 block keeps its width (${dim} → ${dimOut})`);
      this.shortcut = this.addModule('shortcut', new Identity());
      this.norm1 = this.addModule('norm1', norm(cfg.normLayer, dim, cfg.normEps));
    }
    const dimAttn = cfg.expandFirst ? dimOut : dim;
    this.attn = this.addModule('attn', new PartitionAttention(dim, dimOut, dimAttn, cfg.dimHead, cfg.headFirst, cfg.attnBias, true, (h) => createRelPos(cfg, featSize, h)));
    this.ls1 = this.addModule('ls1', layerScale(dimOut, cfg.initValues));
    this.norm2 = this.addModule('norm2', norm(cfg.normLayer, dimOut, cfg.normEps));
    this.mlp = this.addModule('mlp', new ConvMlp(dimOut, { hiddenFeatures: Math.trunc(dimOut * cfg.expandRatio), actLayer: cfg.actLayer }));
    this.ls2 = this.addModule('ls2', layerScale(dimOut, cfg.initValues));
  }
  override forward(x: tf.Tensor): tf.Tensor {
    const p = this.dropPathRate;
    x = tf.add(this.shortcut.forward(x), dropPath(this.ls1.forward(this.attn.forward(this.norm1.forward(x))), p, this.training));
    return tf.add(x, dropPath(this.ls2.forward(this.mlp.forward(this.norm2.forward(x))), p, this.training));
  }
}

/** Block (window) or grid partition of an NHWC map, `f` on the windows, and the map put back together. */
function partitioned(x: tf.Tensor, grid: boolean, size: Pair, f: (windows: tf.Tensor) => tf.Tensor): tf.Tensor {
  const [, H, W] = x.shape as number[];
  if (grid) return gridReverse(f(gridPartition(x, size)), size, H!, W!);
  return windowReverse(f(windowPartition(x, size)), size, H!, W!);
}

/**
 * timm's `PartitionAttentionCl` (and `PartitionAttention2d` with `conv`): window ('block') or dilated grid partition,
 * pre-norm attention with a relative position bias per window, then an MLP. Keys: norm1, attn, ls1, norm2, mlp, ls2.
 */
export class PartitionAttentionBlock extends Module {
  readonly grid: boolean;
  readonly partitionSize: Pair;
  readonly norm1: Module;
  readonly attn: PartitionAttention;
  readonly ls1: Module;
  readonly norm2: Module;
  readonly mlp: Module;
  readonly ls2: Module;
  constructor(dim: number, partitionType: 'block' | 'grid', cfg: TransformerCfg, readonly dropPathRate = 0) {
    super();
    const conv = cfg.useNchwAttn;
    this.grid = partitionType === 'grid';
    this.partitionSize = this.grid ? cfg.gridSize : cfg.windowSize;
    const normName = conv ? cfg.normLayer : cfg.normLayerCl;
    this.norm1 = this.addModule('norm1', norm(normName, dim, cfg.normEps));
    this.attn = this.addModule('attn', new PartitionAttention(dim, dim, dim, cfg.dimHead, cfg.headFirst, cfg.attnBias, conv, (h) => createRelPos(cfg, this.partitionSize, h)));
    this.ls1 = this.addModule('ls1', layerScale(dim, cfg.initValues));
    this.norm2 = this.addModule('norm2', norm(normName, dim, cfg.normEps));
    const hidden = Math.trunc(dim * cfg.expandRatio);
    this.mlp = this.addModule('mlp', conv ? new ConvMlp(dim, { hiddenFeatures: hidden, actLayer: cfg.actLayer }) : new Mlp(dim, { hiddenFeatures: hidden, actLayer: cfg.actLayer }));
    this.ls2 = this.addModule('ls2', layerScale(dim, cfg.initValues));
  }
  override forward(x: tf.Tensor): tf.Tensor {
    const p = this.dropPathRate;
    const a = partitioned(this.norm1.forward(x), this.grid, this.partitionSize, (w) => this.attn.forward(w));
    x = tf.add(x, dropPath(this.ls1.forward(a), p, this.training));
    return tf.add(x, dropPath(this.ls2.forward(this.mlp.forward(this.norm2.forward(x))), p, this.training));
  }
}

/**
 * timm's `ParallelPartitionAttention` (experimental): window and grid attention side by side, each to half the
 * width, concatenated, then one MLP. Keys: norm1, attn_block, attn_grid, ls1, norm2, mlp, ls2.
 */
export class ParallelPartitionAttention extends Module {
  readonly partitionSize: Pair;
  readonly norm1: Module;
  readonly attnBlock: PartitionAttention;
  readonly attnGrid: PartitionAttention;
  readonly ls1: Module;
  readonly norm2: Module;
  readonly mlp: Mlp;
  readonly ls2: Module;
  constructor(dim: number, cfg: TransformerCfg, readonly dropPathRate = 0) {
    super();
    if (dim % 2) throw new Error(`ParallelPartitionAttention: width ${dim} must be even`);
    if (cfg.windowSize.join() !== cfg.gridSize.join()) throw new Error('ParallelPartitionAttention: windowSize and gridSize must be equal');
    this.partitionSize = cfg.windowSize;
    this.norm1 = this.addModule('norm1', norm(cfg.normLayerCl, dim, cfg.normEps));
    const attn = () => new PartitionAttention(dim, dim / 2, dim, cfg.dimHead, cfg.headFirst, cfg.attnBias, false, (h) => createRelPos(cfg, this.partitionSize, h));
    this.attnBlock = this.addModule('attn_block', attn());
    this.attnGrid = this.addModule('attn_grid', attn());
    this.ls1 = this.addModule('ls1', layerScale(dim, cfg.initValues));
    this.norm2 = this.addModule('norm2', norm(cfg.normLayerCl, dim, cfg.normEps));
    this.mlp = this.addModule('mlp', new Mlp(dim, { hiddenFeatures: Math.trunc(dim * cfg.expandRatio), outFeatures: dim, actLayer: cfg.actLayer }));
    this.ls2 = this.addModule('ls2', layerScale(dim, cfg.initValues));
  }
  override forward(x: tf.Tensor): tf.Tensor {
    const p = this.dropPathRate;
    const n = this.norm1.forward(x);
    const a = tf.concat([
      partitioned(n, false, this.partitionSize, (w) => this.attnBlock.forward(w)),
      partitioned(n, true, this.partitionSize, (w) => this.attnGrid.forward(w)),
    ], 3);
    x = tf.add(x, dropPath(this.ls1.forward(a), p, this.training));
    return tf.add(x, dropPath(this.ls2.forward(this.mlp.forward(this.norm2.forward(x))), p, this.training));
  }
}

/** timm's `MaxxVitBlock` ('M'): a conv block, then window (unless `noBlockAttn`) and grid partition attention. Keys: conv, attn_block, attn_grid. */
export class MaxxVitBlock extends Module {
  readonly conv: Module;
  readonly attnBlock: PartitionAttentionBlock | null;
  readonly attnGrid: PartitionAttentionBlock;
  constructor(dim: number, dimOut: number, stride: number, convCfg: ConvCfg, cfg: TransformerCfg, dpr = 0) {
    super();
    this.conv = this.addModule('conv', convBlock(dim, dimOut, stride, convCfg, dpr));
    this.attnBlock = cfg.noBlockAttn ? null : this.addModule('attn_block', new PartitionAttentionBlock(dimOut, 'block', cfg, dpr));
    this.attnGrid = this.addModule('attn_grid', new PartitionAttentionBlock(dimOut, 'grid', cfg, dpr));
  }
  override forward(x: tf.Tensor): tf.Tensor {
    x = this.conv.forward(x);
    if (this.attnBlock) x = this.attnBlock.forward(x);
    return this.attnGrid.forward(x);
  }
}

/** timm's `ParallelMaxxVitBlock` ('PM'): two conv blocks (the first strided), then parallel partition attention. Keys: conv.0, conv.1, attn. */
export class ParallelMaxxVitBlock extends Module {
  readonly conv: Sequential;
  readonly attn: ParallelPartitionAttention;
  constructor(dim: number, dimOut: number, stride: number, convCfg: ConvCfg, cfg: TransformerCfg, dpr = 0) {
    super();
    // timm repeats one module instance for the convs after the first (`[block] * (num_conv - 1)`): with two, one each.
    this.conv = this.addModule('conv', new Sequential([convBlock(dim, dimOut, stride, convCfg, dpr), convBlock(dimOut, dimOut, 1, convCfg, dpr)]));
    this.attn = this.addModule('attn', new ParallelPartitionAttention(dimOut, cfg, dpr));
  }
  override forward(x: tf.Tensor): tf.Tensor {
    return this.attn.forward(this.conv.forward(x));
  }
}

/** timm's `MaxxVitStage`: blocks of the given kinds, the first strided. Key: blocks. */
export class MaxxVitStage extends Module {
  readonly blocks: Sequential;
  constructor(inChs: number, outChs: number, depth: number, featSize: Pair, blockTypes: string | readonly string[], convCfg: ConvCfg, cfg: TransformerCfg, dpr: number[]) {
    super();
    // timm's extend_tuple: the kinds given, the last one repeated up to the depth.
    const kinds = typeof blockTypes === 'string' ? [blockTypes] : [...blockTypes];
    while (kinds.length < depth) kinds.push(kinds[kinds.length - 1]!);
    const blocks: Module[] = [];
    for (let i = 0; i < depth; i++) {
      const stride = i === 0 ? 2 : 1;
      const t = kinds[i]!;
      if (t === 'C') blocks.push(convBlock(inChs, outChs, stride, convCfg, dpr[i]!));
      else if (t === 'T') blocks.push(new TransformerBlock2d(inChs, outChs, stride, featSize, cfg, dpr[i]!));
      else if (t === 'M') blocks.push(new MaxxVitBlock(inChs, outChs, stride, convCfg, cfg, dpr[i]!));
      else if (t === 'PM') blocks.push(new ParallelMaxxVitBlock(inChs, outChs, stride, convCfg, cfg, dpr[i]!));
      else throw new Error(`MaxxVitStage: block type must be 'C', 'T', 'M' or 'PM', got '${t}'`);
      inChs = outChs;
    }
    this.blocks = this.addModule('blocks', new Sequential(blocks));
  }
  override forward(x: tf.Tensor): tf.Tensor {
    return this.blocks.forward(x);
  }
}

/** timm's maxxvit `Stem`: 3×3 stride-2 conv → norm-act → 3×3 conv. Keys: conv1, norm1, conv2. */
export class MaxxVitStem extends Module {
  readonly outChs: number;
  readonly conv1: Conv2d;
  readonly norm1: Module;
  readonly conv2: Conv2d;
  constructor(inChs: number, width: number | readonly number[], padding: '' | 'same', bias: boolean, actLayer: string, normLayer: string, normEps: number) {
    super();
    const [c0, c1] = typeof width === 'number' ? [width, width] : [width[0]!, width[1]!];
    this.outChs = c1;
    this.conv1 = this.addModule('conv1', createConv2d(inChs, c0, 3, { stride: 2, padding, bias }));
    this.norm1 = this.addModule('norm1', createNormAct({ type: normLayer, eps: normEps }, c0, actLayer));
    this.conv2 = this.addModule('conv2', createConv2d(c0, c1, 3, { padding, bias }));
  }
  override forward(x: tf.Tensor): tf.Tensor {
    return this.conv2.forward(runFused(x, [this.conv1, this.norm1]));
  }
}

/** timm's `calculate_drop_path_rates(rate, depths, stagewise=True)`: one rate per stage, linear from 0, for each block. */
function stagewiseDropPath(rate: number, depths: readonly number[]): number[][] {
  const n = depths.length;
  return depths.map((d, i) => Array.from({ length: d }, () => (n > 1 ? (rate * i) / (n - 1) : 0)));
}

const ARG_NAMES: readonly (keyof MaxxVitArgs)[] = ['cfg', 'imgSize', 'inChans', 'numClasses', 'globalPool', 'dropRate', 'dropPathRate'];

/**
 * timm's `MaxxVit` (CoAtNet, MaxViT, MaxxViT and their `rw` / `tf` / `rmlp` variants) on NHWC input: a two-conv stem,
 * four stages of conv ('C'), transformer ('T'), MaxViT ('M') or parallel MaxViT ('PM') blocks, each stage halving the
 * map, and a norm + ClassifierHead (or, with `headHiddenSize`, a NormMlpClassifierHead). Keys are timm's: stem.*,
 * stages.N.blocks.M.*, norm, head.*. The window / grid partition is the image size / `partitionRatio` (7 at 224).
 */
export class MaxxVit extends VisionModel {
  static readonly argNames: readonly (keyof MaxxVitArgs)[] = ARG_NAMES;
  numClasses: number;
  readonly numFeatures: number;
  readonly headHiddenSize: number;
  readonly inChans: number;
  readonly imgSize: Pair;
  readonly stem: MaxxVitStem;
  readonly stages: Sequential;
  norm: Module;

  constructor(args: MaxxVitArgs = {}) {
    super();
    const { inChans = 3, numClasses = 1000, globalPool = 'avg', dropRate = 0, dropPathRate = 0 } = args;
    const cfg = args.cfg ?? {};
    const img = args.imgSize ?? 224;
    this.imgSize = toPair(typeof img === 'number' ? img : [img[0]!, img[1]!]);
    const convCfg = resolveConvCfg(cfg.convCfg);
    const tcfg = resolveTransformerCfg(cfg.transformerCfg, this.imgSize);
    const embedDim = cfg.embedDim ?? [96, 192, 384, 768];
    const depths = cfg.depths ?? [2, 3, 5, 2];
    const blockType = cfg.blockType ?? ['C', 'C', 'T', 'T'];
    if (depths.length !== embedDim.length || blockType.length !== embedDim.length) {
      throw new Error(`MaxxVit: embedDim (${embedDim.length}), depths (${depths.length}) and blockType (${blockType.length}) must have one entry per stage`);
    }
    this.numClasses = numClasses;
    this.inChans = inChans;
    this.numFeatures = embedDim[embedDim.length - 1]!;
    this.stem = this.addModule('stem', new MaxxVitStem(inChans, cfg.stemWidth ?? 64, convCfg.padding, cfg.stemBias ?? false, convCfg.actLayer, convCfg.normLayer, convCfg.normEps));
    this.featureInfo = [{ numChs: this.stem.outChs, reduction: 2, module: 'stem' }];
    let featSize: Pair = [Math.floor(this.imgSize[0] / 2), Math.floor(this.imgSize[1] / 2)];
    const dpr = stagewiseDropPath(dropPathRate, depths);
    let inChs = this.stem.outChs;
    let stride = 2;
    const stages: Module[] = [];
    embedDim.forEach((outChs, i) => {
      featSize = [Math.floor((featSize[0] - 1) / 2) + 1, Math.floor((featSize[1] - 1) / 2) + 1];
      stages.push(new MaxxVitStage(inChs, outChs, depths[i]!, featSize, blockType[i]!, convCfg, tcfg, dpr[i]!));
      stride *= 2;
      inChs = outChs;
      this.featureInfo.push({ numChs: outChs, reduction: stride, module: `stages.${i}` });
    });
    this.stages = this.addModule('stages', new Sequential(stages));
    const finalNorm = (chs: number) => norm(tcfg.normLayer, chs, tcfg.normEps);
    if (cfg.headHiddenSize) {
      this.norm = this.addModule('norm', new Identity());
      this.headHiddenSize = cfg.headHiddenSize;
      this.setClassifierHead('head', new NormMlpClassifierHead(this.numFeatures, numClasses, {
        hiddenSize: cfg.headHiddenSize, poolType: globalPool, dropRate, normLayer: finalNorm,
      }), numClasses);
    } else {
      this.headHiddenSize = this.numFeatures;
      this.norm = this.addModule('norm', finalNorm(this.numFeatures));
      this.setClassifierHead('head', new ClassifierHead(this.numFeatures, numClasses, { poolType: globalPool, dropRate }), numClasses);
    }
  }

  /** timm's `no_weight_decay`: relative position tables and MLPs. */
  override noWeightDecay(): string[] {
    return Object.keys(this.stateDict()).filter((k) => /relative_position_bias_table|rel_pos\.mlp/.test(k));
  }

  /** timm's `MaxxVit.group_matcher`. */
  override groupMatcher(_coarse = false): GroupMatcher {
    return { stem: '^stem', blocks: [[String.raw`^stages\.(\d+)`, null], ['^norm', [99999]]] };
  }

  protected computeFeatures(x: tf.Tensor): tf.Tensor {
    return this.norm.forward(this.stages.forward(this.stem.forward(x)));
  }

  /** timm's `forward_intermediates`: stem and the stages; `norm` on the last stage's map when asked, and on the final. */
  protected override computeIntermediates(x: tf.Tensor, o: ForwardIntermediatesOptions): IntermediatesResult {
    const last = this.stages.length;
    const { indices, stop } = this.takeIndices(last + 1, o);
    const intermediates: tf.Tensor[] = [];
    x = this.stem.forward(x);
    if (indices.includes(0)) intermediates.push(x);
    for (let i = 1; i < stop && i <= last; i++) {
      x = this.stages.at(i - 1).forward(x);
      if (indices.includes(i)) intermediates.push(o.norm && i === last ? this.norm.forward(x) : x);
    }
    return { final: stop > last ? this.norm.forward(x) : x, intermediates };
  }

  override pruneIntermediateLayers(indices: OutIndices = 1, pruneNorm = false, pruneHead = true): number[] {
    const last = this.stages.length;
    return this.pruneLevels(last + 1, indices, pruneHead, (maxIndex) => {
      for (let i = maxIndex; i < last; i++) this.stages.addModule(String(i), null);
      if (pruneNorm) this.norm = this.addModule('norm', new Identity());
    });
  }
}

/**
 * timm's maxxvit `checkpoint_filter_fn`: relative position tables of another window size (or any non-square window)
 * resized to the model's (timm's `resize_rel_pos_bias_table`, both the `[L, heads]` and TF `[heads, H, W]` forms), and
 * weights that only differ by 1×1 conv vs linear layout (`[o, i, 1, 1]` ↔ `[o, i]`) reshaped to the model's.
 */
export function checkpointFilterFn(sd: StateDict, model: VisionModel): StateDict {
  const own = new Map(model.namedParams().map(([k, p]) => [k, p.shape] as const));
  const out: StateDict = {};
  for (let [k, v] of Object.entries(sd)) {
    if (k.endsWith('relative_position_bias_table')) {
      const m = model.getSubmodule(k.slice(0, -'.relative_position_bias_table'.length)) as RelPosBias | RelPosBiasTf;
      const target = m.relativePositionBiasTable.shape;
      if (v.shape.join() !== target.join() || m.windowSize[0] !== m.windowSize[1]) {
        v = resizeRelPosBiasTable(v.data instanceof Float32Array ? v : { ...v, data: Float32Array.from(v.data as ArrayLike<number>) }, m.windowSize, target);
      }
    }
    const shape = own.get(k);
    if (shape && shape.length !== v.shape.length && shape.reduce((a, b) => a * b, 1) === v.shape.reduce((a, b) => a * b, 1)) v = { ...v, shape: [...shape] };
    out[k] = v;
  }
  return out;
}


