import type * as tf from '@tensorflow/tfjs-core';
import * as tfc from '@tensorflow/tfjs-core';
import {
  Activation, type ActName, BnLinear, ConvBn, DropPath, type ForwardIntermediatesOptions, type GroupMatcher, Identity,
  type IntermediatesResult, LinearBn, Module, type OutIndices, type Param, resolveAct, Sequential, type StateDict, toPair,
  VisionModel,
} from '@zoo/core';

export interface LevitArgs {
  /** The input size the attention biases are laid out for (LeViT's input size is fixed). */
  imgSize?: number | readonly [number, number];
  inChans?: number;
  numClasses?: number;
  embedDim?: readonly number[];
  keyDim?: number;
  depth?: readonly number[];
  numHeads?: number | readonly number[];
  attnRatio?: number | readonly number[];
  mlpRatio?: number | readonly number[];
  /** 's16' (four 3×3/2 convs) or 's8' (three). */
  stemType?: 's16' | 's8';
  /** timm's `down_op`: 'subsample' (the only one timm builds). */
  downOp?: string;
  actLayer?: string;
  attnActLayer?: string | null;
  /** 1×1 convs over NCHW maps (`levit_conv_*`; weights `[out, in, 1, 1]`) instead of linears over tokens. */
  useConv?: boolean;
  /** 'avg' or '' (no pooling). */
  globalPool?: string;
  /** A second (distillation) head whose logits are averaged with the first at inference (timm's `LevitDistilled`). */
  distilled?: boolean;
  dropRate?: number;
  dropPathRate?: number;
}

const ARG_NAMES: readonly (keyof LevitArgs)[] = [
  'imgSize', 'inChans', 'numClasses', 'embedDim', 'keyDim', 'depth', 'numHeads', 'attnRatio', 'mlpRatio', 'stemType',
  'downOp', 'actLayer', 'attnActLayer', 'useConv', 'globalPool', 'distilled', 'dropRate', 'dropPathRate',
];

function perStage(name: string, v: number | readonly number[], n: number): number[] {
  if (typeof v === 'number') return new Array<number>(n).fill(v);
  if (v.length !== n) throw new Error(`Levit: ${name} needs ${n} values (one per stage), got ${JSON.stringify(v)}`);
  return [...v];
}

/** A projection with BatchNorm: a linear over the last axis, or (conv mode) a 1×1 conv over NHWC maps; same math. */
type NormProj = LinearBn | ConvBn;
const normProj = (useConv: boolean, inF: number, outF: number): NormProj => (useConv ? new ConvBn(inF, outF, 1) : new LinearBn(inF, outF));

/** Every position pair's bias index: |Δrow|·W + |Δcol| for queries on a grid with `stride` over keys on `[H, W]`. */
function biasIndices([h, w]: [number, number], stride: number): Int32Array {
  const q: [number, number][] = [];
  for (let i = 0; i < h; i += stride) for (let j = 0; j < w; j += stride) q.push([i, j]);
  const idx = new Int32Array(q.length * h * w);
  let n = 0;
  for (const [qi, qj] of q) for (let i = 0; i < h; i++) for (let j = 0; j < w; j++) idx[n++] = Math.abs(qi - i) * w + Math.abs(qj - j);
  return idx;
}

/**
 * What timm's LeViT attentions share: per-head biases `attention_biases` `[heads, H·W]` looked up by the offset between
 * a query and a key position, added to the scaled scores before the softmax; then act → projection with BN.
 */
abstract class BiasedAttention extends Module {
  readonly attentionBiases: Param;
  readonly proj: Sequential;
  protected readonly scale: number;
  private readonly idx: Int32Array;
  private readonly nq: number;
  constructor(
    protected readonly numHeads: number, protected readonly keyDim: number, protected readonly valDim: number,
    protected readonly resolution: [number, number], stride: number, outDim: number, act: ActName, useConv: boolean,
  ) {
    super();
    this.scale = keyDim ** -0.5;
    const nk = resolution[0] * resolution[1];
    this.nq = Math.ceil(resolution[0] / stride) * Math.ceil(resolution[1] / stride);
    this.idx = biasIndices(resolution, stride);
    this.attentionBiases = this.addParam('attention_biases', [numHeads, nk], { init: { kind: 'zeros' } });
    // Registered by the subclass after its input projections, for timm's state-dict order.
    this.proj = new Sequential([]);
    this.proj.addModule('act', new Activation(act));
    this.proj.addModule('ln', normProj(useConv, valDim * numHeads, outDim));
  }

