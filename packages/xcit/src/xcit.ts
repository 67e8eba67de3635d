import * as tf from '@tensorflow/tfjs-core';
import {
  Activation, BatchNorm2d, batchMatMul, ClassAttn, Conv2d, convNormAct, Dropout, DropPath, type ForwardIntermediatesOptions, type GroupMatcher,
  type GroupMatcherSpec, globalPoolNlc, type IntermediatesResult, LayerNorm, Linear, MATCH_PREV_GROUP, Mlp, Module, type OutIndices, type Pair,
  type Param, Sequential, type StateDict, sliceTensor, toPair, VisionModel,
} from '@zoo/core';

/** timm's `Xcit` constructor arguments, camelCased. */
export interface XcitArgs {
  /** The size the model is built for (timm checks that the patch size divides its height); any input size runs. */
  imgSize?: number | Pair;
  /** 16 or 8 (the conv stem has four or three stride-2 3×3 conv-BN layers). */
  patchSize?: number;
  inChans?: number;
  numClasses?: number;
  /** 'token' (the class token, default), 'avg' (mean of the patch tokens) or '' (no pooling). */
  globalPool?: string;
  embedDim?: number;
  depth?: number;
  numHeads?: number;
  mlpRatio?: number;
  qkvBias?: boolean;
  /**
   * Dropout before the classifier and after the class-attention projections (training only). timm also applies the
   * block dropouts inside the MLPs; core's `Mlp` has none, so those are not applied here.
   */
  dropRate?: number;
  /** Dropout after the position encoding is added. */
  posDropRate?: number;
  projDropRate?: number;
  attnDropRate?: number;
  /** Drop path rate of every XCA block (constant, as timm's XCiT). */
  dropPathRate?: number;
  /** timm's `act_layer` by name (default 'gelu'). */
  actLayer?: string;
  /** Class-attention blocks after the XCA blocks. */
  clsAttnLayers?: number;
  usePosEmbed?: boolean;
  /** Layer-scale init (`gamma1`/`gamma2`/`gamma3`); class-attention blocks without layer scale when null. */
  eta?: number | null;
  /** Normalise every token (not only the class token) before the class-attention MLP. */
  tokensNorm?: boolean;
}

const ARG_NAMES: readonly (keyof XcitArgs)[] = [
  'imgSize', 'patchSize', 'inChans', 'numClasses', 'globalPool', 'embedDim', 'depth', 'numHeads', 'mlpRatio', 'qkvBias', 'dropRate',
  'posDropRate', 'projDropRate', 'attnDropRate', 'dropPathRate', 'actLayer', 'clsAttnLayers', 'usePosEmbed', 'eta', 'tokensNorm',
];

const POOLS = ['', 'avg', 'token'];

function checkPool(pool: string): void {
  if (!POOLS.includes(pool)) throw new Error(`Xcit: globalPool must be one of 'token', 'avg' or '', got '${pool}'`);
}

/** timm's XCiT norm: nn.LayerNorm with eps 1e-6. */
const norm = (dim: number) => new LayerNorm(dim, { eps: 1e-6 });

/** A residual branch's drop path, as timm (Identity at rate 0). */
const dropPathOf = (rate: number): Module | null => (rate > 0 ? new DropPath(rate) : null);

/** timm's `conv3x3`: nn.Sequential(3×3 conv without bias, BatchNorm2d); BN folded into the conv at inference. Keys: 0, 1. */
class Conv3x3Bn extends Module {
  readonly conv: Conv2d;
  readonly bn: BatchNorm2d;
  constructor(inChans: number, outChans: number, stride: number) {
    super();
    this.conv = this.addModule('0', new Conv2d(inChans, outChans, 3, { stride, padding: 1 }));
    this.bn = this.addModule('1', new BatchNorm2d(outChans));
  }
  override forward(x: tf.Tensor): tf.Tensor {
    return convNormAct(x, this.conv, this.bn);
  }
}

/**
 * timm's `ConvPatchEmbed`: stride-2 3×3 conv-BN layers with the activation between them (four for patch 16, three for
 * patch 8), widths embedDim/8 (16 only), /4, /2, 1. NHWC in, NHWC map out. Key: proj.N.{0,1}.
 */
