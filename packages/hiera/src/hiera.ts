import * as tf from '@tensorflow/tfjs-core';
import {
  ClNormMlpClassifierHead, Conv2d, DropPath, type ForwardIntermediatesOptions, type GroupMatcher, type GroupMatcherSpec, gatherTokens, Identity,
  type IntermediatesResult, LayerNorm, LayerScale, Linear, MATCH_PREV_GROUP, MaskUnitAttention, Mlp, Module, type NormFactory, type OutIndices,
  type Pair, type Param, poolMaskUnitTokens, rerollIndex, resampleAbsPosEmbedTensor, Sequential, type StateDict, toPair, unrollIndex, VisionModel,
} from '@zoo/core';

export interface HieraArgs {
  /** The input size the model is built for (timm's `img_size`; Hiera's input size is fixed). */
  imgSize?: number | readonly number[];
  inChans?: number;
  /** Width of the first stage. */
  embedDim?: number;
  /** Heads of the first stage. */
  numHeads?: number;
  numClasses?: number;
  /** '' (no pooling), 'avg', 'max' or 'avgmax' over the final tokens. */
  globalPool?: string;
  /** Blocks per stage. */
  stages?: readonly number[];
  /** How many stage changes pool q (and the tokens) by `qStride`. */
  qPool?: number;
  qStride?: number | readonly number[];
  /** Tokens of a mask unit at the first stage (must divide by `qStride` ** (stages - 1)). */
  maskUnitSize?: number | readonly number[];
  /** Per stage: attention within mask units (true) or global (false). */
  maskUnitAttn?: readonly boolean[];
  /** A linear projection at width changes (else max- and avg-pooled tokens concatenated: width doubles). */
  useExpandProj?: boolean;
  dimMul?: number;
  headMul?: number;
  patchKernel?: number | readonly number[];
  patchStride?: number | readonly number[];
  patchPadding?: number | readonly number[];
  mlpRatio?: number;
  dropPathRate?: number;
  /** LayerScale init (`ls1`, `ls2` per block); none when null. */
  initValues?: number | null;
  /** timm's init options (training from scratch only; no effect on loaded weights). */
  fixInit?: boolean;
  weightInit?: '' | 'jax' | 'skip';
  headInitScale?: number;
  /** timm's norm layer name: 'layernorm' (eps 1e-6, timm's default). */
  normLayer?: string;
  dropRate?: number;
  /** Mask-unit patch dropout in training (MAE style): not supported here, 0 only. */
  patchDropRate?: number;
  /** Separate spatial / temporal embeddings of 3-D (video) Hiera: not supported here. */
  sepPosEmbed?: boolean;
  /** Absolute-window position embedding: a global embed resized to the grid plus a per-mask-unit embed tiled over it. */
  absWinPosEmbed?: boolean;
  /** Grid of the global embed with `absWinPosEmbed`. */
  globalPosSize?: number | readonly number[];
}

const ARG_NAMES: readonly (keyof HieraArgs)[] = [
  'imgSize', 'inChans', 'embedDim', 'numHeads', 'numClasses', 'globalPool', 'stages', 'qPool', 'qStride', 'maskUnitSize', 'maskUnitAttn',
  'useExpandProj', 'dimMul', 'headMul', 'patchKernel', 'patchStride', 'patchPadding', 'mlpRatio', 'dropPathRate', 'initValues', 'fixInit',
  'weightInit', 'headInitScale', 'normLayer', 'dropRate', 'patchDropRate', 'sepPosEmbed', 'absWinPosEmbed', 'globalPosSize',
] as const satisfies readonly (keyof HieraArgs)[];

/** timm's `get_norm_layer` for Hiera's norm names (`'LayerNorm'` is timm's LayerNorm, eps 1e-6). */
function hieraNorm(name: string): NormFactory {
  const key = name.toLowerCase().replace(/_/g, '');
  if (key !== 'layernorm') throw new Error(`Hiera: normLayer '${name}' is not supported (use 'LayerNorm')`);
  return (d) => new LayerNorm(d, { eps: 1e-6 });
}

