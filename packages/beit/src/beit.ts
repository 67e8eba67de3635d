import * as tf from '@tensorflow/tfjs-core';
import {
  addLayerScaleGammas, ClsRelativePositionBias, type ForwardIntermediatesOptions, type GroupMatcher, type IntermediatesResult,
  LayerNorm, Linear, MATCH_PREV_GROUP, Mlp, Module, type NormFactory, type OutIndices, type Pair, type Param, PatchEmbed,
  poolTokens, QvBiasAttention, resampleAbsPosEmbed, resamplePatchEmbed, resizeRelPosBiasTable, type StateDict, SwiGLU, tokensToMaps, VisionModel,
} from '@zoo/core';

export interface BeitArgs {
  imgSize?: number | Pair;
  patchSize?: number;
  inChans?: number;
  numClasses?: number;
  /** 'avg' (mean of the patch tokens, then fc_norm: timm's default) or 'token' / '' (class token, final norm). */
  globalPool?: string;
  embedDim?: number;
  depth?: number;
  numHeads?: number;
  /** Learnable q / v biases (timm's default true). */
  qkvBias?: boolean;
  mlpRatio?: number;
  swigluMlp?: boolean;
  /** A LayerNorm inside the MLP (timm's `scale_mlp`). */
  scaleMlp?: boolean;
  /** Layer-scale init of the blocks' `gamma_1` / `gamma_2`; none when null. */
  initValues?: number | null;
  useAbsPosEmb?: boolean;
  /** A relative position table in every block. */
  useRelPosBias?: boolean;
  /** One relative position table shared by all blocks (`rel_pos_bias`). */
  useSharedRelPosBias?: boolean;
  headInitScale?: number;
  dropRate?: number;
  posDropRate?: number;
  projDropRate?: number;
  attnDropRate?: number;
  dropPathRate?: number;
}

const ARG_NAMES: readonly (keyof BeitArgs)[] = [
  'imgSize', 'patchSize', 'inChans', 'numClasses', 'globalPool', 'embedDim', 'depth', 'numHeads', 'qkvBias', 'mlpRatio',
  'swigluMlp', 'scaleMlp', 'initValues', 'useAbsPosEmb', 'useRelPosBias', 'useSharedRelPosBias', 'headInitScale', 'dropRate',
  'posDropRate', 'projDropRate', 'attnDropRate', 'dropPathRate',
];

const layerNorm: NormFactory = (d) => new LayerNorm(d, { eps: 1e-6 });

interface BeitBlockOptions {
  numHeads: number;
  qkvBias: boolean;
  mlpRatio: number;
  swigluMlp: boolean;
  scaleMlp: boolean;
  initValues: number | null;
  windowSize: Pair | null;
}

/**
 * timm's beit `Block`: x + γ₁·attn(norm1(x), shared bias), then x + γ₂·mlp(norm2(x)); the gammas are the block's
 * own parameters. Keys: gamma_1, gamma_2, norm1, attn, norm2, mlp.
 */
export class BeitBlock extends Module {
  readonly gamma1: Param | null;
  readonly gamma2: Param | null;
  readonly norm1: Module;
  readonly attn: QvBiasAttention;
  readonly norm2: Module;
  readonly mlp: Module;
  constructor(dim: number, o: BeitBlockOptions) {
    super();
    [this.gamma1, this.gamma2] = addLayerScaleGammas(this, dim, o.initValues);
    this.norm1 = this.addModule('norm1', layerNorm(dim));
    this.attn = this.addModule('attn', new QvBiasAttention(dim, { numHeads: o.numHeads, qkvBias: o.qkvBias, windowSize: o.windowSize }));
    this.norm2 = this.addModule('norm2', layerNorm(dim));
    const hiddenFeatures = Math.trunc(dim * o.mlpRatio);
    const normLayer = o.scaleMlp ? layerNorm : undefined;
    this.mlp = this.addModule('mlp', o.swigluMlp ? new SwiGLU(dim, { hiddenFeatures, normLayer }) : new Mlp(dim, { hiddenFeatures, normLayer }));
  }
  override forward(x: tf.Tensor, sharedBias?: tf.Tensor | null): tf.Tensor {
    let a = this.attn.forward(this.norm1.forward(x), sharedBias);
    if (this.gamma1) a = tf.mul(a, this.gamma1.value);
    x = tf.add(x, a);
    let m = this.mlp.forward(this.norm2.forward(x));
    if (this.gamma2) m = tf.mul(m, this.gamma2.value);
    return tf.add(x, m);
  }
}