export class ConvPatchEmbed extends Module {
  readonly proj: Sequential;
  constructor(readonly patchSize: number, inChans: number, embedDim: number, actLayer = 'gelu') {
    super();
    if (patchSize !== 16 && patchSize !== 8) throw new Error(`ConvPatchEmbed: patchSize must be 8 or 16 (one 3×3/2 conv per halving), got ${patchSize}`);
    const widths = (patchSize === 16 ? [8, 4, 2, 1] : [4, 2, 1]).map((d) => Math.floor(embedDim / d));
    const layers: Module[] = [];
    let prev = inChans;
    widths.forEach((w, i) => {
      if (i > 0) layers.push(new Activation(actLayer));
      layers.push(new Conv3x3Bn(prev, w, 2));
      prev = w;
    });
    this.proj = this.addModule('proj', new Sequential(layers));
  }
  override forward(x: tf.Tensor): tf.Tensor {
    return this.proj.forward(x);
  }
}

/**
 * The Fourier features timm's `PositionalEncodingFourier` projects, for an H×W grid, NHWC `[H·W·2·hidden]` (y features
 * first, then x; per axis sin / cos pairs over frequencies temperature^(2⌊i/2⌋/hidden)). Computed with float32 rounding
 * at each step, as torch does in float32.
 */
export function fourierFeatures(H: number, W: number, hiddenDim = 32, temperature = 10000): Float32Array {
  const f = Math.fround;
  const scale = f(2 * Math.PI);
  const eps = 1e-6;
  const invDim = Array.from({ length: hiddenDim }, (_, i) => f(temperature ** f(f(2 * Math.floor(i / 2)) / hiddenDim)));
  const embed = (i: number, n: number) => f(f(f(i + 1) / f(n + eps)) * scale);
  const axis = (e: number) => invDim.map((d, i) => {
    const p = f(e / d);
    return i % 2 === 0 ? Math.sin(p) : Math.cos(p);
  });
  const out = new Float32Array(H * W * 2 * hiddenDim);
  const xs = Array.from({ length: W }, (_, w) => axis(embed(w, W)));
  for (let h = 0; h < H; h++) {
    const ys = axis(embed(h, H));
    for (let w = 0; w < W; w++) {
      const at = (h * W + w) * 2 * hiddenDim;
      out.set(ys, at);
      out.set(xs[w]!, at + hiddenDim);
    }
  }
  return out;
}

/**
 * timm's `PositionalEncodingFourier`: fixed sine / cosine features of each patch's normalised row and column, mapped
 * to the embedding width by a 1×1 conv (`token_projection`). Computed for whatever grid the input gives, so any image
 * size works. Key: token_projection.
 */
export class PositionalEncodingFourier extends Module {
  readonly tokenProjection: Conv2d;
  private readonly cache = new Map<string, Float32Array>();
  constructor(readonly hiddenDim = 32, readonly dim = 768, readonly temperature = 10000) {
    super();
    this.tokenProjection = this.addModule('token_projection', new Conv2d(hiddenDim * 2, dim, 1, { bias: true }));
  }
  /** The encoding for an H×W grid as tokens `[1, H·W, dim]` (broadcast over the batch). */
  encode(H: number, W: number): tf.Tensor {
    const key = `${H}x${W}`;
    let feats = this.cache.get(key);
    if (!feats) {
      feats = fourierFeatures(H, W, this.hiddenDim, this.temperature);
      this.cache.set(key, feats);
    }
    const pos = this.tokenProjection.forward(tf.tensor4d(feats, [1, H, W, 2 * this.hiddenDim]));
    return tf.reshape(pos, [1, H * W, this.dim]);
  }
}

/** F.normalize over the last axis: x / max(‖x‖₂, 1e-12). */
function l2Normalize(x: tf.Tensor): tf.Tensor {
  return tf.div(x, tf.maximum(tf.sqrt(tf.sum(tf.square(x), -1, true)), 1e-12));
}

