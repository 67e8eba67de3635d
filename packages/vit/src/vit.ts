import * as tf from '@tensorflow/tfjs-core';
import {type ActName, Attention, AttentionPoolLatent, applyAct, batchMatMul, DiffAttention, type EmbedLayer, type EmbedLayerFactory, type ForwardIntermediatesOptions,GluMlp, 
  type GroupMatcher, type IntermediatesResult, LayerNorm, LayerScale, Linear, MATCH_PREV_GROUP, Mlp, Module, type NormFactory,
  type OutIndices, type Pair, type Param, PatchEmbed, RmsNorm, resampleAbsPosEmbed, resampleAbsPosEmbedTensor,
  resamplePatchEmbed, resolveAct, type StateDict, SwiGLU, sliceTensor, softmaxAttention, splitTensor, VisionModel,
} from '@zoo/core';

/** timm's norm layers for ViT: LayerNorm (timm's default eps 1e-6; CLIP-style 1e-5) or RmsNorm. */
export type NormLayerName = 'layernorm' | 'rmsnorm';
/** A norm layer by name, or with the eps timm's `partial(LayerNorm, eps=1e-5)` binds. */
export type VitNormLayer = NormLayerName | { type: NormLayerName; eps?: number };
/** timm's `mlp_layer`: Mlp, SwiGLUPacked (GluMlp, silu, gate first) or SwiGLU (separate gate / value projections). */
export type MlpLayerName = 'mlp' | 'swiglu_packed' | 'swiglu';
/**
 * timm's `block_fn`: pre-norm Block, ResPostBlock (norm after attn / mlp), ParallelThingsBlock (two attn and two
 * mlp branches summed) or ParallelScalingBlock (ViT-22B style: one fused in-projection for qkv and mlp fc1).
 */
export type BlockFnName = 'block' | 'res_post' | 'parallel_things' | 'parallel_scaling' | 'diff_parallel_scaling';
export type VitPool = '' | 'token' | 'avg' | 'avgmax' | 'max' | 'map';

export interface VisionTransformerArgs {
  imgSize?: number | Pair;
  patchSize?: number;
  inChans?: number;
  numClasses?: number;
  globalPool?: VitPool | string;
  embedDim?: number;
  depth?: number;
  numHeads?: number;
  mlpRatio?: number;
  qkvBias?: boolean;
  qkNorm?: boolean;
  projBias?: boolean;
  /** LayerScale init; no LayerScale when null/undefined. */
  initValues?: number | null;
  classToken?: boolean;
  /** 'learn' (default) or 'none'. */
  posEmbed?: 'learn' | 'none' | '';
  noEmbedClass?: boolean;
  regTokens?: number;
  preNorm?: boolean;
  finalNorm?: boolean;
  /** Norm after pooling instead of before; default: when globalPool is avg/avgmax/max. */
  fcNorm?: boolean | null;
  poolIncludePrefix?: boolean;
  dynamicImgSize?: boolean;
  dynamicImgPad?: boolean;
  normLayer?: VitNormLayer;
  /** eps of the norm layers whose `normLayer` binds none (1e-6 by default, as timm's LayerNorm / RmsNorm). */
  normEps?: number;
  embedNormLayer?: VitNormLayer | null;
  actLayer?: string;
  mlpLayer?: MlpLayerName;
  /** timm's `attn_layer`: 'attention' (default) or 'diff' (DiffAttention). */
  attnLayer?: 'attention' | 'diff';
  blockFn?: BlockFnName;
  scaleAttnNorm?: boolean;
  scaleMlpNorm?: boolean;
  /** DeiT distillation token and head (timm's VisionTransformerDistilled). */
  distilled?: boolean;
  dropRate?: number;
  posDropRate?: number;
  patchDropRate?: number;
  projDropRate?: number;
  attnDropRate?: number;
  dropPathRate?: number;
  weightInit?: string;
  fixInit?: boolean;
  /**
   * timm's `embed_layer`: builds the patch embedding instead of PatchEmbed (a hybrid's HybridEmbed over a CNN
   * backbone). It gets imgSize, patchSize, inChans, embedDim, bias, dynamicImgPad and strictImgSize.
   */
  embedLayer?: EmbedLayerFactory;
}