const prod = (p: readonly number[]) => p.reduce((a, b) => a * b, 1);

/**
 * A token table over timm's unrolled order (`n = t * M + w`) moved to the mask-unit-major order (`w * T + t`) we
 * hold tokens in: 'gather' for a table whose output is unrolled (reorder its rows), 'source' for one that reads
 * unrolled tokens (renumber its entries).
 */
function toUnitMajor(table: Int32Array, numUnits: number, kind: 'gather' | 'source'): Int32Array {
  const T = table.length / numUnits;
  const major = (n: number) => (n % numUnits) * T + Math.floor(n / numUnits);
  const out = new Int32Array(table.length);
  if (kind === 'source') for (let m = 0; m < table.length; m++) out[m] = major(table[m]!);
  else for (let n = 0; n < table.length; n++) out[major(n)] = table[n]!;
  return out;
}

interface HieraBlockArgs {
  dim: number;
  dimOut: number;
  heads: number;
  mlpRatio: number;
  dropPath: number;
  initValues: number | null;
  norm: NormFactory;
  qStride: number;
  windowSize: number;
  useExpandProj: boolean;
  useMaskUnitAttn: boolean;
  /** Mask units of the token layout (the model's `maskSpatialShape`, flattened). */
  numUnits: number;
}

/**
 * timm's `HieraBlock` over unrolled tokens (held mask-unit-major, see {@link MaskUnitAttention}): pre-norm mask-unit attention (pooling q by `qStride`), where the width
 * changes the residual is the normed tokens projected (`proj`) and max-pooled the same way, or, without the
 * projection, the max- and mean-pooled tokens concatenated; then a pre-norm MLP. Keys: norm1, proj, attn.{qkv,proj},
 * ls1, norm2, mlp.{fc1,fc2}, ls2.
 */
export class HieraBlock extends Module {
  readonly norm1: Module;
  readonly proj: Linear | null;
  readonly doExpand: boolean;
  readonly attn: MaskUnitAttention;
  readonly ls1: Module;
  readonly dropPath1: Module;
  readonly norm2: Module;
  readonly mlp: Mlp;
  readonly ls2: Module;
  readonly dropPath2: Module;
  readonly numUnits: number;
  constructor(a: HieraBlockArgs) {
    super();
    this.numUnits = a.numUnits;
    this.norm1 = this.addModule('norm1', a.norm(a.dim));
    this.doExpand = a.dim !== a.dimOut;
    if (this.doExpand && !a.useExpandProj && a.dimOut !== 2 * a.dim) {
      throw new Error(`HieraBlock: without useExpandProj the width must double (${a.dim} -> ${a.dimOut})`);
    }
    this.proj = this.doExpand && a.useExpandProj ? this.addModule('proj', new Linear(a.dim, a.dimOut)) : null;
    this.attn = this.addModule('attn', new MaskUnitAttention(a.dim, a.dimOut, a.heads, {
      qStride: a.qStride, windowSize: a.windowSize, useMaskUnitAttn: a.useMaskUnitAttn,
    }));
    const ls = () => (a.initValues !== null ? new LayerScale(a.dimOut, a.initValues) : new Identity());
    const dp = () => (a.dropPath > 0 ? new DropPath(a.dropPath) : new Identity());
    this.ls1 = this.addModule('ls1', ls());
    this.dropPath1 = this.addModule('drop_path1', dp());
    this.norm2 = this.addModule('norm2', a.norm(a.dimOut));
    this.mlp = this.addModule('mlp', new Mlp(a.dimOut, { hiddenFeatures: Math.trunc(a.dimOut * a.mlpRatio) }));
    this.ls2 = this.addModule('ls2', ls());
    this.dropPath2 = this.addModule('drop_path2', dp());
  }