/**
 * timm's `XCA` (cross-covariance attention): attention over channels instead of tokens. Per head, q and k are
 * L2-normalised along the tokens, the D×D map q·kᵀ is scaled by a learned per-head `temperature` and softmaxed, and
 * mixes v's channels. Keys: temperature `[heads, 1, 1]`, qkv, proj.
 */
export class XCA extends Module {
  readonly temperature: Param;
  readonly qkv: Linear;
  readonly proj: Linear;
  readonly headDim: number;
  readonly attnDrop: Dropout;
  readonly projDrop: Dropout;
  constructor(readonly dim: number, readonly numHeads = 8, qkvBias = false, attnDrop = 0, projDrop = 0) {
    super();
    if (dim % numHeads !== 0) throw new Error(`XCA: dim ${dim} is not divisible by numHeads ${numHeads}`);
    this.headDim = dim / numHeads;
    this.temperature = this.addParam('temperature', [numHeads, 1, 1], { init: { kind: 'ones' } });
    this.qkv = this.addModule('qkv', new Linear(dim, dim * 3, { bias: qkvBias }));
    this.attnDrop = this.addModule('attn_drop', new Dropout(attnDrop));
    this.proj = this.addModule('proj', new Linear(dim, dim));
    this.projDrop = this.addModule('proj_drop', new Dropout(projDrop));
  }
  override forward(x: tf.Tensor): tf.Tensor {
    const [B, N, C] = x.shape as [number, number, number];
    const H = this.numHeads;
    const D = this.headDim;
    // [B, N, 3H, D] → [B, 3H, D, N]: q, k, v as [B, H, D, N], channels by tokens
    const qkv = tf.transpose(tf.reshape(this.qkv.forward(x), [B, N, 3 * H, D]), [0, 2, 3, 1]);
    const part = (i: number) => tf.reshape(sliceTensor(qkv, [0, i * H, 0, 0], [B, H, D, N]), [B * H, D, N]) as tf.Tensor3D;
    const q = l2Normalize(part(0)) as tf.Tensor3D;
    const k = l2Normalize(part(1)) as tf.Tensor3D;
    const attn = this.attnDrop.forward(tf.softmax(tf.mul(tf.reshape(batchMatMul(q, k, true), [B, H, D, D]), this.temperature.value), -1));
    const o = batchMatMul(tf.reshape(attn, [B * H, D, D]) as tf.Tensor3D, part(2)); // [B·H, D, N]
    const y = tf.reshape(tf.transpose(tf.reshape(o, [B, H, D, N]), [0, 3, 1, 2]), [B, N, C]);
    return this.projDrop.forward(this.proj.forward(y));
  }
}

/**
 * timm's `LPI` (local patch interaction): tokens back on their grid, a depthwise 3×3 conv, the activation, BatchNorm,
 * another depthwise 3×3 conv, tokens again. Keys: conv1, bn, conv2.
 */
export class LPI extends Module {
  readonly conv1: Conv2d;
  readonly act: Activation;
  readonly bn: BatchNorm2d;
  readonly conv2: Conv2d;
  constructor(dim: number, actLayer = 'gelu', kernelSize = 3) {
    super();
    const pad = Math.floor(kernelSize / 2);
    this.conv1 = this.addModule('conv1', new Conv2d(dim, dim, kernelSize, { padding: pad, groups: dim, bias: true }));
    this.act = this.addModule('act', new Activation(actLayer));
    this.bn = this.addModule('bn', new BatchNorm2d(dim));
    this.conv2 = this.addModule('conv2', new Conv2d(dim, dim, kernelSize, { padding: pad, groups: dim, bias: true }));
  }
  forwardGrid(x: tf.Tensor, H: number, W: number): tf.Tensor {
    const [B, N, C] = x.shape as [number, number, number];
    let y = tf.reshape(x, [B, H, W, C]);
    y = this.conv1.forwardAct(y, this.act.act);
    y = this.conv2.forward(this.bn.forward(y));
    return tf.reshape(y, [B, N, C]);
  }
}

