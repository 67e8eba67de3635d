import type * as tf from '@tensorflow/tfjs-core';
import * as tfc from '@tensorflow/tfjs-core';
import {
  type ActName, applyAct, ConvNormAct, DropPath, type ForwardIntermediatesOptions, type GroupMatcher, Identity,
  type IntermediatesResult, LayerNorm, LayerNorm2d, Linear, type VisionModel as Model,Module, NormMlpClassifierHead, OffsetBiasAttention,
  type OutIndices, resizeOffsetBiasTable, resolveAct, Sequential, type StateDict, sliceTensor, 
  VisionModel, windowPartition, windowReverse,
} from '@zoo/core';

export interface TinyVitArgs {
  inChans?: number;
  numClasses?: number;
  /** 'avg' (default), 'max', … or '' (no pooling). */
  globalPool?: string;
  /** Width of each stage (the first is the MBConv stage). */
  embedDims?: readonly number[];
  depths?: readonly number[];
  /** Attention heads per stage (the first, convolutional, stage ignores its entry). */
  numHeads?: readonly number[];
  /** Attention window per stage (the first stage ignores its entry); maps that are not whole windows are padded. */
  windowSizes?: readonly number[];
  mlpRatio?: number;
  dropRate?: number;
  dropPathRate?: number;
  /** timm's gradient checkpointing switch: memory only, accepted and ignored here. */
  useCheckpoint?: boolean;
  mbconvExpandRatio?: number;
  /** Kernel of the depthwise conv between a block's attention and its MLP. */
  localConvSize?: number;
  actLayer?: string;
}

const ARG_NAMES: readonly (keyof TinyVitArgs)[] = [
  'inChans', 'numClasses', 'globalPool', 'embedDims', 'depths', 'numHeads', 'windowSizes', 'mlpRatio', 'dropRate',
  'dropPathRate', 'useCheckpoint', 'mbconvExpandRatio', 'localConvSize', 'actLayer',
] as const satisfies readonly (keyof TinyVitArgs)[];

/** timm's TinyViT `ConvNorm`: a bias-free conv then BatchNorm (folded for inference), with an optional activation after it. Keys: conv, bn. */
const convNorm = (inChs: number, outChs: number, k: number, o: { stride?: number; groups?: number; act?: ActName | null } = {}) =>
  new ConvNormAct(inChs, outChs, k, { stride: o.stride ?? 1, padding: Math.floor(k / 2), groups: o.groups ?? 1, actLayer: o.act ?? null });

const dropPathOr = (p: number): Module => (p > 0 ? new DropPath(p) : new Identity());

/** timm's TinyViT `PatchEmbed`: two 3×3/2 ConvNorms with the activation between them (stride 4). Keys: conv1, conv2. */
export class TinyVitPatchEmbed extends Module {
  readonly stride = 4;
  readonly conv1: ConvNormAct;
  readonly conv2: ConvNormAct;
  constructor(inChs: number, outChs: number, act: ActName) {
    super();
    this.conv1 = this.addModule('conv1', convNorm(inChs, outChs / 2, 3, { stride: 2, act }));
    this.conv2 = this.addModule('conv2', convNorm(outChs / 2, outChs, 3, { stride: 2 }));
  }
  override forward(x: tf.Tensor): tf.Tensor {
    return this.conv2.forward(this.conv1.forward(x));
  }
}

/** timm's TinyViT `MBConv`: 1×1 expand, 3×3 depthwise, 1×1 project (ConvNorms), residual, then the activation. */
export class MBConv extends Module {
  readonly conv1: ConvNormAct;
  readonly conv2: ConvNormAct;
  readonly conv3: ConvNormAct;
  readonly dropPath: Module;
  constructor(inChs: number, outChs: number, expandRatio: number, readonly act: ActName, dropPath: number) {
    super();
    const mid = Math.trunc(inChs * expandRatio);
    this.conv1 = this.addModule('conv1', convNorm(inChs, mid, 1, { act }));
    this.conv2 = this.addModule('conv2', convNorm(mid, mid, 3, { groups: mid, act }));
    this.conv3 = this.addModule('conv3', convNorm(mid, outChs, 1));
    this.dropPath = this.addModule('drop_path', dropPathOr(dropPath));
  }
  override forward(x: tf.Tensor): tf.Tensor {
    const y = this.conv3.forward(this.conv2.forward(this.conv1.forward(x)));
    return applyAct(this.act, tfc.add(x, this.dropPath.forward(y)));
  }
}