  /** The bias for each head, query and key: `[heads, Nq, Nk]`. */
  private biases(): tf.Tensor {
    const nk = this.resolution[0] * this.resolution[1];
    const gathered = tfc.gather(this.attentionBiases.value, tfc.tensor1d(this.idx, 'int32'), 1);
    return tfc.reshape(gathered, [this.numHeads, this.nq, nk]);
  }

  /**
   * softmax(q·kᵀ·scale + bias)·v for `q` `[B, heads, Nq, keyDim]`, `k` `[B, heads, Nk, keyDim]`, `v`
   * `[B, heads, Nk, valDim]`; then the projection, on the NHWC map `[B, oh, ow, heads·valDim]`.
   */
  protected attend(q: tf.Tensor, k: tf.Tensor, v: tf.Tensor, oh: number, ow: number): tf.Tensor {
    const B = q.shape[0]!;
    const H = this.numHeads;
    const nq = q.shape[2]!;
    const nk = k.shape[2]!;
    if (nq !== this.nq || nk !== this.resolution[0] * this.resolution[1]) {
      throw new Error(`Levit: attention laid out for a ${this.resolution.join('×')} map got ${nk} positions; LeViT's input size is fixed (build it with imgSize)`);
    }
    const scores = tfc.add(tfc.mul(tfc.matMul(q, k, false, true), this.scale), this.biases());
    const attn = tfc.reshape(tfc.softmax(scores, -1), [B * H, nq, nk]) as tf.Tensor3D;
    const o = tfc.matMul(attn, tfc.reshape(v, [B * H, nk, this.valDim]) as tf.Tensor3D);
    const y = tfc.reshape(tfc.transpose(tfc.reshape(o, [B, H, nq, this.valDim]), [0, 2, 1, 3]), [B, oh, ow, H * this.valDim]);
    return this.proj.forward(y);
  }
}

/** Splits a `[B, h, w, heads·(parts…)]` projection into per-head parts `[B, heads, h·w, part]`. */
function headParts(x: tf.Tensor, heads: number, parts: number[]): tf.Tensor[] {
  const [B, h, w] = x.shape as [number, number, number, number];
  const t = tfc.transpose(tfc.reshape(x, [B, h * w, heads, -1]), [0, 2, 1, 3]);
  return tfc.split(t, parts, 3);
}

/** timm's LeViT `Attention`: one projection to q, k, v per head; keys qkv, proj.ln, attention_biases. */
export class LevitAttention extends BiasedAttention {
  readonly qkv: NormProj;
  constructor(dim: number, keyDim: number, numHeads: number, attnRatio: number, resolution: [number, number], useConv: boolean, act: ActName) {
    const valDim = Math.trunc(attnRatio * keyDim);
    super(numHeads, keyDim, valDim, resolution, 1, dim, act, useConv);
    this.qkv = this.addModule('qkv', normProj(useConv, dim, (valDim + 2 * keyDim) * numHeads));
    this.addModule('proj', this.proj);
  }
  override forward(x: tf.Tensor): tf.Tensor {
    const [q, k, v] = headParts(this.qkv.forward(x), this.numHeads, [this.keyDim, this.keyDim, this.valDim]);
    return this.attend(q!, k!, v!, x.shape[1]!, x.shape[2]!);
  }
}

/** timm's LeViT query subsampling: every `stride`-th row and column of the NHWC map (`x[:, ::s, ::s]`). */
export class Subsample extends Module {
  constructor(readonly stride: number) {
    super();
  }
  override forward(x: tf.Tensor): tf.Tensor {
    const [B, h, w, c] = x.shape as [number, number, number, number];
    return tfc.stridedSlice(x, [0, 0, 0, 0], [B, h, w, c], [1, this.stride, this.stride, 1]);
  }
}

/**
 * timm's `AttentionDownsample`: keys and values from every position, queries from the subsampled map, so the output
 * map is `ceil(h / stride)` on a side. Keys: kv, q.ln, proj.ln, attention_biases.
 */