  override forward(x: tf.Tensor): tf.Tensor {
    const xNorm = this.norm1.forward(x);
    if (this.doExpand) {
      // pooled over the qStride leading chunks of each mask unit (the stride unrolled first), as the attention's q
      const [u, s] = [this.numUnits, this.attn.qStride];
      x = this.proj
        ? poolMaskUnitTokens(this.proj.forward(xNorm), u, s)
        : tf.concat([poolMaskUnitTokens(x, u, s), poolMaskUnitTokens(x, u, s, true)], -1);
    }
    x = tf.add(x, this.dropPath1.forward(this.ls1.forward(this.attn.forward(xNorm, this.numUnits))));
    return tf.add(x, this.dropPath2.forward(this.ls2.forward(this.mlp.forward(this.norm2.forward(x)))));
  }
}

/** timm's Hiera `PatchEmbed` (2-D): a strided, padded conv; NHWC in, raster-order tokens `[B, h*w, C]` out. Key: proj. */
export class HieraPatchEmbed extends Module {
  readonly proj: Conv2d;
  constructor(inChans: number, embedDim: number, kernel: Pair, stride: Pair, padding: Pair) {
    super();
    if (stride[0] !== stride[1]) throw new Error(`HieraPatchEmbed: only square patch strides are supported, got ${stride.join('x')}`);
    this.proj = this.addModule('proj', new Conv2d(inChans, embedDim, kernel, { stride: stride[0], padding, bias: true }));
  }
  override forward(x: tf.Tensor): tf.Tensor {
    const y = this.proj.forward(x);
    const [B, h, w, C] = y.shape as [number, number, number, number];
    return tf.reshape(y, [B, h * w, C]);
  }
}

/**
 * timm's `Hiera` on NHWC input: a conv patch embed plus an absolute position embedding (or, with `absWinPosEmbed`,
 * a global embed resized to the grid plus a mask-unit embed tiled over it), then the tokens unrolled so that every
 * q-pool is a max over leading chunks and every mask unit is contiguous, and the blocks; the head pools the final
 * tokens, norms them and classifies (timm's `ClNormMlpClassifierHead`). Features (`forwardIntermediates`) are each
 * stage's last block rerolled to NHWC maps. Keys: pos_embed (`[1, N, C]`, or `[1, C, gh, gw]` with pos_embed_win
 * `[1, C, muh, muw]`), patch_embed.proj, blocks.N, head.{norm,fc}.
 */
export class Hiera extends VisionModel {
  static readonly argNames: readonly (keyof HieraArgs)[] = ARG_NAMES;
  numClasses: number;
  numFeatures: number;
  headHiddenSize: number;
  readonly inChans: number;
  readonly imgSize: Pair;
  readonly patchEmbed: HieraPatchEmbed;
  readonly posEmbed: Param;
  readonly posEmbedWin: Param | null;
  readonly blocks: Sequential;
  readonly head: ClNormMlpClassifierHead;
  /** Index of each stage's last block. */
  readonly stageEnds: number[];
  readonly tokensSpatialShape: Pair;
  readonly maskSpatialShape: Pair;
  readonly maskUnitSize: Pair;
  /** Mask units of the token grid (tokens are held mask-unit-major). */
  readonly numUnits: number;
  private readonly unrollTable: Int32Array;
  /** Per block: the table rolling its output back to raster order, and that map's size. */
  private readonly rerolls: { table: Int32Array; size: Pair }[];