/**
 * timm's `Beit` (BEiT v1 / v2) on NHWC input: ViT with a class token, relative position bias tables (per block or
 * shared), q/v biases and layer-scale gammas; pools the patch-token mean through fc_norm by default.
 * `forwardFeatures` returns tokens `[B, 1 + N, C]`. Keys: cls_token, pos_embed, patch_embed.proj, rel_pos_bias,
 * blocks.N, norm, fc_norm, head.
 */
export class Beit extends VisionModel {
  static readonly argNames: readonly (keyof BeitArgs)[] = ARG_NAMES;
  numClasses: number;
  numFeatures: number;
  headHiddenSize: number;
  readonly inChans: number;
  readonly embedDim: number;
  readonly numPrefixTokens = 1;
  globalPool: string;
  readonly patchEmbed: PatchEmbed;
  readonly clsToken: Param;
  readonly posEmbed: Param | null;
  readonly relPosBias: ClsRelativePositionBias | null;
  blocks: BeitBlock[];
  norm: Module | null;
  fcNorm: Module | null;
  head: Linear | null = null;
  private readonly blockList: Module;

  constructor(args: BeitArgs = {}) {
    super();
    const {
      imgSize = 224, patchSize = 16, inChans = 3, numClasses = 1000, globalPool = 'avg', embedDim = 768, depth = 12, numHeads = 12,
      qkvBias = true, mlpRatio = 4, swigluMlp = false, scaleMlp = false, initValues = null, useAbsPosEmb = true, useRelPosBias = false,
      useSharedRelPosBias = false,
    } = args;
    this.numClasses = numClasses;
    this.inChans = inChans;
    this.globalPool = globalPool;
    this.embedDim = this.numFeatures = this.headHiddenSize = embedDim;
    this.clsToken = this.addParam('cls_token', [1, 1, embedDim], { init: { kind: 'truncnormal', std: 0.02 } });
    this.patchEmbed = new PatchEmbed({ imgSize, patchSize, inChans, embedDim });
    const grid = this.patchEmbed.gridSize!;
    this.posEmbed = useAbsPosEmb
      ? this.addParam('pos_embed', [1, this.patchEmbed.numPatches! + 1, embedDim], { init: { kind: 'truncnormal', std: 0.02 } })
      : null;
    this.addModule('patch_embed', this.patchEmbed);
    this.relPosBias = useSharedRelPosBias ? this.addModule('rel_pos_bias', new ClsRelativePositionBias(grid, numHeads)) : null;
    const o: BeitBlockOptions = { numHeads, qkvBias, mlpRatio, swigluMlp, scaleMlp, initValues, windowSize: useRelPosBias ? grid : null };
    this.blockList = this.addModule('blocks', new Module());
    this.blocks = Array.from({ length: depth }, (_, i) => this.blockList.addModule(String(i), new BeitBlock(embedDim, o)));
    const r = this.patchEmbed.featRatio();
    this.featureInfo = this.blocks.map((_, i) => ({ module: `blocks.${i}`, numChs: embedDim, reduction: r }));
    const useFcNorm = globalPool === 'avg';
    this.norm = useFcNorm ? null : this.addModule('norm', layerNorm(embedDim));
    this.fcNorm = useFcNorm ? this.addModule('fc_norm', layerNorm(embedDim)) : null;
    this.buildHead(numClasses);
  }

  private buildHead(numClasses: number): void {
    this.head = this.addModule('head', numClasses > 0 ? new Linear(this.embedDim, numClasses) : null);
  }

  /** The token grid of the built image size. */
  get gridSize(): Pair {
    return this.patchEmbed.gridSize!;
  }

  /** Class token, patch tokens and (where there is one) the absolute position embedding. */
  private embed(x: tf.Tensor): tf.Tensor {
    x = this.patchEmbed.forward(x);
    const B = x.shape[0]!;
    x = tf.concat([tf.broadcastTo(this.clsToken.value, [B, 1, this.embedDim]), x], 1);
    return this.posEmbed ? tf.add(x, this.posEmbed.value) : x;
  }

  private runBlocks(x: tf.Tensor, blocks: BeitBlock[], each?: (y: tf.Tensor, i: number) => void): tf.Tensor {
    const shared = this.relPosBias ? this.relPosBias.forward() : null;
    blocks.forEach((b, i) => {
      x = b.forward(x, shared);
      each?.(x, i);
    });
    return x;
  }