export class AttentionDownsample extends BiasedAttention {
  readonly kv: NormProj;
  readonly q: Sequential;
  constructor(inDim: number, outDim: number, keyDim: number, numHeads: number, attnRatio: number, stride: number, resolution: [number, number], useConv: boolean, act: ActName) {
    const valDim = Math.trunc(attnRatio * keyDim);
    super(numHeads, keyDim, valDim, resolution, stride, outDim, act, useConv);
    this.kv = this.addModule('kv', normProj(useConv, inDim, (valDim + keyDim) * numHeads));
    this.q = this.addModule('q', new Sequential([]));
    this.q.addModule('down', new Subsample(stride));
    this.q.addModule('ln', normProj(useConv, inDim, keyDim * numHeads));
    this.addModule('proj', this.proj);
  }
  override forward(x: tf.Tensor): tf.Tensor {
    const [k, v] = headParts(this.kv.forward(x), this.numHeads, [this.keyDim, this.valDim]);
    const qMap = this.q.forward(x);
    const [q] = headParts(qMap, this.numHeads, [this.keyDim]);
    return this.attend(q!, k!, v!, qMap.shape[1]!, qMap.shape[2]!);
  }
}

/** timm's `LevitMlp`: projection with BN → act → projection with BN. Keys: ln1, ln2. */
export class LevitMlp extends Module {
  readonly ln1: NormProj;
  readonly ln2: NormProj;
  constructor(inF: number, hidden: number, useConv: boolean, readonly act: ActName) {
    super();
    this.ln1 = this.addModule('ln1', normProj(useConv, inF, hidden));
    this.addModule('act', new Activation(act));
    this.ln2 = this.addModule('ln2', normProj(useConv, hidden, inF));
  }
  override forward(x: tf.Tensor): tf.Tensor {
    return this.ln2.forward(this.ln1.forwardAct(x, this.act));
  }
}

interface BlockOpts {
  keyDim: number;
  useConv: boolean;
  act: ActName;
  attnAct: ActName;
  dropPath: number;
}

const dropPathOr = (p: number): Module => (p > 0 ? new DropPath(p) : new Identity());

/** timm's `LevitDownsample`: attention downsample, then the MLP with a residual. Keys: attn_downsample, mlp. */
export class LevitDownsample extends Module {
  readonly attnDownsample: AttentionDownsample;
  readonly mlp: LevitMlp;
  readonly dropPath: Module;
  constructor(inDim: number, outDim: number, resolution: [number, number], o: BlockOpts) {
    super();
    this.attnDownsample = this.addModule('attn_downsample', new AttentionDownsample(inDim, outDim, o.keyDim, inDim / o.keyDim, 4, 2, resolution, o.useConv, o.attnAct));
    this.mlp = this.addModule('mlp', new LevitMlp(outDim, outDim * 2, o.useConv, o.act));
    this.dropPath = this.addModule('drop_path', dropPathOr(o.dropPath));
  }
  override forward(x: tf.Tensor): tf.Tensor {
    x = this.attnDownsample.forward(x);
    return tfc.add(x, this.dropPath.forward(this.mlp.forward(x)));
  }
}

/** timm's `LevitBlock`: attention and MLP, each with a residual. Keys: attn, mlp. */
export class LevitBlock extends Module {
  readonly attn: LevitAttention;
  readonly mlp: LevitMlp;
  readonly dropPath1: Module;
  readonly dropPath2: Module;
  constructor(dim: number, numHeads: number, attnRatio: number, mlpRatio: number, resolution: [number, number], o: BlockOpts) {
    super();
    this.attn = this.addModule('attn', new LevitAttention(dim, o.keyDim, numHeads, attnRatio, resolution, o.useConv, o.attnAct));
    this.dropPath1 = this.addModule('drop_path1', dropPathOr(o.dropPath));
    this.mlp = this.addModule('mlp', new LevitMlp(dim, Math.trunc(dim * mlpRatio), o.useConv, o.act));
    this.dropPath2 = this.addModule('drop_path2', dropPathOr(o.dropPath));
  }
  override forward(x: tf.Tensor): tf.Tensor {
    x = tfc.add(x, this.dropPath1.forward(this.attn.forward(x)));
    return tfc.add(x, this.dropPath2.forward(this.mlp.forward(x)));
  }
}

/** timm's `LevitStage`: an optional LevitDownsample (stride 2), then the blocks. Keys: downsample, blocks.N. */
export class LevitStage extends Module {
  readonly downsample: Module;
  readonly blocks: Sequential;
  constructor(inDim: number, outDim: number, depth: number, numHeads: number, attnRatio: number, mlpRatio: number, resolution: [number, number], downsample: boolean, o: BlockOpts) {
    super();
    if (downsample) {
      this.downsample = this.addModule('downsample', new LevitDownsample(inDim, outDim, resolution, o));
      resolution = [Math.floor((resolution[0] - 1) / 2) + 1, Math.floor((resolution[1] - 1) / 2) + 1];
    } else {
      if (inDim !== outDim) throw new Error(`LevitStage: without downsample inDim (${inDim}) must equal outDim (${outDim})`);
      this.downsample = this.addModule('downsample', new Identity());
    }
    const blocks: Module[] = [];
    for (let i = 0; i < depth; i++) blocks.push(new LevitBlock(outDim, numHeads, attnRatio, mlpRatio, resolution, o));
    this.blocks = this.addModule('blocks', new Sequential(blocks));
  }
  override forward(x: tf.Tensor): tf.Tensor {
    return this.blocks.forward(this.downsample.forward(x));
  }
}