export interface XcitBlockOptions {
  numHeads: number;
  mlpRatio: number;
  qkvBias: boolean;
  actLayer: string;
  eta: number | null;
  dropPath?: number;
  /** Dropout on the attention map and after the attention projection (training only). */
  attnDrop?: number;
  projDrop?: number;
}

/** The width of timm's block MLPs (`int(dim * mlp_ratio)`). */
const mlpOf = (dim: number, o: XcitBlockOptions) => new Mlp(dim, { hiddenFeatures: Math.trunc(dim * o.mlpRatio), actLayer: o.actLayer });

/** `x + dropPath(gamma · y)`. */
function residual(x: tf.Tensor, y: tf.Tensor, gamma: Param | null, dropPath: Module | null): tf.Tensor {
  const s = gamma ? tf.mul(y, gamma.value) : y;
  return tf.add(x, dropPath ? dropPath.forward(s) : s);
}

/**
 * timm's `XCABlock`: cross-covariance attention, local patch interaction, MLP, each pre-normed with a layer scale
 * (`gamma1`, `gamma3`, `gamma2`: timm keeps the original code's numbering). Keys: gamma1, gamma3, gamma2, norm1, attn,
 * norm3, local_mp, norm2, mlp.
 */
export class XCABlock extends Module {
  readonly gamma1: Param;
  readonly gamma3: Param;
  readonly gamma2: Param;
  readonly norm1: LayerNorm;
  readonly attn: XCA;
  readonly norm3: LayerNorm;
  readonly localMp: LPI;
  readonly norm2: LayerNorm;
  readonly mlp: Mlp;
  private readonly dropPaths: (Module | null)[];
  constructor(dim: number, o: XcitBlockOptions) {
    super();
    const init = { init: { kind: 'const', value: o.eta ?? 1 } } as const;
    this.gamma1 = this.addParam('gamma1', [dim], init);
    this.gamma3 = this.addParam('gamma3', [dim], init);
    this.gamma2 = this.addParam('gamma2', [dim], init);
    this.norm1 = this.addModule('norm1', norm(dim));
    this.attn = this.addModule('attn', new XCA(dim, o.numHeads, o.qkvBias, o.attnDrop, o.projDrop));
    const rate = o.dropPath ?? 0;
    this.dropPaths = [1, 3, 2].map((i) => this.addModule(`drop_path${i}`, dropPathOf(rate)));
    this.norm3 = this.addModule('norm3', norm(dim));
    this.localMp = this.addModule('local_mp', new LPI(dim, o.actLayer));
    this.norm2 = this.addModule('norm2', norm(dim));
    this.mlp = this.addModule('mlp', mlpOf(dim, o));
  }
  forwardGrid(x: tf.Tensor, H: number, W: number): tf.Tensor {
    const [dp1, dp3, dp2] = this.dropPaths as [Module | null, Module | null, Module | null];
    x = residual(x, this.attn.forward(this.norm1.forward(x)), this.gamma1, dp1);
    x = residual(x, this.localMp.forwardGrid(this.norm3.forward(x), H, W), this.gamma3, dp3);
    return residual(x, this.mlp.forward(this.norm2.forward(x)), this.gamma2, dp2);
  }
}

/**
 * timm's XCiT `ClassAttentionBlock` (CaiT's class attention with XCiT's token handling): the class token attends to
 * every token; the patch tokens carry their normalised values through the first residual and, after the MLP (on the
 * class token only), are added to themselves, exactly as timm's forward does. `tokensNorm` normalises every token
 * before the MLP, else only the class token. Keys: gamma1, gamma2 (unless eta is null), norm1, attn, norm2, mlp.
 */
