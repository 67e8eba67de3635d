import * as tf from '@tensorflow/tfjs-core';
import {
  AttentionPoolLatent, AttentionRope, createRopeEmbed, EvaAttention, type ForwardIntermediatesOptions, GluMlp, type GridIndexing,
  type GroupMatcher, type GroupMatcherSpec, globalPoolNlc, type IntermediatesResult, LayerNorm, Linear, MATCH_PREV_GROUP, Mlp, Module, type NormFactory,
  type OutIndices, type Pair, type Param, PatchEmbed, type RopeEmbed, resampleAbsPosEmbed, resampleAbsPosEmbedTensor, resamplePatchEmbed,
  type StateDict, SwiGLU, sliceTensor, toPair, VisionModel,
} from '@zoo/core';

/** timm's norm layer for Eva: its LayerNorm (eps 1e-6 unless given, e.g. 1e-5 for DINOv3 / Perception Encoder). */
export interface EvaNormLayer {
  type: 'layernorm';
  eps?: number;
}

export type EvaPool = '' | 'avg' | 'avgmax' | 'max' | 'token' | 'map';

/** timm's `Eva` constructor arguments, camelCased. */
export interface EvaArgs {
  imgSize?: number | Pair;
  patchSize?: number;
  inChans?: number;
  numClasses?: number;
  globalPool?: EvaPool | string;
  embedDim?: number;
  depth?: number;
  numHeads?: number;
  qkvBias?: boolean;
  qkvFused?: boolean;
  mlpRatio?: number;
  /** SwiGLU MLP (separate gate / value projections when scaled or aligned, else packed GluMlp). */
  swigluMlp?: boolean;
  /** Round the SwiGLU hidden width up to a multiple of this (DINOv3). */
  swigluAlignTo?: number;
  /** A norm inside the MLP (EVA-02's normformer-style scale). */
  scaleMlp?: boolean;
  /** A norm inside attention before its output projection. */
  scaleAttnInner?: boolean;
  /** 'eva' (EvaAttention: q / v bias only) or 'rope' (AttentionRope: bias on all of q, k, v). */
  attnType?: 'eva' | 'rope';
  dropRate?: number;
  posDropRate?: number;
  patchDropRate?: number;
  projDropRate?: number;
  attnDropRate?: number;
  dropPathRate?: number;
  normLayer?: EvaNormLayer;
  /** Layer-scale init (`gamma_1`, `gamma_2` per block); none when null. */
  initValues?: number | null;
  classToken?: boolean;
  numRegTokens?: number;
  noEmbedClass?: boolean;
  useAbsPosEmb?: boolean;
  useRotPosEmb?: boolean;
  /** 'cat' (RotaryEmbeddingCat, default), 'mixed' (learnable per block) or 'dinov3'. */
  ropeType?: 'cat' | 'mixed' | 'dinov3';
  ropeGridOffset?: number;
  ropeGridIndexing?: GridIndexing;
  ropeTemperature?: number;
  ropeRotateHalf?: boolean;
  /** Post-norm blocks (EvaBlockPostNorm). */
  usePostNorm?: boolean;
  usePreTransformerNorm?: boolean;
  usePostTransformerNorm?: boolean | null;
  useFcNorm?: boolean | null;
  attnPoolNumHeads?: number | null;
  attnPoolMlpRatio?: number | null;
  dynamicImgSize?: boolean;
  dynamicImgPad?: boolean;
  /** The token grid the rope tables were trained at (EVA-02 rescales coordinates to it). */
  refFeatShape?: number | Pair | null;
  headInitScale?: number;
}

const ARG_NAMES: readonly (keyof EvaArgs)[] = [
  'imgSize', 'patchSize', 'inChans', 'numClasses', 'globalPool', 'embedDim', 'depth', 'numHeads', 'qkvBias', 'qkvFused',
  'mlpRatio', 'swigluMlp', 'swigluAlignTo', 'scaleMlp', 'scaleAttnInner', 'attnType', 'dropRate', 'posDropRate',
  'patchDropRate', 'projDropRate', 'attnDropRate', 'dropPathRate', 'normLayer', 'initValues', 'classToken', 'numRegTokens',
  'noEmbedClass', 'useAbsPosEmb', 'useRotPosEmb', 'ropeType', 'ropeGridOffset', 'ropeGridIndexing', 'ropeTemperature',
  'ropeRotateHalf', 'usePostNorm', 'usePreTransformerNorm', 'usePostTransformerNorm', 'useFcNorm', 'attnPoolNumHeads',
  'attnPoolMlpRatio', 'dynamicImgSize', 'dynamicImgPad', 'refFeatShape', 'headInitScale',
];

