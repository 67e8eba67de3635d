import * as tf from '@tensorflow/tfjs-core';
import {
  biasedSoftmaxAttention, type ForwardIntermediatesOptions, type GroupMatcher, type IntermediatesResult, LayerNorm, LayerScale,
  Linear, MATCH_PREV_GROUP, Mlp, Module, type OutIndices, type Pair, type Param, PatchEmbed, 
  poolTokens, RelPosBias, RelPosMlp,softmaxAttention, tokensToMaps, unstackTensor, VisionModel,
} from '@zoo/core';

/** timm's `block_fn`: RelPosBlock (pre-norm, layer scale) or ResPostRelPosBlock (norm after attn / mlp). */
export type RelPosBlockFn = 'rel_pos' | 'res_post';

export interface VisionTransformerRelPosArgs {
  imgSize?: number | Pair;
  patchSize?: number;
  inChans?: number;
  numClasses?: number;
  /** '' | 'avg' (timm's default) | 'token'. */
  globalPool?: string;
  embedDim?: number;
  depth?: number;
  numHeads?: number;
  mlpRatio?: number;
  qkvBias?: boolean;
  qkNorm?: boolean;
  /** LayerScale init (timm's default 1e-6); none when null / 0. ResPost blocks set their norms' weights with it. */
  initValues?: number | null;
  classToken?: boolean;
  fcNorm?: boolean;
  /** 'mlp' (RelPosMlp, 'cr' mode; timm's default), 'mlp_swin' (RelPosMlp, 'swin' mode) or 'bias' (RelPosBias). */
  relPosType?: string;
  /** RelPosMlp hidden width (128 when unset). */
  relPosDim?: number | null;
  /** One position bias for every block (`shared_rel_pos`). */
  sharedRelPos?: boolean;
  blockFn?: RelPosBlockFn;
  dropRate?: number;
  projDropRate?: number;
  attnDropRate?: number;
  dropPathRate?: number;
  weightInit?: string;
  fixInit?: boolean;
}

const ARG_NAMES: readonly (keyof VisionTransformerRelPosArgs)[] = [
  'imgSize', 'patchSize', 'inChans', 'numClasses', 'globalPool', 'embedDim', 'depth', 'numHeads', 'mlpRatio', 'qkvBias', 'qkNorm',
  'initValues', 'classToken', 'fcNorm', 'relPosType', 'relPosDim', 'sharedRelPos', 'blockFn', 'dropRate', 'projDropRate',
  'attnDropRate', 'dropPathRate', 'weightInit', 'fixInit',
];

type RelPos = RelPosMlp | RelPosBias;
const layerNorm = (d: number) => new LayerNorm(d, { eps: 1e-6 });

/**
 * timm's `RelPosAttention`: multi-head self-attention with the block's own relative position bias (`rel_pos`), or the
 * model's shared one passed to `forward`. Keys: qkv, q_norm, k_norm, rel_pos, proj.
 */