  protected computeFeatures(x: tf.Tensor): tf.Tensor {
    x = this.runBlocks(this.embed(x), this.blocks);
    return this.norm ? this.norm.forward(x) : x;
  }

  protected override computeHead(x: tf.Tensor, preLogits: boolean): tf.Tensor {
    x = poolTokens(x, this.globalPool, this.numPrefixTokens);
    if (this.fcNorm) x = this.fcNorm.forward(x);
    return preLogits || !this.head ? x : this.head.forward(x);
  }

  protected override computeIntermediates(x: tf.Tensor, o: ForwardIntermediatesOptions): IntermediatesResult {
    const { indices, stop } = this.takeIndices(this.blocks.length, o, ['NHWC', 'NLC']);
    const grid = this.patchEmbed.dynamicFeatSize([x.shape[1]!, x.shape[2]!]);
    const taken: tf.Tensor[] = [];
    x = this.runBlocks(this.embed(x), this.blocks.slice(0, stop), (y, i) => {
      if (indices.includes(i)) taken.push(o.norm && this.norm ? this.norm.forward(y) : y);
    });
    return { final: this.norm ? this.norm.forward(x) : x, intermediates: tokensToMaps(taken, this.numPrefixTokens, grid, o.outputFmt) };
  }

  override pruneIntermediateLayers(indices: OutIndices = 1, pruneNorm = false, pruneHead = true): number[] {
    return this.pruneLevels(this.blocks.length, indices, pruneHead, (maxIndex) => {
      for (let i = maxIndex + 1; i < this.blocks.length; i++) this.blockList.addModule(String(i), null);
      this.blocks = this.blocks.slice(0, maxIndex + 1);
      if (pruneNorm && this.norm) this.norm = this.addModule('norm', null);
      if (pruneHead && this.fcNorm) this.fcNorm = this.addModule('fc_norm', null);
    });
  }

  /** timm's `group_matcher`: the embeddings (and a shared position table) as the stem, then one group per block. */
  override groupMatcher(_coarse = false): GroupMatcher {
    return {
      stem: '^cls_token|pos_embed|patch_embed|rel_pos_bias',
      blocks: [
        [String.raw`^blocks\.(\d+)`, null],
        ['^norm', [MATCH_PREV_GROUP]],
      ],
    };
  }

  /** timm's `no_weight_decay()`: pos_embed, cls_token and every relative position table. */
  override noWeightDecay(): string[] {
    return ['pos_embed', 'cls_token', ...[...this.namedParams()].map(([k]) => k).filter((k) => k.includes('relative_position_bias_table'))];
  }

  override resetClassifier(numClasses: number, globalPool?: string): void {
    this.numClasses = numClasses;
    if (globalPool !== undefined) this.globalPool = globalPool;
    this.buildHead(numClasses);
  }

  override getClassifier(): Module {
    return this.head ?? new Module();
  }
}

/**
 * timm's beit `checkpoint_filter_fn`: drops `relative_position_index` buffers, resamples a patch projection of another
 * size and `pos_embed` to the model's grid (bicubic, antialiased), and resizes relative position tables made for
 * another window (timm's `resize_rel_pos_bias_table`), so weights load at another `imgSize`.
 */
export function checkpointFilterFn(sd: StateDict, model: VisionModel): StateDict {
  const beit = model as Beit;
  const own = new Map(beit.namedParams());
  const out: StateDict = {};
  for (let [k, v] of Object.entries(sd)) {
    if (k.includes('relative_position_index')) continue;
    const target = own.get(k);
    if (k.includes('patch_embed.proj.weight')) {
      const [, , kh, kw] = beit.patchEmbed.proj.weight.shape as [number, number, number, number];
      if (v.shape[2] !== kh || v.shape[3] !== kw) v = resamplePatchEmbed(v, [kh, kw], 'bicubic', true);
    } else if (k === 'pos_embed' && beit.posEmbed && v.shape[1] !== beit.posEmbed.shape[1]) {
      v = resampleAbsPosEmbed(v, beit.gridSize, null, beit.numPrefixTokens, 'bicubic', true);
    } else if (k.endsWith('relative_position_bias_table') && target && target.shape.join() !== v.shape.join()) {
      try {
        v = resizeRelPosBiasTable(v, beit.gridSize, target.shape);
      } catch (e) {
        throw new Error(`Beit checkpoint: '${k}' [${v.shape}] cannot be resized to [${target.shape}]: ${(e as Error).message}`);
      }
    }
    out[k] = v;
  }
  return out;
}