/** timm's Stem16 / Stem8: 3×3/2 convs with BN (conv1…), the activation between them (act1…). */
export class LevitStem extends Module {
  readonly convs: ConvBn[] = [];
  readonly stride: number;
  constructor(inChs: number, outChs: number, numConvs: 3 | 4, readonly act: ActName) {
    super();
    this.stride = 2 ** numConvs;
    let c = inChs;
    for (let i = 1; i <= numConvs; i++) {
      const out = outChs / 2 ** (numConvs - i);
      this.convs.push(this.addModule(`conv${i}`, new ConvBn(c, out, 3, { stride: 2, padding: 1 })));
      if (i < numConvs) this.addModule(`act${i}`, new Activation(act));
      c = out;
    }
  }
  override forward(x: tf.Tensor): tf.Tensor {
    const last = this.convs.length - 1;
    this.convs.forEach((conv, i) => {
      x = conv.forwardAct(x, i < last ? this.act : 'identity');
    });
    return x;
  }
}

/**
 * timm's `Levit` and `LevitDistilled` (`distilled: true`) on NHWC input. Linear (`levit_*`) and conv (`levit_conv_*`)
 * models compute the same thing: both run here on NHWC maps (a linear over the last axis is a 1×1 conv), and differ
 * in their weight shapes and in what `forwardFeatures` returns: tokens `[B, N, C]` for linear models, the NHWC map
 * for conv models, as timm. Every BatchNorm is folded into its linear / conv in eval mode. State-dict keys are timm's:
 * stem.convN.{linear,bn}, stages.N.{downsample.{attn_downsample,mlp},blocks.M.{attn,mlp}}, head(_dist).{bn,linear}.
 */
export class Levit extends VisionModel {
  static readonly argNames: readonly (keyof LevitArgs)[] = ARG_NAMES;
  numClasses: number;
  numFeatures: number;
  headHiddenSize: number;
  readonly inChans: number;
  readonly useConv: boolean;
  readonly distilled: boolean;
  globalPool: string;
  readonly stem: LevitStem;
  readonly stages: Sequential;
  head: Module;
  headDist: Module | null;
  private readonly numStages: number;

  constructor(args: LevitArgs = {}) {
    super();
    const {
      imgSize = 224, inChans = 3, numClasses = 1000, embedDim = [192], keyDim = 64, depth = [12], numHeads = [3],
      attnRatio = 2, mlpRatio = 2, stemType = 's16', downOp = 'subsample', actLayer = 'hard_swish', attnActLayer = null,
      useConv = false, globalPool = 'avg', distilled = false, dropPathRate = 0,
    } = args;
    const n = embedDim.length;
    if (depth.length !== n) throw new Error(`Levit: depth needs ${n} values (one per stage), got ${JSON.stringify(depth)}`);
    if (stemType !== 's16' && stemType !== 's8') throw new Error(`Levit: stemType must be 's16' or 's8', got '${stemType}'`);
    if (downOp !== 'subsample') throw new Error(`Levit: downOp must be 'subsample' (timm's only one), got '${downOp}'`);
    const heads = perStage('numHeads', numHeads, n);
    const attnRatios = perStage('attnRatio', attnRatio, n);
    const mlpRatios = perStage('mlpRatio', mlpRatio, n);
    const act = resolveAct(actLayer);
    const attnAct = resolveAct(attnActLayer ?? actLayer);
    this.inChans = inChans;
    this.numClasses = numClasses;
    this.useConv = useConv;
    this.distilled = distilled;
    this.globalPool = globalPool;
    this.numStages = n;
    this.numFeatures = this.headHiddenSize = embedDim[n - 1]!;

    this.stem = this.addModule('stem', new LevitStem(inChans, embedDim[0]!, stemType === 's16' ? 4 : 3, act));
    let stride = this.stem.stride;
    const size = toPair(typeof imgSize === 'number' ? imgSize : [...imgSize]);
    let resolution: [number, number] = [Math.floor(size[0] / stride), Math.floor(size[1] / stride)];
    const opts: BlockOpts = { keyDim, useConv, act, attnAct, dropPath: dropPathRate };
    const stages: Module[] = [];
    let inDim = embedDim[0]!;
    for (let i = 0; i < n; i++) {
      const s = i > 0 ? 2 : 1;
      stages.push(new LevitStage(inDim, embedDim[i]!, depth[i]!, heads[i]!, attnRatios[i]!, mlpRatios[i]!, resolution, s === 2, opts));
      stride *= s;
      resolution = [Math.floor((resolution[0] - 1) / s) + 1, Math.floor((resolution[1] - 1) / s) + 1];
      this.featureInfo.push({ numChs: embedDim[i]!, reduction: stride, module: `stages.${i}` });
      inDim = embedDim[i]!;
    }
    this.stages = this.addModule('stages', new Sequential(stages));
    this.head = this.addModule('head', numClasses > 0 ? new BnLinear(this.numFeatures, numClasses) : new Identity());
    this.headDist = distilled ? this.addModule('head_dist', numClasses > 0 ? new BnLinear(this.numFeatures, numClasses) : new Identity()) : null;
  }