const ARG_NAMES: readonly (keyof VisionTransformerArgs)[] = [
  'imgSize', 'patchSize', 'inChans', 'numClasses', 'globalPool', 'embedDim', 'depth', 'numHeads', 'mlpRatio', 'qkvBias',
  'qkNorm', 'projBias', 'initValues', 'classToken', 'posEmbed', 'noEmbedClass', 'regTokens', 'preNorm', 'finalNorm',
  'fcNorm', 'poolIncludePrefix', 'dynamicImgSize', 'dynamicImgPad', 'normLayer', 'normEps', 'embedNormLayer', 'actLayer',
  'mlpLayer', 'attnLayer', 'blockFn', 'scaleAttnNorm', 'scaleMlpNorm', 'distilled', 'dropRate', 'posDropRate', 'patchDropRate',
  'projDropRate', 'attnDropRate', 'dropPathRate', 'weightInit', 'fixInit', 'embedLayer',
];

function normFactory(layer: VitNormLayer, defaultEps: number): NormFactory {
  const { type, eps = defaultEps } = typeof layer === 'string' ? { type: layer } : layer;
  if (type !== 'layernorm' && type !== 'rmsnorm') throw new Error(`VisionTransformer: normLayer must be 'layernorm' or 'rmsnorm', got '${String(type)}'`);
  return type === 'rmsnorm' ? (d) => new RmsNorm(d, { eps }) : (d) => new LayerNorm(d, { eps });
}

interface BlockOptions {
  numHeads: number;
  mlpRatio: number;
  qkvBias: boolean;
  qkNorm: boolean;
  projBias: boolean;
  initValues: number | null;
  norm: NormFactory;
  act: ActName;
  mlpLayer: MlpLayerName;
  attnLayer: 'attention' | 'diff';
  scaleAttnNorm: boolean;
  scaleMlpNorm: boolean;
}

function makeMlp(dim: number, o: BlockOptions): Module {
  const hiddenFeatures = Math.trunc(dim * o.mlpRatio);
  const common = { hiddenFeatures, actLayer: o.act, bias: o.projBias, normLayer: o.scaleMlpNorm ? o.norm : undefined };
  if (o.mlpLayer === 'swiglu') return new SwiGLU(dim, common);
  if (o.mlpLayer === 'swiglu_packed') return new GluMlp(dim, { ...common, gateLast: false });
  return new Mlp(dim, common);
}

function makeAttn(dim: number, o: BlockOptions, depth = 0): Module {
  if (o.attnLayer === 'diff') {
    return new DiffAttention(dim, {
      numHeads: o.numHeads, qkvBias: o.qkvBias, qkNorm: o.qkNorm, projBias: o.projBias, scaleNorm: o.scaleAttnNorm, normLayer: o.norm, depth,
    });
  }
  return new Attention(dim, {
    numHeads: o.numHeads, qkvBias: o.qkvBias, qkNorm: o.qkNorm, projBias: o.projBias, scaleNorm: o.scaleAttnNorm, normLayer: o.norm,
  });
}

/** timm's ViT `Block`: x + ls1(attn(norm1(x))), then x + ls2(mlp(norm2(x))). */
export class Block extends Module {
  readonly norm1: Module;
  readonly attn: Module;
  readonly ls1: LayerScale | null;
  readonly norm2: Module;
  readonly mlp: Module;
  readonly ls2: LayerScale | null;
  constructor(dim: number, o: BlockOptions, depth = 0) {
    super();
    this.norm1 = this.addModule('norm1', o.norm(dim));
    this.attn = this.addModule('attn', makeAttn(dim, o, depth));
    this.ls1 = o.initValues ? this.addModule('ls1', new LayerScale(dim, o.initValues)) : null;
    this.norm2 = this.addModule('norm2', o.norm(dim));
    this.mlp = this.addModule('mlp', makeMlp(dim, o));
    this.ls2 = o.initValues ? this.addModule('ls2', new LayerScale(dim, o.initValues)) : null;
  }
  override forward(x: tf.Tensor): tf.Tensor {
    let a = this.attn.forward(this.norm1.forward(x));
    if (this.ls1) a = this.ls1.forward(a);
    x = tf.add(x, a);
    let m = this.mlp.forward(this.norm2.forward(x));
    if (this.ls2) m = this.ls2.forward(m);
    return tf.add(x, m);
  }
}