export class ClassAttentionBlock extends Module {
  readonly gamma1: Param | null;
  readonly gamma2: Param | null;
  readonly norm1: LayerNorm;
  readonly attn: ClassAttn;
  readonly norm2: LayerNorm;
  readonly mlp: Mlp;
  readonly tokensNorm: boolean;
  constructor(dim: number, o: XcitBlockOptions & { tokensNorm: boolean }) {
    super();
    this.tokensNorm = o.tokensNorm;
    const init = { init: { kind: 'const', value: o.eta ?? 1 } } as const;
    this.gamma1 = o.eta === null ? null : this.addParam('gamma1', [dim], init);
    this.gamma2 = o.eta === null ? null : this.addParam('gamma2', [dim], init);
    this.norm1 = this.addModule('norm1', norm(dim));
    this.attn = this.addModule('attn', new ClassAttn(dim, { numHeads: o.numHeads, qkvBias: o.qkvBias, attnDrop: o.attnDrop, projDrop: o.projDrop }));
    this.norm2 = this.addModule('norm2', norm(dim));
    this.mlp = this.addModule('mlp', mlpOf(dim, o));
  }
  override forward(x: tf.Tensor): tf.Tensor {
    const [B, N, C] = x.shape as [number, number, number];
    const cls = (t: tf.Tensor) => sliceTensor(t, [0, 0, 0], [B, 1, C]);
    const rest = (t: tf.Tensor) => sliceTensor(t, [0, 1, 0], [B, N - 1, C]);
    const xn = this.norm1.forward(x);
    x = residual(x, tf.concat([this.attn.forward(xn), rest(xn)], 1), this.gamma1, null);
    x = this.tokensNorm ? this.norm2.forward(x) : tf.concat([this.norm2.forward(cls(x)), rest(x)], 1);
    let c = this.mlp.forward(cls(x));
    if (this.gamma2) c = tf.mul(c, this.gamma2.value);
    return tf.add(x, tf.concat([c, rest(x)], 1));
  }
}

/** A numbered list of blocks (timm's nn.ModuleList). */
class BlockList extends Module {}

/**
 * timm's `Xcit` on NHWC input: a conv-BN patch stem, Fourier position encoding for the patch grid, XCA blocks
 * (cross-covariance attention + local patch interaction + MLP), then the class token joined and refined by
 * class-attention blocks, a final norm, and the class token (or the patch tokens' mean) into the classifier.
 * `forwardFeatures` returns tokens `[B, 1 + N, C]`, class token first. Any input size runs (the stem rounds up).
 * Keys: cls_token, patch_embed.proj, pos_embed.token_projection, blocks.N, cls_attn_blocks.N, norm, head.
 */
export class Xcit extends VisionModel {
  static readonly argNames: readonly (keyof XcitArgs)[] = ARG_NAMES;
  numClasses: number;
  numFeatures: number;
  headHiddenSize: number;
  readonly inChans: number;
  readonly embedDim: number;
  readonly patchSize: number;
  globalPool: string;
  readonly clsToken: Param;
  readonly patchEmbed: ConvPatchEmbed;
  readonly posEmbed: PositionalEncodingFourier | null;
  readonly blocks: XCABlock[] = [];
  readonly clsAttnBlocks: ClassAttentionBlock[] = [];
  norm: LayerNorm | null;
  head: Linear | null = null;
  private readonly blockList: BlockList;
  private readonly clsAttnList: BlockList;
  private readonly posDrop: Dropout;
  private readonly headDrop: Dropout;