interface EvaBlockOptions {
  numHeads: number;
  qkvBias: boolean;
  qkvFused: boolean;
  mlpRatio: number;
  swigluMlp: boolean;
  swigluAlignTo: number;
  scaleMlp: boolean;
  scaleAttnInner: boolean;
  attnType: 'eva' | 'rope';
  rotateHalf: boolean;
  initValues: number | null;
  norm: NormFactory;
}

/** The block's MLP as timm's EvaBlock picks it (`alignedSwiGLU`: whether alignment alone selects SwiGLU). */
function evaMlp(dim: number, o: EvaBlockOptions, alignedSwiGLU: boolean): Module {
  const hidden = Math.trunc(dim * o.mlpRatio);
  const norm = o.scaleMlp ? o.norm : undefined;
  if (!o.swigluMlp) return new Mlp(dim, { hiddenFeatures: hidden, actLayer: 'gelu', normLayer: norm });
  if (o.scaleMlp || (alignedSwiGLU && o.swigluAlignTo)) {
    const a = o.swigluAlignTo;
    return new SwiGLU(dim, { hiddenFeatures: a ? Math.ceil(hidden / a) * a : hidden, normLayer: norm });
  }
  // packed weights: one fc1 producing [x, gate]
  return new GluMlp(dim, { hiddenFeatures: hidden * 2, actLayer: 'silu', gateLast: false });
}

function evaAttn(dim: number, o: EvaBlockOptions): AttentionRope {
  const opts = {
    numHeads: o.numHeads, qkvBias: o.qkvBias, qkvFused: o.qkvFused, normLayer: o.norm, scaleNorm: o.scaleAttnInner, rotateHalf: o.rotateHalf,
  };
  return o.attnType === 'rope' ? new AttentionRope(dim, opts) : new EvaAttention(dim, opts);
}

/** A block that takes the rope table along with the tokens. */
interface RopeBlock extends Module {
  forwardRope(x: tf.Tensor, rope: tf.Tensor | null): tf.Tensor;
}

/** timm's `EvaBlock`: x + γ1·attn(norm1(x), rope), then x + γ2·mlp(norm2(x)). Keys: norm1, attn, gamma_1, norm2, mlp, gamma_2. */
export class EvaBlock extends Module implements RopeBlock {
  readonly norm1: Module;
  readonly attn: AttentionRope;
  readonly gamma1: Param | null;
  readonly norm2: Module;
  readonly mlp: Module;
  readonly gamma2: Param | null;
  constructor(dim: number, o: EvaBlockOptions) {
    super();
    this.norm1 = this.addModule('norm1', o.norm(dim));
    this.attn = this.addModule('attn', evaAttn(dim, o));
    const gamma = (name: string) => (o.initValues != null ? this.addParam(name, [dim], { init: { kind: 'const', value: o.initValues } }) : null);
    this.gamma1 = gamma('gamma_1');
    this.norm2 = this.addModule('norm2', o.norm(dim));
    this.mlp = this.addModule('mlp', evaMlp(dim, o, true));
    this.gamma2 = gamma('gamma_2');
  }
  forwardRope(x: tf.Tensor, rope: tf.Tensor | null): tf.Tensor {
    let a = this.attn.forwardRope(this.norm1.forward(x), rope);
    if (this.gamma1) a = tf.mul(this.gamma1.value, a);
    x = tf.add(x, a);
    let m = this.mlp.forward(this.norm2.forward(x));
    if (this.gamma2) m = tf.mul(this.gamma2.value, m);
    return tf.add(x, m);
  }
  override forward(x: tf.Tensor): tf.Tensor {
    return this.forwardRope(x, null);
  }
}