/** timm's `ResPostBlock`: x + norm1(attn(x)), then x + norm2(mlp(x)). */
export class ResPostBlock extends Module {
  readonly attn: Module;
  readonly norm1: Module;
  readonly mlp: Module;
  readonly norm2: Module;
  constructor(dim: number, o: BlockOptions, depth = 0) {
    super();
    this.attn = this.addModule('attn', makeAttn(dim, o, depth));
    this.norm1 = this.addModule('norm1', o.norm(dim));
    this.mlp = this.addModule('mlp', makeMlp(dim, o));
    this.norm2 = this.addModule('norm2', o.norm(dim));
  }
  override forward(x: tf.Tensor): tf.Tensor {
    x = tf.add(x, this.norm1.forward(this.attn.forward(x)));
    return tf.add(x, this.norm2.forward(this.mlp.forward(x)));
  }
}

/** One residual branch of ParallelThingsBlock: norm → attn / mlp → (ls). Keys: norm, attn | mlp, ls. */
class ParallelBranch extends Module {
  constructor(readonly norm: Module, readonly fn: Module, readonly ls: LayerScale | null, fnName: string) {
    super();
    this.addModule('norm', norm);
    this.addModule(fnName, fn);
    if (ls) this.addModule('ls', ls);
  }
  override forward(x: tf.Tensor): tf.Tensor {
    const y = this.fn.forward(this.norm.forward(x));
    return this.ls ? this.ls.forward(y) : y;
  }
}

/** timm's `ParallelThingsBlock` (2 parallel branches): x + Σ attns(x), then x + Σ ffns(x). Keys: attns.N, ffns.N. */
export class ParallelThingsBlock extends Module {
  readonly attns: ParallelBranch[] = [];
  readonly ffns: ParallelBranch[] = [];
  constructor(dim: number, o: BlockOptions, depth = 0, numParallel = 2) {
    super();
    const attns = this.addModule('attns', new Module());
    const ffns = this.addModule('ffns', new Module());
    for (let i = 0; i < numParallel; i++) {
      const ls = o.initValues ? new LayerScale(dim, o.initValues) : null;
      this.attns.push(attns.addModule(String(i), new ParallelBranch(o.norm(dim), makeAttn(dim, o, depth), ls, 'attn')));
    }
    for (let i = 0; i < numParallel; i++) {
      const ls = o.initValues ? new LayerScale(dim, o.initValues) : null;
      this.ffns.push(ffns.addModule(String(i), new ParallelBranch(o.norm(dim), makeMlp(dim, o), ls, 'mlp')));
    }
  }
  override forward(x: tf.Tensor): tf.Tensor {
    x = tf.add(x, tf.addN(this.attns.map((a) => a.forward(x))));
    return tf.add(x, tf.addN(this.ffns.map((f) => f.forward(x))));
  }
}

/** The input half ParallelScalingBlock and DiffParallelScalingBlock share: in_norm → in_proj, split into mlp / q / k / v. */
abstract class ParallelInBlock extends Module {
  readonly numHeads: number;
  readonly headDim: number;
  readonly mlpHidden: number;
  readonly inNorm: Module;
  readonly inProj: Linear;
  readonly mlpBias: Param | null;
  readonly qNorm: Module | null;
  readonly kNorm: Module | null;
  readonly act: ActName;
  constructor(readonly dim: number, o: BlockOptions, headDim: number) {
    super();
    if (o.scaleAttnNorm || o.scaleMlpNorm) throw new Error(`${new.target.name}: scale norms are not supported`);
    this.numHeads = o.numHeads;
    this.headDim = headDim;
    this.mlpHidden = Math.trunc(o.mlpRatio * dim);
    this.act = o.act;
    this.inNorm = this.addModule('in_norm', o.norm(dim));
    this.inProj = this.addModule('in_proj', new Linear(dim, this.mlpHidden + 3 * dim, { bias: o.qkvBias }));
    this.mlpBias = o.qkvBias ? null : this.addParam('mlp_bias', [this.mlpHidden], { init: { kind: 'zeros' } });
    this.qNorm = o.qkNorm ? this.addModule('q_norm', o.norm(this.headDim)) : null;
    this.kNorm = o.qkNorm ? this.addModule('k_norm', o.norm(this.headDim)) : null;
  }
  /** in_norm → in_proj, split as [mlp (with its bias), q, k, v], each `[B, N, ·]`. */
  protected project(x: tf.Tensor): [tf.Tensor, tf.Tensor, tf.Tensor, tf.Tensor] {
    const C = x.shape[2]!;
    const y = this.inProj.forward(this.inNorm.forward(x));
    const [xm, q, k, v] = splitTensor(y, [this.mlpHidden, C, C, C], -1) as [tf.Tensor, tf.Tensor, tf.Tensor, tf.Tensor];
    return [this.mlpBias ? tf.add(xm, this.mlpBias.value) : xm, q, k, v];
  }
}