  constructor(args: XcitArgs = {}) {
    super();
    const {
      imgSize = 224, patchSize = 16, inChans = 3, numClasses = 1000, globalPool = 'token', embedDim = 768, depth = 12, numHeads = 12,
      mlpRatio = 4, qkvBias = true, dropRate = 0, posDropRate = 0, projDropRate = 0, attnDropRate = 0, dropPathRate = 0, actLayer = 'gelu', clsAttnLayers = 2,
      usePosEmbed = true, eta = 1, tokensNorm = false,
    } = args;
    checkPool(globalPool);
    // timm asserts that the patch size divides the height only (its check names img_size[0] twice); the width is free.
    const [ih] = toPair(imgSize);
    if (ih % patchSize !== 0) throw new Error(`Xcit: patchSize ${patchSize} must divide the imgSize height ${ih} evenly`);
    this.inChans = inChans;
    this.numClasses = numClasses;
    this.globalPool = globalPool;
    this.embedDim = this.numFeatures = this.headHiddenSize = embedDim;
    this.patchSize = patchSize;

    this.clsToken = this.addParam('cls_token', [1, 1, embedDim], { init: { kind: 'truncnormal', std: 0.02 } });
    this.patchEmbed = this.addModule('patch_embed', new ConvPatchEmbed(patchSize, inChans, embedDim, actLayer));
    this.posEmbed = usePosEmbed ? this.addModule('pos_embed', new PositionalEncodingFourier(32, embedDim)) : null;
    this.posDrop = this.addModule('pos_drop', new Dropout(posDropRate));
    const block: XcitBlockOptions = { numHeads, mlpRatio, qkvBias, actLayer, eta, attnDrop: attnDropRate };
    this.blockList = this.addModule('blocks', new BlockList());
    for (let i = 0; i < depth; i++) {
      this.blocks.push(this.blockList.addModule(String(i), new XCABlock(embedDim, { ...block, dropPath: dropPathRate, projDrop: projDropRate })));
      this.featureInfo.push({ numChs: embedDim, reduction: patchSize, module: `blocks.${i}` });
    }
    this.clsAttnList = this.addModule('cls_attn_blocks', new BlockList());
    for (let i = 0; i < clsAttnLayers; i++) {
      this.clsAttnBlocks.push(this.clsAttnList.addModule(String(i), new ClassAttentionBlock(embedDim, { ...block, projDrop: dropRate, tokensNorm })));
    }
    this.norm = this.addModule('norm', norm(embedDim));
    this.headDrop = this.addModule('head_drop', new Dropout(dropRate));
    this.setHead(numClasses);
  }

  private setHead(numClasses: number): void {
    this.numClasses = numClasses;
    this.head = this.addModule('head', numClasses > 0 ? new Linear(this.embedDim, numClasses) : null);
  }

  /** Patch tokens `[B, N, C]` with the position encoding, and the patch grid. */
  private embed(x: tf.Tensor): { x: tf.Tensor; grid: [number, number] } {
    // Any size runs, as in timm: each padded stride-2 conv of the stem rounds up, and the encoding follows the grid.
    const map = this.patchEmbed.forward(x);
    const [B, Hp, Wp, C] = map.shape as [number, number, number, number];
    let t = tf.reshape(map, [B, Hp * Wp, C]);
    if (this.posEmbed) t = tf.add(t, this.posEmbed.encode(Hp, Wp));
    return { x: this.posDrop.forward(t), grid: [Hp, Wp] };
  }

  /** Class token joined in front, class-attention blocks, final norm. */
  private classHead(x: tf.Tensor): tf.Tensor {
    const [B, , C] = x.shape as [number, number, number];
    x = tf.concat([tf.broadcastTo(this.clsToken.value, [B, 1, C]), x], 1);
    for (const blk of this.clsAttnBlocks) x = blk.forward(x);
    return this.norm ? this.norm.forward(x) : x;
  }

  /** timm's `group_matcher`: the stem, each XCA block, then the class-attention blocks with the final norm last. */
  override groupMatcher(_coarse = false): GroupMatcher {
    const clsAttn: GroupMatcherSpec = [[String.raw`^cls_attn_blocks\.(\d+)`, null], ['^norm', [MATCH_PREV_GROUP]]];
    return { stem: '^cls_token|pos_embed|patch_embed', blocks: String.raw`^blocks\.(\d+)`, cls_attn_blocks: clsAttn };
  }

  /** timm's `no_weight_decay()`. */
  override noWeightDecay(): string[] {
    return ['pos_embed', 'cls_token'];
  }

  protected computeFeatures(x: tf.Tensor): tf.Tensor {
    const e = this.embed(x);
    let y = e.x;
    for (const blk of this.blocks) y = blk.forwardGrid(y, e.grid[0], e.grid[1]);
    return this.classHead(y);
  }

  protected override computeHead(x: tf.Tensor, preLogits: boolean): tf.Tensor {
    const y = this.headDrop.forward(globalPoolNlc(x, this.globalPool, 1));
    return preLogits || !this.head ? y : this.head.forward(y);
  }