/** timm's `EvaBlockPostNorm`: x + norm1(attn(x, rope)), then x + norm2(mlp(x)). Keys: attn, norm1, mlp, norm2. */
export class EvaBlockPostNorm extends Module implements RopeBlock {
  readonly attn: AttentionRope;
  readonly norm1: Module;
  readonly mlp: Module;
  readonly norm2: Module;
  constructor(dim: number, o: EvaBlockOptions) {
    super();
    this.attn = this.addModule('attn', evaAttn(dim, o));
    this.norm1 = this.addModule('norm1', o.norm(dim));
    this.mlp = this.addModule('mlp', evaMlp(dim, o, false));
    this.norm2 = this.addModule('norm2', o.norm(dim));
  }
  forwardRope(x: tf.Tensor, rope: tf.Tensor | null): tf.Tensor {
    x = tf.add(x, this.norm1.forward(this.attn.forwardRope(x, rope)));
    return tf.add(x, this.norm2.forward(this.mlp.forward(x)));
  }
  override forward(x: tf.Tensor): tf.Tensor {
    return this.forwardRope(x, null);
  }
}

class BlockList extends Module {}

const POOLS = ['', 'avg', 'avgmax', 'max', 'token', 'map'];

/**
 * timm's `Eva` on NHWC input: EVA (absolute position embedding), EVA-02 (plus rotary embeddings, SwiGLU, scale norms),
 * the RoPE ViTs (cat or mixed rope, AttentionRope), DINOv3 (dinov3 rope, register tokens, dynamic size) and Perception
 * Encoder ViTs (pre-transformer norm, MAP head). `forwardFeatures` returns tokens `[B, N, C]`, prefix tokens first.
 * Keys: cls_token, reg_token, pos_embed, patch_embed.proj, rope (mixed: rope.freqs), norm_pre, blocks.N, norm,
 * attn_pool, fc_norm, head.
 */
export class Eva extends VisionModel {
  static readonly argNames: readonly (keyof EvaArgs)[] = ARG_NAMES;
  numClasses: number;
  numFeatures: number;
  headHiddenSize: number;
  readonly inChans: number;
  readonly embedDim: number;
  readonly numPrefixTokens: number;
  readonly noEmbedClass: boolean;
  readonly dynamicImgSize: boolean;
  globalPool: string;
  readonly patchEmbed: PatchEmbed;
  readonly clsToken: Param | null;
  readonly regToken: Param | null;
  readonly posEmbed: Param | null;
  readonly rope: (Module & RopeEmbed) | null;
  readonly normPre: Module | null;
  blocks: RopeBlock[];
  norm: Module | null;
  attnPool: AttentionPoolLatent | null;
  fcNorm: Module | null;
  head: Linear | null = null;
  private readonly blockList: BlockList;