export class RelPosAttention extends Module {
  readonly numHeads: number;
  readonly headDim: number;
  readonly qkv: Linear;
  readonly qNorm: Module | null;
  readonly kNorm: Module | null;
  readonly relPos: RelPos | null;
  readonly proj: Linear;
  constructor(dim: number, numHeads: number, qkvBias: boolean, qkNorm: boolean, relPos: RelPos | null) {
    super();
    if (dim % numHeads !== 0) throw new Error(`RelPosAttention: dim ${dim} is not divisible by numHeads ${numHeads}`);
    this.numHeads = numHeads;
    this.headDim = dim / numHeads;
    this.qkv = this.addModule('qkv', new Linear(dim, dim * 3, { bias: qkvBias }));
    this.qNorm = qkNorm ? this.addModule('q_norm', layerNorm(this.headDim)) : null;
    this.kNorm = qkNorm ? this.addModule('k_norm', layerNorm(this.headDim)) : null;
    this.relPos = relPos ? this.addModule('rel_pos', relPos) : null;
    this.proj = this.addModule('proj', new Linear(dim, dim));
  }
  override forward(x: tf.Tensor, shared?: tf.Tensor | null): tf.Tensor {
    const [B, N, C] = x.shape as [number, number, number];
    const [H, D] = [this.numHeads, this.headDim];
    const heads = unstackTensor(tf.transpose(tf.reshape(this.qkv.forward(x), [B, N, 3, H, D]), [2, 0, 3, 1, 4]), 0);
    let [q, k] = heads as [tf.Tensor, tf.Tensor];
    if (this.qNorm) q = this.qNorm.forward(q);
    if (this.kNorm) k = this.kNorm.forward(k);
    const flat = (t: tf.Tensor) => tf.reshape(t, [B * H, N, D]) as tf.Tensor3D;
    const qs = flat(tf.mul(q, this.headDim ** -0.5));
    const bias = this.relPos ? this.relPos.getBias() : (shared ?? null);
    const o = bias ? biasedSoftmaxAttention(qs, flat(k), flat(heads[2]!), bias, H) : softmaxAttention(qs, flat(k), flat(heads[2]!));
    return this.proj.forward(tf.reshape(tf.transpose(tf.reshape(o, [B, H, N, D]), [0, 2, 1, 3]), [B, N, C]));
  }
}

interface BlockOptions {
  numHeads: number;
  mlpRatio: number;
  qkvBias: boolean;
  qkNorm: boolean;
  initValues: number | null;
  relPos: (() => RelPos) | null;
}

/** timm's `RelPosBlock`: x + ls1(attn(norm1(x))), then x + ls2(mlp(norm2(x))). Keys: norm1, attn, ls1, norm2, mlp, ls2. */
export class RelPosBlock extends Module {
  readonly norm1: Module;
  readonly attn: RelPosAttention;
  readonly ls1: LayerScale | null;
  readonly norm2: Module;
  readonly mlp: Mlp;
  readonly ls2: LayerScale | null;
  constructor(dim: number, o: BlockOptions) {
    super();
    this.norm1 = this.addModule('norm1', layerNorm(dim));
    this.attn = this.addModule('attn', new RelPosAttention(dim, o.numHeads, o.qkvBias, o.qkNorm, o.relPos?.() ?? null));
    this.ls1 = o.initValues ? this.addModule('ls1', new LayerScale(dim, o.initValues)) : null;
    this.norm2 = this.addModule('norm2', layerNorm(dim));
    this.mlp = this.addModule('mlp', new Mlp(dim, { hiddenFeatures: Math.trunc(dim * o.mlpRatio) }));
    this.ls2 = o.initValues ? this.addModule('ls2', new LayerScale(dim, o.initValues)) : null;
  }
  override forward(x: tf.Tensor, shared?: tf.Tensor | null): tf.Tensor {
    const a = this.attn.forward(this.norm1.forward(x), shared);
    x = tf.add(x, this.ls1 ? this.ls1.forward(a) : a);
    const m = this.mlp.forward(this.norm2.forward(x));
    return tf.add(x, this.ls2 ? this.ls2.forward(m) : m);
  }
}

/** timm's `ResPostRelPosBlock`: x + norm1(attn(x)), then x + norm2(mlp(x)). Keys: attn, norm1, mlp, norm2. */
export class ResPostRelPosBlock extends Module {
  readonly attn: RelPosAttention;
  readonly norm1: LayerNorm;
  readonly mlp: Mlp;
  readonly norm2: LayerNorm;
  constructor(dim: number, o: BlockOptions) {
    super();
    this.attn = this.addModule('attn', new RelPosAttention(dim, o.numHeads, o.qkvBias, o.qkNorm, o.relPos?.() ?? null));
    this.norm1 = this.addModule('norm1', layerNorm(dim));
    this.mlp = this.addModule('mlp', new Mlp(dim, { hiddenFeatures: Math.trunc(dim * o.mlpRatio) }));
    this.norm2 = this.addModule('norm2', layerNorm(dim));
  }
  override forward(x: tf.Tensor, shared?: tf.Tensor | null): tf.Tensor {
    x = tf.add(x, this.norm1.forward(this.attn.forward(x, shared)));
    return tf.add(x, this.norm2.forward(this.mlp.forward(x)));
  }
}