  /**
   * timm's `forward_intermediates`: the patch tokens after the chosen XCA blocks (optionally through the final norm),
   * as NHWC maps or NLC tokens (class token not included, as timm); `final` is the class-attention output, normed.
   */
  protected override computeIntermediates(x: tf.Tensor, o: ForwardIntermediatesOptions): IntermediatesResult {
    const fmt = o.outputFmt ?? 'NHWC';
    const { indices, stop } = this.takeIndices(this.blocks.length, o, ['NHWC', 'NLC']);
    const e = this.embed(x);
    const [Hp, Wp] = e.grid;
    const intermediates: tf.Tensor[] = [];
    let y = e.x;
    for (let i = 0; i < stop; i++) {
      y = this.blocks[i]!.forwardGrid(y, Hp, Wp);
      if (!indices.includes(i)) continue;
      const t = o.norm && this.norm ? this.norm.forward(y) : y;
      intermediates.push(fmt === 'NHWC' ? tf.reshape(t, [t.shape[0]!, Hp, Wp, this.embedDim]) : t);
    }
    if (o.intermediatesOnly) return { final: y, intermediates };
    return { final: this.classHead(y), intermediates };
  }

  /** timm's `prune_intermediate_layers`: later XCA blocks dropped, optionally the norm; with the head, the class-attention blocks too. */
  override pruneIntermediateLayers(indices: OutIndices = 1, pruneNorm = false, pruneHead = true): number[] {
    return this.pruneLevels(this.blocks.length, indices, pruneHead, (maxIndex) => {
      const cut = this.blocks.splice(maxIndex + 1);
      for (let j = 0; j < cut.length; j++) this.blockList.addModule(String(maxIndex + 1 + j), null);
      if (pruneNorm) {
        this.addModule('norm', null);
        this.norm = null;
      }
      if (pruneHead) {
        for (let j = 0; j < this.clsAttnBlocks.length; j++) this.clsAttnList.addModule(String(j), null);
        this.clsAttnBlocks.length = 0;
      }
    });
  }

  override resetClassifier(numClasses: number, globalPool?: string): void {
    if (globalPool !== undefined) {
      checkPool(globalPool);
      this.globalPool = globalPool;
    }
    this.setHead(numClasses);
  }

  override getClassifier(): Module {
    return this.head ?? new Module();
  }
}

/** Splits a fused `[3·C, …]` entry into its three `[C, …]` parts. */
function splitThree(v: StateDict[string]): StateDict[string][] {
  const n = v.shape[0]! / 3;
  const per = v.data.length / 3;
  return [0, 1, 2].map((j) => ({ ...v, shape: [n, ...v.shape.slice(1)], data: v.data.slice(j * per, (j + 1) * per) as typeof v.data }));
}

/**
 * timm's XCiT `checkpoint_filter_fn`: unwraps `model`, renames the original code's `pos_embeder.` to `pos_embed.` (or
 * drops it for a model without position encoding), and splits an original checkpoint's fused class-attention `qkv`
 * into timm's `q`, `k`, `v`.
 */
export function checkpointFilterFn(sd: StateDict, model: VisionModel): StateDict {
  const inner = (sd as unknown as Record<string, unknown>).model;
  if (inner && typeof inner === 'object' && !('shape' in inner)) sd = inner as StateDict;
  const xcit = model as Xcit;
  const out: StateDict = {};
  const splitQkv = Object.hasOwn(sd, 'cls_attn_blocks.0.attn.qkv.weight') && xcit.clsAttnBlocks.length > 0;
  for (const [k, v] of Object.entries(sd)) {
    if (k.startsWith('pos_embed')) {
      if (xcit.posEmbed) out[k.replace('pos_embeder.', 'pos_embed.')] = v;
      continue;
    }
    const m = splitQkv ? /^(cls_attn_blocks\.\d+\.attn\.)qkv\.(weight|bias)$/.exec(k) : null;
    if (m) {
      splitThree(v).forEach((part, j) => {
        out[`${m[1]}${'qkv'[j]}.${m[2]}`] = part;
      });
      continue;
    }
    out[k] = v;
  }
  return out;
}