  constructor(args: EvaArgs = {}) {
    super();
    const {
      imgSize = 224, patchSize = 16, inChans = 3, numClasses = 1000, globalPool = 'avg', embedDim = 768, depth = 12, numHeads = 12,
      qkvBias = true, qkvFused = true, mlpRatio = 4, swigluMlp = false, swigluAlignTo = 0, scaleMlp = false, scaleAttnInner = false,
      attnType = 'eva', normLayer, initValues = null, classToken = true, numRegTokens = 0, noEmbedClass = false, useAbsPosEmb = true,
      useRotPosEmb = false, ropeType = 'cat', ropeGridOffset = 0, ropeGridIndexing = 'ij', ropeTemperature = 10000, ropeRotateHalf = false,
      usePostNorm = false, usePreTransformerNorm = false, usePostTransformerNorm = null, useFcNorm = null, attnPoolNumHeads = null,
      attnPoolMlpRatio = null, dynamicImgSize = false, dynamicImgPad = false, refFeatShape = null,
    } = args;
    if (!POOLS.includes(globalPool)) {
      throw new Error(`Eva: globalPool '${globalPool}' is not supported (use ${POOLS.map((p) => `'${p}'`).join(', ')})`);
    }
    this.numClasses = numClasses;
    this.inChans = inChans;
    this.globalPool = globalPool;
    this.embedDim = this.numFeatures = this.headHiddenSize = embedDim;
    this.numPrefixTokens = (classToken ? 1 : 0) + numRegTokens;
    this.noEmbedClass = noEmbedClass;
    this.dynamicImgSize = dynamicImgSize;
    const eps = normLayer?.eps ?? 1e-6;
    const norm: NormFactory = (d) => new LayerNorm(d, { eps });
    const fcNormOn = useFcNorm ?? globalPool === 'avg';
    const postNormOn = usePostTransformerNorm ?? !fcNormOn;

    this.patchEmbed = this.addModule('patch_embed', new PatchEmbed({
      imgSize, patchSize, inChans, embedDim, dynamicImgPad, bias: !usePreTransformerNorm, strictImgSize: !dynamicImgSize,
    }));
    const numPatches = this.patchEmbed.numPatches!;
    this.clsToken = classToken ? this.addParam('cls_token', [1, 1, embedDim], { init: { kind: 'truncnormal', std: 0.02 } }) : null;
    this.regToken = numRegTokens ? this.addParam('reg_token', [1, numRegTokens, embedDim], { init: { kind: 'truncnormal', std: 0.02 } }) : null;
    const numPos = noEmbedClass ? numPatches : numPatches + this.numPrefixTokens;
    this.posEmbed = useAbsPosEmb ? this.addParam('pos_embed', [1, numPos, embedDim], { init: { kind: 'truncnormal', std: 0.02 } }) : null;

    this.rope = useRotPosEmb
      ? this.addModule('rope', createRopeEmbed(ropeType, {
        dim: embedDim, numHeads, depth, temperature: ropeTemperature, gridIndexing: ropeGridIndexing, gridOffset: ropeGridOffset,
        refFeatShape: refFeatShape != null ? toPair(refFeatShape) : null, inPixels: false, rotateHalf: true,
      }))
      : null;
    this.normPre = usePreTransformerNorm ? this.addModule('norm_pre', norm(embedDim)) : null;

    const blockOpts: EvaBlockOptions = {
      numHeads, qkvBias, qkvFused, mlpRatio, swigluMlp, swigluAlignTo, scaleMlp, scaleAttnInner, attnType, rotateHalf: ropeRotateHalf,
      initValues, norm,
    };
    this.blockList = this.addModule('blocks', new BlockList());
    this.blocks = [];
    for (let i = 0; i < depth; i++) {
      const b = usePostNorm ? new EvaBlockPostNorm(embedDim, blockOpts) : new EvaBlock(embedDim, blockOpts);
      this.blocks.push(this.blockList.addModule(String(i), b));
    }
    const r = this.patchEmbed.featRatio();
    this.featureInfo = Array.from({ length: depth }, (_, i) => ({ module: `blocks.${i}`, numChs: embedDim, reduction: r }));
    this.norm = postNormOn ? this.addModule('norm', norm(embedDim)) : null;
    this.attnPool = globalPool === 'map'
      ? this.addModule('attn_pool', new AttentionPoolLatent(embedDim, {
        numHeads: attnPoolNumHeads || numHeads, mlpRatio: attnPoolMlpRatio || mlpRatio, normLayer: norm, actLayer: 'gelu',
      }))
      : null;
    this.fcNorm = fcNormOn ? this.addModule('fc_norm', norm(embedDim)) : null;
    this.setHead(numClasses);
  }

  private setHead(numClasses: number): void {
    this.head = numClasses > 0 ? new Linear(this.embedDim, numClasses) : null;
    this.addModule('head', this.head);
  }

  /** Patch embed, prefix tokens, absolute position embedding and pre-norm; the rope table for the token grid. */
  private embed(x: tf.Tensor): { x: tf.Tensor; rope: tf.Tensor | null; grid: Pair } {
    const [B, H, W] = x.shape as [number, number, number, number];
    const grid = this.patchEmbed.dynamicFeatSize([H, W]);
    x = this.patchEmbed.forward(x);
    const C = this.embedDim;
    let pos = this.posEmbed?.value ?? null;
    if (pos && this.dynamicImgSize) {
      pos = resampleAbsPosEmbedTensor(pos, grid, this.patchEmbed.gridSize, this.noEmbedClass ? 0 : this.numPrefixTokens);
    }
    const prefix: tf.Tensor[] = [];
    if (this.clsToken) prefix.push(tf.broadcastTo(this.clsToken.value, [B, 1, C]));
    if (this.regToken) prefix.push(tf.broadcastTo(this.regToken.value, [B, this.regToken.shape[1]!, C]));
    if (this.noEmbedClass && pos) x = tf.add(x, pos);
    if (prefix.length) x = tf.concat([...prefix, x], 1);
    if (!this.noEmbedClass && pos) x = tf.add(x, pos);
    if (this.normPre) x = this.normPre.forward(x);
    const rope = this.rope ? this.rope.getEmbed(grid, this.numPrefixTokens) : null;
    return { x, rope, grid };
  }