  constructor(args: HieraArgs = {}) {
    super();
    const {
      inChans = 3, embedDim = 96, numHeads = 1, numClasses = 1000, globalPool = 'avg', stages = [2, 3, 16, 3], qPool = 3,
      maskUnitAttn = [true, true, false, false], useExpandProj = true, dimMul = 2, headMul = 2, mlpRatio = 4, dropPathRate = 0,
      initValues = null, normLayer = 'LayerNorm', patchDropRate = 0, sepPosEmbed = false, absWinPosEmbed = false,
    } = args;
    const imgSize = toPair(args.imgSize ?? 224);
    const qStride = toPair(args.qStride ?? 2);
    const maskUnitSize = toPair(args.maskUnitSize ?? 8);
    const patchStride = toPair(args.patchStride ?? 4);
    if (sepPosEmbed) throw new Error('Hiera: sepPosEmbed (3-D video Hiera) is not supported');
    if (patchDropRate) throw new Error('Hiera: patchDropRate (mask-unit dropout for training) is not supported; use 0');
    if (!(qPool < stages.length)) throw new Error(`Hiera: qPool (${qPool}) must be less than the number of stages (${stages.length})`);
    if (maskUnitAttn.length < stages.length) throw new Error(`Hiera: maskUnitAttn needs ${stages.length} values (one per stage)`);
    const norm = hieraNorm(normLayer);
    this.inChans = inChans;
    this.imgSize = imgSize;
    this.maskUnitSize = maskUnitSize;
    this.tokensSpatialShape = [Math.floor(imgSize[0] / patchStride[0]), Math.floor(imgSize[1] / patchStride[1])];
    this.maskSpatialShape = [Math.floor(this.tokensSpatialShape[0] / maskUnitSize[0]), Math.floor(this.tokensSpatialShape[1] / maskUnitSize[1])];
    this.stageEnds = stages.map((_, i) => stages.slice(0, i + 1).reduce((a, b) => a + b, 0) - 1);

    this.patchEmbed = this.addModule('patch_embed', new HieraPatchEmbed(
      inChans, embedDim, toPair(args.patchKernel ?? 7), patchStride, toPair(args.patchPadding ?? 3),
    ));
    const init = { kind: 'truncnormal', std: 0.02 } as const;
    if (absWinPosEmbed) {
      const g = toPair(args.globalPosSize ?? 14);
      this.posEmbed = this.addParam('pos_embed', [1, embedDim, g[0], g[1]], { init });
      this.posEmbedWin = this.addParam('pos_embed_win', [1, embedDim, maskUnitSize[0], maskUnitSize[1]], { init });
    } else {
      this.posEmbed = this.addParam('pos_embed', [1, prod(this.tokensSpatialShape), embedDim], { init });
      this.posEmbedWin = null;
    }

    // Unroll over every stage change; reroll tables for every block (the strides not yet consumed by q-pools). Tokens
    // are held mask-unit-major (unit w's token t at w * T + t, timm's t * M + w), folded into both tables.
    const numTokens = prod(this.tokensSpatialShape);
    this.numUnits = prod(this.maskSpatialShape);
    if (numTokens !== this.numUnits * prod(maskUnitSize)) {
      throw new Error(`Hiera: the ${this.tokensSpatialShape.join('x')} token grid does not split into whole ${maskUnitSize.join('x')} mask units (imgSize ${imgSize.join('x')})`);
    }
    const schedule = new Array<Pair>(stages.length - 1).fill(qStride);
    this.unrollTable = toUnitMajor(unrollIndex(this.tokensSpatialShape, schedule), this.numUnits, 'gather');
    this.rerolls = [];
    let rs = schedule;
    let size = this.tokensSpatialShape;
    const depth = stages.reduce((a, b) => a + b, 0);
    const rerollCache = new Map<number, { table: Int32Array; size: Pair }>();
    for (let i = 0; i < depth; i++) {
      const key = rs.length;
      if (!rerollCache.has(key)) rerollCache.set(key, { table: toUnitMajor(rerollIndex(size, rs), this.numUnits, 'source'), size });
      this.rerolls.push(rerollCache.get(key)!);
      if (this.stageEnds.slice(0, qPool).includes(i)) {
        if (rs.length) size = [Math.floor(size[0] / rs[0]![0]), Math.floor(size[1] / rs[0]![1])];
        rs = rs.slice(1);
      }
    }

    const qPoolBlocks = this.stageEnds.slice(0, qPool).map((e) => e + 1);
    const flatQStride = prod(qStride);
    let flatMuSize = prod(maskUnitSize);
    let dim = embedDim;
    let heads = numHeads;
    let curStage = 0;
    const blocks: Module[] = [];
    for (let i = 0; i < depth; i++) {
      let dimOut = dim;
      // Mask-unit or global attention lags the stage by one block (the first block of a stage pools first).
      const useMaskUnitAttn = maskUnitAttn[curStage]!;
      if (this.stageEnds.includes(i - 1)) {
        dimOut = Math.trunc(dim * dimMul);
        heads = Math.trunc(heads * headMul);
        curStage += 1;
        if (qPoolBlocks.includes(i)) flatMuSize = Math.floor(flatMuSize / flatQStride);
      }
      blocks.push(new HieraBlock({
        dim, dimOut, heads, mlpRatio, dropPath: depth > 1 ? (dropPathRate * i) / (depth - 1) : 0, initValues, norm,
        qStride: qPoolBlocks.includes(i) ? flatQStride : 1, windowSize: flatMuSize, useExpandProj, useMaskUnitAttn, numUnits: this.numUnits,
      }));
      dim = dimOut;
      if (this.stageEnds.includes(i)) {
        this.featureInfo.push({ numChs: dimOut, reduction: 2 ** (curStage + 2), module: `blocks.${this.stageEnds[curStage]}` });
      }
    }
    this.blocks = this.addModule('blocks', new Sequential(blocks));
    this.numFeatures = this.headHiddenSize = dim;
    this.numClasses = numClasses;
    this.head = this.setClassifierHead('head', new ClNormMlpClassifierHead(dim, numClasses, {
      poolType: globalPool, dropRate: args.dropRate ?? 0, normLayer: norm, inputFmt: 'NLC',
    }), numClasses);
  }