type Block = RelPosBlock | ResPostRelPosBlock;
const POOLS = ['', 'avg', 'token'];

/**
 * timm's `VisionTransformerRelPos` on NHWC input: ViT without an absolute position embedding, each block's attention
 * biased by a relative position MLP (or table), optionally shared. `forwardFeatures` returns tokens `[B, N, C]`.
 * Keys: cls_token, patch_embed.proj, shared_rel_pos, blocks.N, norm, fc_norm, head.
 */
export class VisionTransformerRelPos extends VisionModel {
  static readonly argNames: readonly (keyof VisionTransformerRelPosArgs)[] = ARG_NAMES;
  numClasses: number;
  numFeatures: number;
  headHiddenSize: number;
  readonly inChans: number;
  readonly embedDim: number;
  readonly numPrefixTokens: number;
  globalPool: string;
  readonly patchEmbed: PatchEmbed;
  readonly clsToken: Param | null;
  readonly sharedRelPos: RelPos | null;
  blocks: Block[];
  norm: Module | null;
  fcNorm: Module | null;
  head: Linear | null = null;
  private readonly blockList: Module;

  constructor(args: VisionTransformerRelPosArgs = {}) {
    super();
    const {
      imgSize = 224, patchSize = 16, inChans = 3, numClasses = 1000, globalPool = 'avg', embedDim = 768, depth = 12, numHeads = 12,
      mlpRatio = 4, qkvBias = true, qkNorm = false, initValues = 1e-6, classToken = false, fcNorm = false, relPosType = 'mlp',
      relPosDim = null, sharedRelPos = false, blockFn = 'rel_pos',
    } = args;
    if (!POOLS.includes(globalPool)) throw new Error(`VisionTransformerRelPos: globalPool '${globalPool}' is not supported (use '', 'avg' or 'token')`);
    if (globalPool === 'token' && !classToken) throw new Error("VisionTransformerRelPos: globalPool 'token' needs the class token");
    this.numClasses = numClasses;
    this.inChans = inChans;
    this.globalPool = globalPool;
    this.embedDim = this.numFeatures = this.headHiddenSize = embedDim;
    this.numPrefixTokens = classToken ? 1 : 0;
    this.clsToken = classToken ? this.addParam('cls_token', [1, 1, embedDim], { init: { kind: 'normal', std: 1e-6 } }) : null;
    this.patchEmbed = this.addModule('patch_embed', new PatchEmbed({ imgSize, patchSize, inChans, embedDim }));
    const grid = this.patchEmbed.gridSize!;
    const prefixTokens = this.numPrefixTokens;
    let relPos: (() => RelPos) | null = relPosType.startsWith('mlp')
      ? () => new RelPosMlp(grid, { numHeads, prefixTokens, hiddenDim: relPosDim || 128, mode: relPosType.includes('swin') ? 'swin' : 'cr' })
      : () => new RelPosBias(grid, numHeads, prefixTokens);
    this.sharedRelPos = sharedRelPos ? this.addModule('shared_rel_pos', relPos()) : null;
    if (sharedRelPos) relPos = null;
    const o: BlockOptions = { numHeads, mlpRatio, qkvBias, qkNorm, initValues, relPos };
    this.blockList = this.addModule('blocks', new Module());
    this.blocks = Array.from({ length: depth }, (_, i) =>
      this.blockList.addModule(String(i), blockFn === 'res_post' ? new ResPostRelPosBlock(embedDim, o) : new RelPosBlock(embedDim, o)));
    const r = this.patchEmbed.featRatio();
    this.featureInfo = this.blocks.map((_, i) => ({ module: `blocks.${i}`, numChs: embedDim, reduction: r }));
    this.norm = fcNorm ? null : this.addModule('norm', layerNorm(embedDim));
    this.fcNorm = fcNorm ? this.addModule('fc_norm', layerNorm(embedDim)) : null;
    this.buildHead(numClasses);
  }