/**
 * timm's `ParallelScalingBlock`: in_norm → in_proj split into [mlp hidden, q, k, v]; attention and act(mlp) run in
 * parallel; attn_out_proj(attn) + mlp_out_proj(mlp), layer-scaled, added to x. Keys: in_norm, in_proj, mlp_bias (when
 * no qkv bias), q_norm, k_norm, attn_out_proj, mlp_out_proj, ls.
 */
export class ParallelScalingBlock extends ParallelInBlock {
  readonly attnOutProj: Linear;
  readonly mlpOutProj: Linear;
  readonly ls: LayerScale | null;
  constructor(dim: number, o: BlockOptions) {
    super(dim, o, dim / o.numHeads);
    this.attnOutProj = this.addModule('attn_out_proj', new Linear(dim, dim, { bias: o.projBias }));
    this.mlpOutProj = this.addModule('mlp_out_proj', new Linear(this.mlpHidden, dim, { bias: o.projBias }));
    this.ls = o.initValues !== null ? this.addModule('ls', new LayerScale(dim, o.initValues)) : null;
  }
  override forward(x: tf.Tensor): tf.Tensor {
    const [B, N, C] = x.shape as [number, number, number];
    const H = this.numHeads;
    const D = this.headDim;
    let [xm, q, k, v] = this.project(x);
    const heads = (t: tf.Tensor) => tf.transpose(tf.reshape(t, [B, N, H, D]), [0, 2, 1, 3]);
    q = heads(q);
    k = heads(k);
    if (this.qNorm) q = this.qNorm.forward(q);
    if (this.kNorm) k = this.kNorm.forward(k);
    const q3 = tf.reshape(tf.mul(q, D ** -0.5), [B * H, N, D]) as tf.Tensor3D;
    const o = softmaxAttention(q3, tf.reshape(k, [B * H, N, D]) as tf.Tensor3D, tf.reshape(heads(v), [B * H, N, D]) as tf.Tensor3D);
    const xa = tf.reshape(tf.transpose(tf.reshape(o, [B, H, N, D]), [0, 2, 1, 3]), [B, N, C]);
    let out = tf.add(this.attnOutProj.forward(xa), this.mlpOutProj.forward(applyAct(this.act, xm)));
    if (this.ls) out = this.ls.forward(out);
    return tf.add(x, out);
  }
}

/**
 * timm's `DiffParallelScalingBlock`: ParallelScalingBlock with differential attention (half-width heads, two softmax
 * maps, λ from lambda_q1/k1/q2/k2, sub_norm) and one fused out_proj over [attn, act(mlp)]. Keys: in_norm, in_proj,
 * mlp_bias, q_norm, k_norm, sub_norm, lambda_q1, lambda_k1, lambda_q2, lambda_k2, out_proj, ls.
 */
export class DiffParallelScalingBlock extends ParallelInBlock {
  readonly lambdaInit: number;
  readonly subNorm: RmsNorm;
  readonly lambdas: Param[];
  readonly outProj: Linear;
  readonly ls: LayerScale | null;
  constructor(dim: number, o: BlockOptions, depth = 0) {
    super(dim, o, Math.floor(dim / o.numHeads / 2));
    this.subNorm = this.addModule('sub_norm', new RmsNorm(2 * this.headDim, { eps: 1e-5 }));
    this.lambdas = ['lambda_q1', 'lambda_k1', 'lambda_q2', 'lambda_k2']
      .map((n) => this.addParam(n, [this.headDim], { init: { kind: 'normal', std: 0.1 } }));
    this.outProj = this.addModule('out_proj', new Linear(dim + this.mlpHidden, dim, { bias: o.projBias }));
    this.ls = o.initValues !== null ? this.addModule('ls', new LayerScale(dim, o.initValues)) : null;
    this.lambdaInit = 0.8 - 0.6 * Math.exp(-0.3 * depth);
  }
  override forward(x: tf.Tensor): tf.Tensor {
    const [B, N, C] = x.shape as [number, number, number];
    const H = this.numHeads;
    const D = this.headDim;
    let [xm, q, k, v] = this.project(x);
    q = tf.transpose(tf.reshape(q, [B, N, 2 * H, D]), [0, 2, 1, 3]);
    k = tf.transpose(tf.reshape(k, [B, N, 2 * H, D]), [0, 2, 1, 3]);
    v = tf.reshape(tf.transpose(tf.reshape(v, [B, N, H, 2 * D]), [0, 2, 1, 3]), [B * H, N, 2 * D]);
    if (this.qNorm) q = this.qNorm.forward(q);
    if (this.kNorm) k = this.kNorm.forward(k);
    const [a, b, c, d] = this.lambdas.map((p) => p.value) as [tf.Tensor, tf.Tensor, tf.Tensor, tf.Tensor];
    const lambda = tf.add(tf.sub(tf.exp(tf.sum(tf.mul(a, b))), tf.exp(tf.sum(tf.mul(c, d)))), this.lambdaInit);
    const q5 = tf.reshape(tf.mul(q, D ** -0.5), [B, H, 2, N, D]);
    const k5 = tf.reshape(k, [B, H, 2, N, D]);
    const half = (t: tf.Tensor, j: number) => tf.reshape(sliceTensor(t, [0, 0, j, 0, 0], [B, H, 1, N, D]), [B * H, N, D]) as tf.Tensor3D;
    const attend = (j: number) => batchMatMul(tf.softmax(batchMatMul(half(q5, j), half(k5, j), true), -1) as tf.Tensor3D, v as tf.Tensor3D);
    let xa = tf.sub(attend(0), tf.mul(lambda, attend(1)));
    xa = tf.mul(this.subNorm.forward(xa), 1 - this.lambdaInit);
    xa = tf.reshape(tf.transpose(tf.reshape(xa, [B, H, N, 2 * D]), [0, 2, 1, 3]), [B, N, C]);
    let out = this.outProj.forward(tf.concat([xa, applyAct(this.act, xm)], -1));
    if (this.ls) out = this.ls.forward(out);
    return tf.add(x, out);
  }
}