  /** timm's `no_weight_decay()`: the position embeddings. */
  override noWeightDecay(): string[] {
    return this.posEmbedWin ? ['pos_embed', 'pos_embed_win'] : ['pos_embed'];
  }

  /** timm's `group_matcher` (the same coarse or fine). */
  override groupMatcher(_coarse = false): GroupMatcher {
    const blocks: GroupMatcherSpec = [[String.raw`^blocks\.(\d+)`, null], ['^norm', [MATCH_PREV_GROUP]]];
    return { stem: '^pos_embed|pos_embed_spatial|pos_embed_temporal|pos_embed_abs|pos_embed_win|patch_embed', blocks };
  }

  /** The position embedding `[1, N, C]` in raster order (timm's `_pos_embed`). */
  private posEmbedTokens(): tf.Tensor {
    if (!this.posEmbedWin) return this.posEmbed.value;
    const [, C, gh, gw] = this.posEmbed.shape as [number, number, number, number];
    const [mh, mw] = this.maskSpatialShape;
    const [uh, uw] = this.maskUnitSize;
    const win = tf.tile(tf.transpose(this.posEmbedWin.value, [0, 2, 3, 1]), [1, mh, mw, 1]); // [1, mh*uh, mw*uw, C]
    const global = tf.reshape(tf.transpose(this.posEmbed.value, [0, 2, 3, 1]), [1, gh * gw, C]);
    const resized = resampleAbsPosEmbedTensor(global, [mh * uh, mw * uw], [gh, gw], 0, 'bicubic', true);
    return tf.add(resized, tf.reshape(win, [1, -1, C]));
  }