  /** timm's `no_weight_decay`: every attention bias table. */
  override noWeightDecay(): string[] {
    return Object.keys(this.stateDict()).filter((k) => k.includes('attention_biases'));
  }

  /** timm's `group_matcher` (its patterns, as timm writes them). */
  override groupMatcher(_coarse = false): GroupMatcher {
    return { stem: '^cls_token|pos_embed|patch_embed', blocks: [[String.raw`^blocks\.(\d+)`, null], ['^norm', [99999]]] };
  }

  /** The stem's NHWC map through the stages. */
  private trunk(x: tf.Tensor): tf.Tensor {
    return this.stages.forward(this.stem.forward(x));
  }

  protected computeFeatures(x: tf.Tensor): tf.Tensor {
    const y = this.trunk(x);
    if (this.useConv) return y;
    const [B, h, w, c] = y.shape as [number, number, number, number];
    return tfc.reshape(y, [B, h * w, c]);
  }

  protected override computeHead(x: tf.Tensor, preLogits: boolean): tf.Tensor {
    if (this.globalPool === 'avg') x = tfc.mean(x, x.rank === 4 ? [1, 2] : 1);
    if (preLogits) return x;
    const y = this.head.forward(x);
    if (!this.headDist) return y;
    return tfc.div(tfc.add(y, this.headDist.forward(x)), 2);
  }

  override resetClassifier(numClasses: number, globalPool?: string): void {
    this.numClasses = numClasses;
    if (globalPool !== undefined) this.globalPool = globalPool;
    this.head = this.addModule('head', numClasses > 0 ? new BnLinear(this.numFeatures, numClasses) : new Identity());
    if (this.distilled) this.headDist = this.addModule('head_dist', numClasses > 0 ? new BnLinear(this.numFeatures, numClasses) : new Identity());
  }

  override getClassifier(): Module {
    return this.head;
  }

  protected override computeIntermediates(x: tf.Tensor, o: ForwardIntermediatesOptions): IntermediatesResult {
    const { indices, stop } = this.takeIndices(this.numStages, o);
    const intermediates: tf.Tensor[] = [];
    x = this.stem.forward(x);
    for (let i = 0; i < stop; i++) {
      x = this.stages.at(i).forward(x);
      if (indices.includes(i)) intermediates.push(x);
    }
    if (!this.useConv) {
      const [B, h, w, c] = x.shape as [number, number, number, number];
      x = tfc.reshape(x, [B, h * w, c]);
    }
    return { final: x, intermediates };
  }

  override pruneIntermediateLayers(indices: OutIndices = 1, _pruneNorm = false, pruneHead = true): number[] {
    return this.pruneLevels(this.numStages, indices, pruneHead, (maxIndex) => {
      for (let i = maxIndex + 1; i < this.numStages; i++) this.stages.addModule(String(i), new Identity());
    });
  }
}

/** timm's `checkpoint_filter_fn` for LeViT: drops the (never meant to be persistent) `attention_bias_idxs`. */
export function checkpointFilterFn(sd: StateDict): StateDict {
  const out: StateDict = {};
  for (const [k, v] of Object.entries(sd)) if (!k.includes('attention_bias_idxs')) out[k] = v;
  return out;
}