class BlockList extends Module {}

const POOLS = ['', 'avg', 'avgmax', 'max', 'token', 'map'];

/**
 * timm's VisionTransformer (and DeiT's VisionTransformerDistilled with `distilled`) on NHWC input.
 * `forwardFeatures` returns tokens `[B, N, C]` (prefix tokens first). State-dict keys are timm's: cls_token, reg_token,
 * pos_embed, patch_embed.proj, norm_pre, blocks.N.{norm1,attn,ls1,norm2,mlp,ls2}, norm, fc_norm, head (, dist_token, head_dist).
 */
export class VisionTransformer extends VisionModel {
  static readonly argNames: readonly (keyof VisionTransformerArgs)[] = ARG_NAMES;
  numClasses: number;
  numFeatures: number;
  headHiddenSize: number;
  readonly inChans: number;
  readonly embedDim: number;
  readonly numPrefixTokens: number;
  readonly noEmbedClass: boolean;
  readonly dynamicImgSize: boolean;
  readonly distilled: boolean;
  readonly hasClassToken: boolean;
  readonly numRegTokens: number;
  readonly poolIncludePrefix: boolean;
  globalPool: string;
  readonly patchEmbed: EmbedLayer;
  readonly clsToken: Param | null;
  readonly regToken: Param | null;
  readonly distToken: Param | null;
  readonly posEmbed: Param | null;
  readonly normPre: Module | null;
  blocks: Module[];
  norm: Module | null;
  attnPool: AttentionPoolLatent | null;
  fcNorm: Module | null;
  head: Linear | null = null;
  headDist: Linear | null = null;
  private readonly blockList: BlockList;