  /** Patch embed, position embedding, unroll: the tokens the blocks take. */
  private embed(x: tf.Tensor): tf.Tensor {
    const [, H, W] = x.shape as [number, number, number, number];
    if (H !== this.imgSize[0] || W !== this.imgSize[1]) {
      throw new Error(`Hiera: input is ${H}x${W}, the model was built for ${this.imgSize[0]}x${this.imgSize[1]} (set imgSize)`);
    }
    x = tf.add(this.patchEmbed.forward(x), this.posEmbedTokens());
    return gatherTokens(x, this.unrollTable);
  }

  protected computeFeatures(x: tf.Tensor): tf.Tensor {
    return this.timmOrder(this.blocks.forward(this.embed(x)));
  }

  /** Mask-unit-major tokens `[B, M * T, C]` in timm's order (`t * M + w`). */
  private timmOrder(x: tf.Tensor): tf.Tensor {
    const [B, N, C] = x.shape as [number, number, number];
    const T = N / this.numUnits;
    if (T === 1 || this.numUnits === 1) return x;
    return tf.reshape(tf.transpose(tf.reshape(x, [B, this.numUnits, T, C]), [0, 2, 1, 3]), [B, N, C]);
  }

  /** Block `i`'s output `[B, N, C]` as an NHWC map in raster order (timm's `Reroll`). */
  private reroll(x: tf.Tensor, i: number): tf.Tensor {
    const { table, size } = this.rerolls[i]!;
    const [B, , C] = x.shape as [number, number, number];
    return tf.reshape(gatherTokens(x, table), [B, size[0], size[1], C]);
  }

  /** timm's `forward_intermediates` (coarse: the levels are the stages' last blocks); maps are NHWC. */
  protected override computeIntermediates(x: tf.Tensor, o: ForwardIntermediatesOptions): IntermediatesResult {
    if (o.norm) throw new Error('Hiera: normalization of intermediates is not supported (as timm)');
    const { indices, maxIndex } = this.takeIndices(this.stageEnds.length, o);
    const take = indices.map((i) => this.stageEnds[i]!);
    const stop = o.stopEarly ? this.stageEnds[maxIndex]! + 1 : this.blocks.length;
    const intermediates: tf.Tensor[] = [];
    x = this.embed(x);
    for (let i = 0; i < stop; i++) {
      x = this.blocks.at(i).forward(x);
      if (take.includes(i)) intermediates.push(this.reroll(x, i));
    }
    return { final: this.timmOrder(x), intermediates };
  }

  /** timm's `prune_intermediate_layers` (coarse): blocks after the last stage taken go; the head loses norm and fc. */
  override pruneIntermediateLayers(indices: OutIndices = 1, _pruneNorm = false, pruneHead = true): number[] {
    const { indices: take, maxIndex } = this.takeIndices(this.stageEnds.length, { indices });
    const last = this.stageEnds[maxIndex]!;
    for (let i = this.blocks.length - 1; i > last; i--) this.blocks.addModule(String(i), null);
    if (pruneHead) {
      this.head.reset(0, undefined, true);
      this.numClasses = 0;
    }
    return take;
  }
}

/**
 * timm's `checkpoint_filter_fn` for Hiera: the original repository's keys renamed to timm's (`head.projection` →
 * `head.fc`, `encoder_norm` / `norm` → `head.norm`, `pos_embed_abs` → `pos_embed`); a `model_state` wrapper unwrapped.
 */
export function checkpointFilterFn(sd: StateDict): StateDict {
  const inner = (sd as Record<string, unknown>).model_state;
  const src = (inner && typeof inner === 'object' && !('shape' in inner) ? inner : sd) as StateDict;
  const out: StateDict = {};
  for (let [k, v] of Object.entries(src)) {
    k = k.replace('head.projection.', 'head.fc.');
    if (k.startsWith('encoder_norm.')) k = `head.norm.${k.slice('encoder_norm.'.length)}`;
    else if (k.startsWith('norm.')) k = `head.norm.${k.slice('norm.'.length)}`;
    if (k === 'pos_embed_abs') k = 'pos_embed';
    out[k] = v;
  }
  return out;
}