/** timm's TinyViT `PatchMerging`: 1×1, 3×3/2 depthwise, 1×1 ConvNorms (activations after the first two). */
export class TinyVitPatchMerging extends Module {
  readonly conv1: ConvNormAct;
  readonly conv2: ConvNormAct;
  readonly conv3: ConvNormAct;
  constructor(dim: number, outDim: number, act: ActName) {
    super();
    this.conv1 = this.addModule('conv1', convNorm(dim, outDim, 1, { act }));
    this.conv2 = this.addModule('conv2', convNorm(outDim, outDim, 3, { stride: 2, groups: outDim, act }));
    this.conv3 = this.addModule('conv3', convNorm(outDim, outDim, 1));
  }
  override forward(x: tf.Tensor): tf.Tensor {
    return this.conv3.forward(this.conv2.forward(this.conv1.forward(x)));
  }
}

/** timm's TinyViT `ConvLayer`: the first stage, a run of MBConvs at constant width. Keys: blocks.N. */
export class TinyVitConvLayer extends Module {
  readonly blocks: Sequential;
  constructor(dim: number, depth: number, act: ActName, dropPath: readonly number[], expandRatio: number) {
    super();
    const blocks: Module[] = [];
    for (let i = 0; i < depth; i++) blocks.push(new MBConv(dim, dim, expandRatio, act, dropPath[i] ?? 0));
    this.blocks = this.addModule('blocks', new Sequential(blocks));
  }
  override forward(x: tf.Tensor): tf.Tensor {
    return this.blocks.forward(x);
  }
}

/** timm's TinyViT `NormMlp`: LayerNorm (eps 1e-5), fc1, act, fc2. Keys: norm, fc1, fc2. */
export class NormMlp extends Module {
  readonly norm: LayerNorm;
  readonly fc1: Linear;
  readonly fc2: Linear;
  constructor(inFeatures: number, hidden: number, readonly act: ActName) {
    super();
    this.norm = this.addModule('norm', new LayerNorm(inFeatures));
    this.fc1 = this.addModule('fc1', new Linear(inFeatures, hidden));
    this.fc2 = this.addModule('fc2', new Linear(hidden, inFeatures));
  }
  override forward(x: tf.Tensor): tf.Tensor {
    return this.fc2.forward(this.fc1.forwardAct(this.norm.forward(x), this.act));
  }
}

/**
 * timm's `TinyVitBlock` on an NHWC map: attention with offset biases inside `windowSize` windows (the map padded at
 * the bottom and right with zeros up to whole windows, as timm pads, and cropped back after), a residual; the local
 * depthwise ConvNorm; then the MLP with a residual. Keys: attn, mlp, local_conv.
 */
export class TinyVitBlock extends Module {
  readonly attn: OffsetBiasAttention;
  readonly dropPath1: Module;
  readonly mlp: NormMlp;
  readonly dropPath2: Module;
  readonly localConv: ConvNormAct;
  constructor(readonly dim: number, numHeads: number, readonly windowSize: number, mlpRatio: number, dropPath: number, localConvSize: number, act: ActName) {
    super();
    if (windowSize <= 0) throw new Error(`TinyVitBlock: windowSize must be positive, got ${windowSize}`);
    if (dim % numHeads !== 0) throw new Error(`TinyVitBlock: dim ${dim} is not divisible by numHeads ${numHeads}`);
    this.attn = this.addModule('attn', new OffsetBiasAttention(dim, dim / numHeads, { numHeads, attnRatio: 1, resolution: [windowSize, windowSize], preNorm: true }));
    this.dropPath1 = this.addModule('drop_path1', dropPathOr(dropPath));
    this.mlp = this.addModule('mlp', new NormMlp(dim, Math.trunc(dim * mlpRatio), act));
    this.dropPath2 = this.addModule('drop_path2', dropPathOr(dropPath));
    this.localConv = this.addModule('local_conv', convNorm(dim, dim, localConvSize, { groups: dim }));
  }