  /** Runs blocks `[0, stop)`, calling `each(i, x)` after each. */
  private runBlocks(x: tf.Tensor, rope: tf.Tensor | null, stop: number, each?: (i: number, x: tf.Tensor) => void): tf.Tensor {
    const perBlock = rope !== null && this.rope!.perBlock;
    const tables = perBlock ? tf.unstack(rope!, 0) : [];
    for (let i = 0; i < stop; i++) {
      x = this.blocks[i]!.forwardRope(x, perBlock ? tables[i]! : rope);
      each?.(i, x);
    }
    return x;
  }

  /** timm's `Eva.group_matcher`: layer groups for layer-wise lr decay. */
  override groupMatcher(_coarse = false): GroupMatcher {
    const blocks: GroupMatcherSpec = [[String.raw`^blocks\.(\d+)`, null], ['^norm', [MATCH_PREV_GROUP]]];
    return { stem: '^cls_token|reg_token|pos_embed|patch_embed', blocks };
  }

  /** timm's `no_weight_decay()`: position embedding, class and register tokens, and a learnable rope's frequencies. */
  override noWeightDecay(): string[] {
    const out = ['pos_embed', 'cls_token', 'reg_token'];
    if (this.rope?.perBlock) out.push('rope.freqs');
    return out;
  }

  protected computeFeatures(x: tf.Tensor): tf.Tensor {
    const e = this.embed(x);
    x = this.runBlocks(e.x, e.rope, this.blocks.length);
    return this.norm ? this.norm.forward(x) : x;
  }

  protected override computeHead(x: tf.Tensor, preLogits: boolean): tf.Tensor {
    const pooled = this.attnPool ? this.attnPool.forward(x) : globalPoolNlc(x, this.globalPool, this.numPrefixTokens);
    const y = this.fcNorm ? this.fcNorm.forward(pooled) : pooled;
    return preLogits || !this.head ? y : this.head.forward(y);
  }

  protected override computeIntermediates(x: tf.Tensor, o: ForwardIntermediatesOptions): IntermediatesResult {
    const fmt = o.outputFmt ?? 'NHWC';
    const { indices, stop } = this.takeIndices(this.blocks.length, o, ['NHWC', 'NLC']);
    const B = x.shape[0]!;
    const e = this.embed(x);
    const taken: tf.Tensor[] = [];
    x = this.runBlocks(e.x, e.rope, stop, (i, y) => {
      if (indices.includes(i)) taken.push(o.norm && this.norm ? this.norm.forward(y) : y);
    });
    const npt = this.numPrefixTokens;
    const C = this.embedDim;
    const [gh, gw] = e.grid;
    const intermediates = taken.map((y) => {
      const t = npt ? sliceTensor(y, [0, npt, 0], [B, y.shape[1]! - npt, C]) : y;
      return fmt === 'NHWC' ? tf.reshape(t, [B, gh, gw, C]) : t;
    });
    return { final: this.norm ? this.norm.forward(x) : x, intermediates };
  }

  override pruneIntermediateLayers(indices: OutIndices = 1, pruneNorm = false, pruneHead = true): number[] {
    return this.pruneLevels(this.blocks.length, indices, pruneHead, (maxIndex) => {
      // blocks after the last one taken, then (timm) the final norm and the whole head: MAP pool, fc_norm, classifier
      const cut = this.blocks.splice(maxIndex + 1);
      for (let j = 0; j < cut.length; j++) this.blockList.addModule(String(maxIndex + 1 + j), null);
      const drop = (name: string, present: unknown) => present && this.addModule(name, null);
      if (pruneNorm) {
        drop('norm', this.norm);
        this.norm = null;
      }
      if (!pruneHead) return;
      drop('attn_pool', this.attnPool);
      drop('fc_norm', this.fcNorm);
      this.attnPool = this.fcNorm = null;
      this.resetClassifier(0, '');
    });
  }

  override resetClassifier(numClasses: number, globalPool?: string): void {
    this.numClasses = numClasses;
    if (globalPool !== undefined) {
      if (!POOLS.includes(globalPool)) throw new Error(`Eva: unsupported globalPool '${globalPool}'`);
      this.globalPool = globalPool;
    }
    this.setHead(numClasses);
  }

  override getClassifier(): Module {
    return this.head ?? new Module();
  }
}