  private buildHead(numClasses: number): void {
    this.head = this.addModule('head', numClasses > 0 ? new Linear(this.embedDim, numClasses) : null);
  }

  /** Patch tokens with the class token (where there is one) in front, through `blocks`; `each` sees every output. */
  private trunk(x: tf.Tensor, blocks: Block[], each?: (y: tf.Tensor, i: number) => void): tf.Tensor {
    x = this.patchEmbed.forward(x);
    if (this.clsToken) x = tf.concat([tf.broadcastTo(this.clsToken.value, [x.shape[0]!, 1, this.embedDim]), x], 1);
    const shared = this.sharedRelPos ? this.sharedRelPos.getBias() : null;
    blocks.forEach((b, i) => {
      x = b.forward(x, shared);
      each?.(x, i);
    });
    return x;
  }

  protected computeFeatures(x: tf.Tensor): tf.Tensor {
    x = this.trunk(x, this.blocks);
    return this.norm ? this.norm.forward(x) : x;
  }

  protected override computeHead(x: tf.Tensor, preLogits: boolean): tf.Tensor {
    const pooled = poolTokens(x, this.globalPool, this.numPrefixTokens);
    const normed = this.fcNorm ? this.fcNorm.forward(pooled) : pooled;
    return this.head && !preLogits ? this.head.forward(normed) : normed;
  }

  protected override computeIntermediates(x: tf.Tensor, o: ForwardIntermediatesOptions): IntermediatesResult {
    const { indices, stop } = this.takeIndices(this.blocks.length, o, ['NHWC', 'NLC']);
    const grid = this.patchEmbed.dynamicFeatSize([x.shape[1]!, x.shape[2]!]);
    const picked: tf.Tensor[] = [];
    const last = this.trunk(x, this.blocks.slice(0, stop), (y, i) => {
      if (indices.includes(i)) picked.push(o.norm && this.norm ? this.norm.forward(y) : y);
    });
    const final = this.norm ? this.norm.forward(last) : last;
    return { final, intermediates: tokensToMaps(picked, this.numPrefixTokens, grid, o.outputFmt) };
  }

  override pruneIntermediateLayers(indices: OutIndices = 1, pruneNorm = false, pruneHead = true): number[] {
    return this.pruneLevels(this.blocks.length, indices, pruneHead, (maxIndex) => {
      const dropped = this.blocks.splice(maxIndex + 1);
      dropped.forEach((_, j) => {
        this.blockList.addModule(String(maxIndex + 1 + j), null);
      });
      if (pruneNorm && this.norm) this.norm = this.addModule('norm', null);
      if (pruneHead && this.fcNorm) this.fcNorm = this.addModule('fc_norm', null);
    });
  }

  /** timm's `group_matcher`: class token and patch embedding as the stem, then one group per block. */
  override groupMatcher(_coarse = false): GroupMatcher {
    return { stem: '^cls_token|patch_embed', blocks: [[String.raw`^blocks\.(\d+)`, null], ['^norm', [MATCH_PREV_GROUP]]] };
  }

  override noWeightDecay(): string[] {
    return ['cls_token'];
  }

  override resetClassifier(numClasses: number, globalPool?: string): void {
    if (globalPool !== undefined) {
      if (!POOLS.includes(globalPool)) throw new Error(`VisionTransformerRelPos: globalPool '${globalPool}' is not supported (use '', 'avg' or 'token')`);
      this.globalPool = globalPool;
    }
    this.numClasses = numClasses;
    this.buildHead(numClasses);
  }

  override getClassifier(): Module {
    return this.head ?? new Module();
  }
}