  /** The windowed attention of an NHWC map, same shape out. */
  private windowAttention(x: tf.Tensor): tf.Tensor {
    const [B, H, W, C] = x.shape as [number, number, number, number];
    const ws = this.windowSize;
    if (H === ws && W === ws) return tfc.reshape(this.attn.forward(tfc.reshape(x, [B, H * W, C])), [B, H, W, C]);
    const padB = (ws - (H % ws)) % ws;
    const padR = (ws - (W % ws)) % ws;
    const padded = padB || padR ? tfc.pad(x, [[0, 0], [0, padB], [0, padR], [0, 0]]) : x;
    const [pH, pW] = [H + padB, W + padR];
    const windows = tfc.reshape(windowPartition(padded, [ws, ws]), [-1, ws * ws, C]);
    const y = windowReverse(tfc.reshape(this.attn.forward(windows), [-1, ws, ws, C]), [ws, ws], pH, pW);
    return padB || padR ? sliceTensor(y, [0, 0, 0, 0], [B, H, W, C]) : y;
  }

  override forward(x: tf.Tensor): tf.Tensor {
    x = tfc.add(x, this.dropPath1.forward(this.windowAttention(x)));
    x = this.localConv.forward(x);
    return tfc.add(x, this.dropPath2.forward(this.mlp.forward(x)));
  }
}

/** timm's `TinyVitStage`: PatchMerging (stride 2) to `outDim`, then the TinyVitBlocks. Keys: downsample, blocks.N. */
export class TinyVitStage extends Module {
  readonly downsample: TinyVitPatchMerging;
  readonly blocks: Sequential;
  constructor(dim: number, outDim: number, depth: number, numHeads: number, windowSize: number, mlpRatio: number, dropPath: readonly number[], localConvSize: number, act: ActName) {
    super();
    this.downsample = this.addModule('downsample', new TinyVitPatchMerging(dim, outDim, act));
    const blocks: Module[] = [];
    for (let i = 0; i < depth; i++) blocks.push(new TinyVitBlock(outDim, numHeads, windowSize, mlpRatio, dropPath[i] ?? 0, localConvSize, act));
    this.blocks = this.addModule('blocks', new Sequential(blocks));
  }
  override forward(x: tf.Tensor): tf.Tensor {
    return this.blocks.forward(this.downsample.forward(x));
  }
}

/** timm's `calculate_drop_path_rates` for a linear rule: `n` rates from 0 to `rate`. */
function dropPathRates(rate: number, n: number): number[] {
  return Array.from({ length: n }, (_, i) => (n > 1 ? (rate * i) / (n - 1) : 0));
}

/**
 * timm's `TinyVit` on NHWC input: a stride-4 ConvNorm patch embed, an MBConv stage, then stages of PatchMerging and
 * windowed attention blocks with offset biases, and the NormMlpClassifierHead (pool → LayerNorm2d → fc). Every
 * BatchNorm is folded into its conv in eval mode. State-dict keys are timm's: patch_embed.conv{1,2}.{conv,bn},
 * stages.0.blocks.N.conv{1,2,3}, stages.N.{downsample.conv{1,2,3},blocks.M.{attn,mlp,local_conv}}, head.{norm,fc}.
 */
export class TinyVit extends VisionModel {
  static readonly argNames: readonly (keyof TinyVitArgs)[] = ARG_NAMES;
  numClasses: number;
  numFeatures: number;
  headHiddenSize: number;
  readonly inChans: number;
  readonly patchEmbed: TinyVitPatchEmbed;
  readonly stages: Sequential;
  readonly head: NormMlpClassifierHead;
  private readonly numStages: number;