  constructor(args: VisionTransformerArgs = {}) {
    super();
    const {
      imgSize = 224, patchSize = 16, inChans = 3, numClasses = 1000, globalPool = 'token', embedDim = 768, depth = 12,
      numHeads = 12, mlpRatio = 4, qkvBias = true, qkNorm = false, projBias = true, initValues = null, classToken = true,
      posEmbed = 'learn', noEmbedClass = false, regTokens = 0, preNorm = false, finalNorm = true, fcNorm = null,
      poolIncludePrefix = false, dynamicImgSize = false, dynamicImgPad = false, normLayer = 'layernorm', normEps = 1e-6,
      embedNormLayer = null, actLayer = 'gelu', mlpLayer = 'mlp', attnLayer = 'attention', blockFn = 'block', scaleAttnNorm = false,
      scaleMlpNorm = false, distilled = false, embedLayer,
    } = args;
    if (!POOLS.includes(globalPool)) {
      throw new Error(`VisionTransformer: globalPool '${globalPool}' is not supported (use ${POOLS.map((p) => `'${p}'`).join(', ')})`);
    }
    if (distilled && !classToken) throw new Error('VisionTransformer: distilled needs the class token');
    this.numClasses = numClasses;
    this.inChans = inChans;
    this.globalPool = globalPool;
    this.embedDim = this.numFeatures = this.headHiddenSize = embedDim;
    this.hasClassToken = classToken;
    this.numRegTokens = regTokens;
    this.distilled = distilled;
    this.numPrefixTokens = (classToken ? 1 : 0) + regTokens + (distilled ? 1 : 0);
    this.noEmbedClass = noEmbedClass;
    this.dynamicImgSize = dynamicImgSize;
    this.poolIncludePrefix = poolIncludePrefix;
    const useFcNorm = fcNorm ?? ['avg', 'avgmax', 'max'].includes(globalPool);
    const norm = normFactory(normLayer, normEps);

    const embedArgs = { imgSize, patchSize, inChans, embedDim, bias: !preNorm, dynamicImgPad, strictImgSize: !dynamicImgSize };
    if (embedLayer && embedNormLayer) throw new Error('VisionTransformer: embedNormLayer is not supported with an embedLayer');
    this.patchEmbed = this.addModule('patch_embed', embedLayer ? embedLayer(embedArgs)
      : new PatchEmbed({ ...embedArgs, normLayer: embedNormLayer ? normFactory(embedNormLayer, normEps) : undefined }));
    const numPatches = this.patchEmbed.numPatches!;
    const r = this.patchEmbed.featRatio();

    this.clsToken = classToken ? this.addParam('cls_token', [1, 1, embedDim], { init: { kind: 'normal', std: 1e-6 } }) : null;
    this.regToken = regTokens ? this.addParam('reg_token', [1, regTokens, embedDim], { init: { kind: 'normal', std: 1e-6 } }) : null;
    const embedLen = noEmbedClass ? numPatches : numPatches + this.numPrefixTokens;
    this.posEmbed = posEmbed === 'learn'
      ? this.addParam('pos_embed', [1, embedLen, embedDim], { init: { kind: 'truncnormal', std: 0.02 } })
      : null;
    // VisionTransformerDistilled adds its token after the base class's parameters (state-dict order).
    this.distToken = distilled ? this.addParam('dist_token', [1, 1, embedDim], { init: { kind: 'truncnormal', std: 0.02 } }) : null;
    this.normPre = preNorm ? this.addModule('norm_pre', norm(embedDim)) : null;

    const blockOpts: BlockOptions = {
      numHeads, mlpRatio, qkvBias, qkNorm, projBias, initValues, norm, act: resolveAct(actLayer), mlpLayer, attnLayer, scaleAttnNorm, scaleMlpNorm,
    };
    this.blockList = this.addModule('blocks', new BlockList());
    this.blocks = [];
    for (let i = 0; i < depth; i++) {
      const b = blockFn === 'res_post' ? new ResPostBlock(embedDim, blockOpts, i)
        : blockFn === 'parallel_things' ? new ParallelThingsBlock(embedDim, blockOpts, i)
        : blockFn === 'parallel_scaling' ? new ParallelScalingBlock(embedDim, blockOpts)
        : blockFn === 'diff_parallel_scaling' ? new DiffParallelScalingBlock(embedDim, blockOpts, i)
        : new Block(embedDim, blockOpts, i);
      this.blocks.push(this.blockList.addModule(String(i), b));
    }
    this.featureInfo = Array.from({ length: depth }, (_, i) => ({ module: `blocks.${i}`, numChs: embedDim, reduction: r }));
    this.norm = finalNorm && !useFcNorm ? this.addModule('norm', norm(embedDim)) : null;
    this.attnPool = globalPool === 'map'
      ? this.addModule('attn_pool', new AttentionPoolLatent(embedDim, { numHeads, mlpRatio, normLayer: norm, actLayer }))
      : null;
    this.fcNorm = finalNorm && useFcNorm ? this.addModule('fc_norm', norm(embedDim)) : null;
    this.buildHead(numClasses);
  }

  private buildHead(numClasses: number): void {
    this.head = numClasses > 0 ? new Linear(this.embedDim, numClasses) : null;
    this.addModule('head', this.head);
    if (this.distilled) {
      this.headDist = numClasses > 0 ? new Linear(this.embedDim, numClasses) : null;
      this.addModule('head_dist', this.headDist);
    }
  }