/** A state dict's value under `key`, if any. */
const has = (sd: StateDict, key: string) => Object.hasOwn(sd, key);

/**
 * timm's Eva `checkpoint_filter_fn` for timm / EVA / OpenCLIP / DINOv3 layouts: unwraps `model_ema` / `model` /
 * `module` / `state_dict`, strips an OpenCLIP `visual.` / `visual.trunk.` prefix, drops fixed rope buffers, maps DINOv3
 * names (storage tokens, `ls1.gamma`, qkv bias into q / v biases), moves an MIM checkpoint's norm to fc_norm, resizes
 * patch projection and position embedding to the model, and renames EVA's original MLP / attention-norm keys.
 * Meta's original Perception Encoder layout (`conv1.weight`) is not converted (timm's hub weights are already in timm's).
 */
export function checkpointFilterFn(sd: StateDict, model: VisionModel): StateDict {
  const eva = model as Eva;
  for (const wrap of ['model_ema', 'model', 'module', 'state_dict']) {
    const inner = (sd as unknown as Record<string, unknown>)[wrap];
    if (inner && typeof inner === 'object' && !('shape' in inner)) sd = inner as StateDict;
  }
  if (has(sd, 'visual.conv1.weight') || has(sd, 'conv1.weight')) {
    throw new Error("Eva checkpointFilterFn: Meta's original Perception Encoder checkpoint layout (conv1.weight) is not supported; use timm's converted weights");
  }
  const prefix = has(sd, 'visual.trunk.pos_embed') ? 'visual.trunk.' : has(sd, 'visual.pos_embed') ? 'visual.' : '';
  const dinov3 = has(sd, 'storage_tokens');
  const mim = !dinov3 && has(sd, `${prefix}mask_token`);
  const noQkv = has(sd, `${prefix}blocks.0.attn.q_proj.weight`);
  const own = model.stateDict();
  const out: StateDict = {};
  for (let [k, v] of Object.entries(sd)) {
    if (prefix) {
      if (!k.startsWith(prefix)) continue;
      k = k.slice(prefix.length);
    }
    if (k.includes('rope') && k !== 'rope.freqs') continue;
    if (dinov3) {
      if (['.periods', '.bias_mask', 'mask_token'].some((f) => k.endsWith(f))) continue;
      if (k.startsWith('projectors.') || k.startsWith('local_cls_norm')) continue;
      if (k.endsWith('qkv.bias')) {
        const qKey = k.replace('qkv.bias', 'q_bias');
        if (!(qKey in own)) continue; // the model has no q / v bias: the checkpoint's are all zero
        const n = v.shape[0]! / 3;
        const data = v.data as Float32Array;
        out[qKey] = { ...v, shape: [n], data: data.slice(0, n) };
        out[k.replace('qkv.bias', 'v_bias')] = { ...v, shape: [n], data: data.slice(2 * n, 3 * n) };
        continue;
      }
      k = k.replace('ls1.gamma', 'gamma_1').replace('ls2.gamma', 'gamma_2').replace('storage_tokens', 'reg_token');
    } else if (mim && ['mask_token', 'lm_head.weight', 'lm_head.bias', 'norm.weight', 'norm.bias'].includes(k)) {
      if (!k.startsWith('norm.')) continue;
      k = `fc_${k}`;
    }
    if (k.includes('patch_embed.proj.weight')) {
      const [, , ph, pw] = eva.patchEmbed.proj.weight.shape as [number, number, number, number];
      if (v.shape[2] !== ph || v.shape[3] !== pw) v = resamplePatchEmbed(v, [ph, pw]);
    } else if (k === 'pos_embed' && eva.posEmbed && v.shape[1] !== eva.posEmbed.shape[1]) {
      v = resampleAbsPosEmbed(v, eva.patchEmbed.gridSize!, null, eva.noEmbedClass ? 0 : eva.numPrefixTokens);
    }
    k = k.replace('mlp.ffn_ln', 'mlp.norm').replace('attn.inner_attn_ln', 'attn.norm').replace('mlp.w12', 'mlp.fc1')
      .replace('mlp.w1', 'mlp.fc1_g').replace('mlp.w2', 'mlp.fc1_x').replace('mlp.w3', 'mlp.fc2');
    if (noQkv) k = k.replace('q_bias', 'q_proj.bias').replace('v_bias', 'v_proj.bias');
    out[k] = v;
  }
  return out;
}