  constructor(args: TinyVitArgs = {}) {
    super();
    const {
      inChans = 3, numClasses = 1000, globalPool = 'avg', embedDims = [96, 192, 384, 768], depths = [2, 2, 6, 2],
      numHeads = [3, 6, 12, 24], windowSizes = [7, 7, 14, 7], mlpRatio = 4, dropPathRate = 0.1, mbconvExpandRatio = 4,
      localConvSize = 3, actLayer = 'gelu',
    } = args;
    const n = depths.length;
    for (const [name, v] of [['embedDims', embedDims], ['numHeads', numHeads], ['windowSizes', windowSizes]] as const) {
      if (v.length !== n) throw new Error(`TinyVit: ${name} needs ${n} values (one per stage, as depths), got ${JSON.stringify(v)}`);
    }
    const act = resolveAct(actLayer);
    this.inChans = inChans;
    this.numClasses = numClasses;
    this.numStages = n;
    this.patchEmbed = this.addModule('patch_embed', new TinyVitPatchEmbed(inChans, embedDims[0]!, act));
    const dpr = dropPathRates(dropPathRate, depths.reduce((a, b) => a + b, 0));
    const stages: Module[] = [];
    let stride = this.patchEmbed.stride;
    let start = 0;
    for (let i = 0; i < n; i++) {
      const rates = dpr.slice(start, start + depths[i]!);
      start += depths[i]!;
      if (i === 0) {
        stages.push(new TinyVitConvLayer(embedDims[0]!, depths[0]!, act, rates, mbconvExpandRatio));
      } else {
        stages.push(new TinyVitStage(embedDims[i - 1]!, embedDims[i]!, depths[i]!, numHeads[i]!, windowSizes[i]!, mlpRatio, rates, localConvSize, act));
        stride *= 2;
      }
      this.featureInfo.push({ numChs: embedDims[i]!, reduction: stride, module: `stages.${i}` });
    }
    this.stages = this.addModule('stages', new Sequential(stages));
    this.numFeatures = this.headHiddenSize = embedDims[n - 1]!;
    const head = new NormMlpClassifierHead(this.numFeatures, numClasses, { poolType: globalPool, normLayer: (d) => new LayerNorm2d(d, { eps: 1e-5 }) });
    this.head = this.setClassifierHead('head', head, numClasses);
  }

  /** timm's `no_weight_decay`: every attention bias table. */
  override noWeightDecay(): string[] {
    return Object.keys(this.stateDict()).filter((k) => k.includes('attention_biases'));
  }

  /** timm's `group_matcher` (its patterns, as timm writes them). */
  override groupMatcher(coarse = false): GroupMatcher {
    return {
      stem: '^patch_embed',
      blocks: coarse ? String.raw`^stages\.(\d+)` : [[String.raw`^stages\.(\d+).downsample`, [0]], [String.raw`^stages\.(\d+)\.\w+\.(\d+)`, null]],
    };
  }

  protected computeFeatures(x: tf.Tensor): tf.Tensor {
    return this.stages.forward(this.patchEmbed.forward(x));
  }

  /** The stage outputs (NHWC; timm's are NCHW) named by `indices`; with `stopEarly` the later stages do not run. */
  protected override computeIntermediates(x: tf.Tensor, o: ForwardIntermediatesOptions): IntermediatesResult {
    const { indices, stop } = this.takeIndices(this.numStages, o);
    const maps: tf.Tensor[] = [];
    let y = this.patchEmbed.forward(x);
    for (const [, stage] of this.stages.namedChildren().slice(0, stop)) {
      y = stage.forward(y);
      maps.push(y);
    }
    return { final: y, intermediates: indices.map((i) => maps[i]!) };
  }

  /** timm's `prune_intermediate_layers`: the stages after the last taken one become identities (and the head goes unless told). */
  override pruneIntermediateLayers(indices: OutIndices = 1, _pruneNorm = false, pruneHead = true): number[] {
    return this.pruneLevels(this.numStages, indices, pruneHead, (maxIndex) => {
      for (let i = maxIndex + 1; i < this.numStages; i++) this.stages.addModule(String(i), new Identity());
    });
  }
}

/** The module at `path`, or null where the model has none (the loader then reports the key as unexpected). */
function submodule(model: Model, path: string): Module | null {
  try {
    return model.getSubmodule(path);
  } catch {
    return null;
  }
}

/**
 * timm's `checkpoint_filter_fn` for TinyViT: drops the (non-persistent) `attention_bias_idxs` and resizes each
 * `attention_biases` table to the model's window (timm's `resize_rel_pos_bias_table_levit`, bicubic), so weights
 * trained at one resolution load into a model built for another.
 */
export function checkpointFilterFn(sd: StateDict, model: Model): StateDict {
  const out: StateDict = {};
  for (let [k, v] of Object.entries(sd)) {
    if (k.endsWith('attention_bias_idxs')) continue;
    const attn = k.endsWith('.attention_biases') ? submodule(model, k.slice(0, -'.attention_biases'.length)) : null;
    if (attn instanceof OffsetBiasAttention) {
      const data = v.data instanceof Float32Array ? v : { ...v, data: Float32Array.from(v.data as ArrayLike<number>) };
      v = resizeOffsetBiasTable(data, attn.attentionBiases.shape);
    }
    out[k] = v;
  }
  return out;
}