  /** Adds the position embedding and prefix tokens to patch tokens `[B, N, C]` of a `grid`. */
  private addPosEmbed(x: tf.Tensor, grid: Pair): tf.Tensor {
    const B = x.shape[0]!;
    const C = this.embedDim;
    let pos = this.posEmbed?.value ?? null;
    if (pos && this.dynamicImgSize) {
      pos = resampleAbsPosEmbedTensor(pos, grid, this.patchEmbed.gridSize, this.noEmbedClass ? 0 : this.numPrefixTokens);
    }
    const toCat: tf.Tensor[] = [];
    if (this.clsToken) toCat.push(tf.broadcastTo(this.clsToken.value, [B, 1, C]));
    if (this.distToken) toCat.push(tf.broadcastTo(this.distToken.value, [B, 1, C]));
    if (this.regToken) toCat.push(tf.broadcastTo(this.regToken.value, [B, this.numRegTokens, C]));
    if (this.noEmbedClass) {
      if (pos) x = tf.add(x, pos);
      if (toCat.length) x = tf.concat([...toCat, x], 1);
    } else {
      if (toCat.length) x = tf.concat([...toCat, x], 1);
      if (pos) x = tf.add(x, pos);
    }
    return x;
  }

  /** Patch embed, prefix tokens and position embedding, pre-norm: the tokens entering the first block. */
  private embed(x: tf.Tensor): tf.Tensor {
    const [, H, W] = x.shape as [number, number, number, number];
    const grid = this.patchEmbed.dynamicFeatSize([H, W]);
    x = this.addPosEmbed(this.patchEmbed.forward(x), grid);
    return this.normPre ? this.normPre.forward(x) : x;
  }

  /** timm's `VisionTransformer.group_matcher`: layer groups for layer-wise lr decay. */
  override groupMatcher(_coarse = false): GroupMatcher {
    return {
      stem: '^cls_token|reg_token|pos_embed|patch_embed',
      blocks: [
        [String.raw`^blocks\.(\d+)`, null],
        ['^norm', [MATCH_PREV_GROUP]],
      ],
    };
  }

  protected computeFeatures(x: tf.Tensor): tf.Tensor {
    x = this.embed(x);
    for (const b of this.blocks) x = b.forward(x);
    return this.norm ? this.norm.forward(x) : x;
  }

  /** timm's `global_pool_nlc` over tokens `[B, N, C]`. */
  private pool(x: tf.Tensor, poolType = this.globalPool): tf.Tensor {
    const [B, N, C] = x.shape as [number, number, number];
    if (this.attnPool) {
      const skip = this.poolIncludePrefix ? 0 : this.numPrefixTokens;
      return this.attnPool.forward(skip ? sliceTensor(x, [0, skip, 0], [B, N - skip, C]) : x);
    }
    if (!poolType) return x;
    if (poolType === 'token') return tf.reshape(sliceTensor(x, [0, 0, 0], [B, 1, C]), [B, C]);
    const skip = this.poolIncludePrefix ? 0 : this.numPrefixTokens;
    const t = skip ? sliceTensor(x, [0, skip, 0], [B, N - skip, C]) : x;
    if (poolType === 'avg') return tf.mean(t, 1);
    if (poolType === 'max') return tf.max(t, 1);
    if (poolType === 'avgmax') return tf.mul(tf.add(tf.max(t, 1), tf.mean(t, 1)), 0.5);
    throw new Error(`Unknown pool type ${poolType}`);
  }

  protected override computeHead(x: tf.Tensor, preLogits: boolean): tf.Tensor {
    if (this.distilled) {
      const [B, , C] = x.shape as [number, number, number];
      const a = tf.reshape(sliceTensor(x, [0, 0, 0], [B, 1, C]), [B, C]);
      const d = tf.reshape(sliceTensor(x, [0, 1, 0], [B, 1, C]), [B, C]);
      if (preLogits) return tf.div(tf.add(a, d), 2);
      const ha = this.head ? this.head.forward(a) : a;
      const hd = this.headDist ? this.headDist.forward(d) : d;
      return tf.div(tf.add(ha, hd), 2);
    }
    x = this.pool(x);
    if (this.fcNorm) x = this.fcNorm.forward(x);
    if (preLogits || !this.head) return x;
    return this.head.forward(x);
  }

  protected override computeIntermediates(x: tf.Tensor, o: ForwardIntermediatesOptions): IntermediatesResult {
    const fmt = o.outputFmt ?? 'NHWC';
    const { indices, stop } = this.takeIndices(this.blocks.length, o, ['NHWC', 'NLC']);
    const [B, H, W] = x.shape as [number, number, number, number];
    const [gh, gw] = this.patchEmbed.dynamicFeatSize([H, W]);
    x = this.embed(x);
    const blocks = this.blocks.slice(0, stop);
    let intermediates: tf.Tensor[] = [];
    blocks.forEach((b, i) => {
      x = b.forward(x);
      if (indices.includes(i)) intermediates.push(o.norm && this.norm ? this.norm.forward(x) : x);
    });
    const npt = this.numPrefixTokens;
    const C = this.embedDim;
    if (npt) intermediates = intermediates.map((y) => sliceTensor(y, [0, npt, 0], [B, y.shape[1]! - npt, C]));
    if (fmt === 'NHWC') intermediates = intermediates.map((y) => tf.reshape(y, [B, gh, gw, C]));
    const final = this.norm ? this.norm.forward(x) : x;
    return { final, intermediates };
  }

  override pruneIntermediateLayers(indices: OutIndices = 1, pruneNorm = false, pruneHead = true): number[] {
    return this.pruneLevels(this.blocks.length, indices, pruneHead, (maxIndex) => {
      for (let i = maxIndex + 1; i < this.blocks.length; i++) this.blockList.addModule(String(i), null);
      this.blocks = this.blocks.slice(0, maxIndex + 1);
      if (pruneNorm && this.norm) {
        this.addModule('norm', null);
        this.norm = null;
      }
      if (pruneHead && this.fcNorm) {
        this.addModule('fc_norm', null);
        this.fcNorm = null;
      }
    });
  }

  /** timm's `no_weight_decay()`: the position embedding and the class / distillation tokens. */
  override noWeightDecay(): string[] {
    return ['pos_embed', 'cls_token', 'dist_token'];
  }

  override resetClassifier(numClasses: number, globalPool?: string): void {
    this.numClasses = numClasses;
    if (globalPool !== undefined) {
      if (!POOLS.includes(globalPool)) throw new Error(`Unsupported globalPool '${globalPool}'`);
      if (globalPool === 'map' && !this.attnPool) throw new Error('Cannot add attention pooling in resetClassifier()');
      if (globalPool !== 'map' && this.attnPool) {
        this.addModule('attn_pool', null);
        this.attnPool = null;
      }
      this.globalPool = globalPool;
    }
    this.buildHead(numClasses);
  }

  override getClassifier(): Module {
    return this.head ?? new Module();
  }

  /** The token grid of the built image size. */
  get gridSize(): Pair {
    return this.patchEmbed.gridSize!;
  }
}

/**
 * timm's `checkpoint_filter_fn` for ViT / DeiT checkpoints in timm's layout: unwraps `model` / `state_dict`, reshapes
 * a linear patch projection into a conv, resamples `pos_embed` to the model's grid (bicubic, antialiased, as timm), maps
 * DeiT-III `gamma_N` to `lsN.gamma` (with `adaptLayerScale`), resizes a patch projection of another patch size
 * (timm's `resample_patch_embed`, pseudo-inverse) and drops `pre_logits`.
 */
export function checkpointFilterFn(sd: StateDict, model: VisionModel, opts: { adaptLayerScale?: boolean; interpolation?: 'bicubic' | 'bilinear'; antialias?: boolean } = {}): StateDict {
  const vit = model as VisionTransformer;
  const out: StateDict = {};
  for (let [k, v] of Object.entries(sd)) {
    const projWeight = (vit.patchEmbed as { proj?: { weight?: { shape: readonly number[] } } }).proj?.weight;
    if (k.includes('patch_embed.proj.weight') && projWeight) {
      const [O, I, Hh, Ww] = projWeight.shape as [number, number, number, number];
      if (v.shape.length < 4) v = { ...v, shape: [O, v.data.length / (O * Hh * Ww), Hh, Ww] };
      if (v.shape[2] !== Hh || v.shape[3] !== Ww) {
        v = resamplePatchEmbed(v, [Hh, Ww], opts.interpolation ?? 'bicubic', opts.antialias ?? true);
      }
      void I;
    } else if (k === 'pos_embed' && vit.posEmbed && v.shape[1] !== vit.posEmbed.shape[1]) {
      const npt = vit.noEmbedClass ? 0 : vit.numPrefixTokens;
      v = resampleAbsPosEmbed(v, vit.gridSize, null, npt, opts.interpolation ?? 'bicubic', opts.antialias ?? true);
    } else if (opts.adaptLayerScale && k.includes('gamma_')) {
      k = k.replace(/gamma_([0-9])/, 'ls$1.gamma');
    } else if (k.includes('pre_logits')) {
      continue;
    }
    out[k] = v;
  }
  return out;
}

