/**
 * timm's mlp_mixer.py on NHWC input: MLP-Mixer, ResMLP and gMLP, all one model class (`MlpMixer`) built of patch
 * tokens `[B, N, C]` and a stack of blocks that mix across tokens and across channels. The block kind picks the
 * family: `mixer` (token MLP + channel MLP, both pre-norm), `res` (ResMLP: Affine "norms", a token linear and layer
 * scales `ls1`/`ls2`), `spatial_gating` (gMLP: a channel MLP gated by a spatial gating unit). Keys as timm's: stem.proj,
 * blocks.i.norm1 / mlp_tokens / norm2 / mlp_channels (or linear_tokens, ls1, ls2; or norm, mlp_channels.gate.*),
 * norm, head.
 */
import * as tf from '@tensorflow/tfjs-core';
import {
  Affine, dropPath,type ForwardIntermediatesOptions, GatedMlp, GluMlp, Identity, type IntermediatesResult, LayerNorm, Linear,
  Mlp, Module, type NormFactory, type OutIndices, type Param, PatchEmbed, Sequential, SpatialGatingUnit, type StateDict,
  VisionModel, 
} from '@zoo/core';

/** timm's `mlp_layer` choices: `Mlp`, `GluMlp`, `GatedMlp`. */
export type MixerMlpLayer = 'mlp' | 'glu' | 'gated';
/** timm's `block_layer` choices: `MixerBlock`, `ResBlock`, `SpatialGatingBlock`. */
export type MixerBlockKind = 'mixer' | 'res' | 'spatial_gating';
/** A block kind, or one with its arguments (ResMLP's `init_values` for `ls1` / `ls2`). */
export type MixerBlockLayer = MixerBlockKind | { type: MixerBlockKind; initValues?: number };

/** What every block kind is built from (timm passes the same arguments to each `block_layer`). */
export interface MixerBlockOptions {
  mlpRatio: number | readonly [number, number];
  mlpLayer: MixerMlpLayer;
  normLayer: NormFactory;
  actLayer: string;
  dropPath: number;
  initValues?: number;
}

/** A channel (or token) MLP of the chosen kind; `gate` only for `gated`. */
function makeMlp(kind: MixerMlpLayer, inFeatures: number, hidden: number, act: string, gate?: (h: number) => Module): Module {
  if (kind === 'glu') return new GluMlp(inFeatures, { hiddenFeatures: hidden, actLayer: act });
  if (kind === 'gated') return new GatedMlp(inFeatures, { hiddenFeatures: hidden, actLayer: act, gateLayer: gate });
  return new Mlp(inFeatures, { hiddenFeatures: hidden, actLayer: act });
}

/** `[B, N, C]` ↔ `[B, C, N]`. */
const swapTokens = (x: tf.Tensor) => tf.transpose(x, [0, 2, 1]);

/** A pair of ratios from one (timm's `to_2tuple`). */
function ratioPair(r: number | readonly [number, number]): [number, number] {
  return typeof r === 'number' ? [r, r] : [r[0], r[1]];
}

/** timm's MixerBlock: `x + mlp_tokens(norm1(x)ᵀ)ᵀ`, then `x + mlp_channels(norm2(x))`. */
export class MixerBlock extends Module {
  readonly norm1: Module;
  readonly mlpTokens: Module;
  readonly norm2: Module;
  readonly mlpChannels: Module;
  constructor(dim: number, seqLen: number, readonly o: MixerBlockOptions) {
    super();
    const [tokens, channels] = ratioPair(o.mlpRatio).map((r) => Math.trunc(r * dim)) as [number, number];
    this.norm1 = this.addModule('norm1', o.normLayer(dim));
    this.mlpTokens = this.addModule('mlp_tokens', makeMlp(o.mlpLayer, seqLen, tokens, o.actLayer));
    this.norm2 = this.addModule('norm2', o.normLayer(dim));
    this.mlpChannels = this.addModule('mlp_channels', makeMlp(o.mlpLayer, dim, channels, o.actLayer));
  }
  override forward(x: tf.Tensor): tf.Tensor {
    const t = swapTokens(this.mlpTokens.forward(swapTokens(this.norm1.forward(x))));
    x = tf.add(x, dropPath(t, this.o.dropPath, this.training));
    return tf.add(x, dropPath(this.mlpChannels.forward(this.norm2.forward(x)), this.o.dropPath, this.training));
  }
}

/** timm's ResBlock (ResMLP): `x + ls1 * linear_tokens(norm1(x)ᵀ)ᵀ`, then `x + ls2 * mlp_channels(norm2(x))`. */
export class ResBlock extends Module {
  readonly norm1: Module;
  readonly linearTokens: Linear;
  readonly norm2: Module;
  readonly mlpChannels: Module;
  readonly ls1: Param;
  readonly ls2: Param;
  constructor(dim: number, seqLen: number, readonly o: MixerBlockOptions) {
    super();
    const ratio = typeof o.mlpRatio === 'number' ? o.mlpRatio : o.mlpRatio[0];
    this.norm1 = this.addModule('norm1', o.normLayer(dim));
    this.linearTokens = this.addModule('linear_tokens', new Linear(seqLen, seqLen));
    this.norm2 = this.addModule('norm2', o.normLayer(dim));
    this.mlpChannels = this.addModule('mlp_channels', makeMlp(o.mlpLayer, dim, Math.trunc(dim * ratio), o.actLayer));
    const init = { kind: 'const' as const, value: o.initValues ?? 1e-4 };
    this.ls1 = this.addParam('ls1', [dim], { init });
    this.ls2 = this.addParam('ls2', [dim], { init });
  }
  override forward(x: tf.Tensor): tf.Tensor {
    const t = swapTokens(this.linearTokens.forward(swapTokens(this.norm1.forward(x))));
    x = tf.add(x, dropPath(tf.mul(t, this.ls1.value), this.o.dropPath, this.training));
    const c = tf.mul(this.mlpChannels.forward(this.norm2.forward(x)), this.ls2.value);
    return tf.add(x, dropPath(c, this.o.dropPath, this.training));
  }
}

/** timm's SpatialGatingBlock (gMLP): `x + mlp_channels(norm(x))`, the channel MLP gated by a spatial gating unit. */
export class SpatialGatingBlock extends Module {
  readonly norm: Module;
  readonly mlpChannels: Module;
  constructor(dim: number, seqLen: number, readonly o: MixerBlockOptions) {
    super();
    const ratio = typeof o.mlpRatio === 'number' ? o.mlpRatio : o.mlpRatio[0];
    this.norm = this.addModule('norm', o.normLayer(dim));
    const gate = (hidden: number) => new SpatialGatingUnit(hidden, seqLen);
    this.mlpChannels = this.addModule('mlp_channels', makeMlp(o.mlpLayer, dim, Math.trunc(dim * ratio), o.actLayer, gate));
  }
  override forward(x: tf.Tensor): tf.Tensor {
    return tf.add(x, dropPath(this.mlpChannels.forward(this.norm.forward(x)), this.o.dropPath, this.training));
  }
}

const BLOCKS = { mixer: MixerBlock, res: ResBlock, spatial_gating: SpatialGatingBlock } as const;

/** timm's `norm_layer` choices for the mixer: LayerNorm (eps 1e-6) or ResMLP's Affine. */
export type MixerNormLayer = 'layernorm' | 'affine';

export interface MlpMixerArgs {
  numClasses?: number;
  imgSize?: number;
  inChans?: number;
  patchSize?: number;
  numBlocks?: number;
  embedDim?: number;
  /** Token and channel expansion ratios (one number: both). ResMLP and gMLP take one (the channel MLP's). */
  mlpRatio?: number | [number, number];
  blockLayer?: MixerBlockLayer;
  mlpLayer?: MixerMlpLayer;
  normLayer?: MixerNormLayer;
  actLayer?: string;
  dropRate?: number;
  projDropRate?: number;
  dropPathRate?: number;
  nlhb?: boolean;
  stemNorm?: boolean;
  globalPool?: string;
}

function normFactory(kind: MixerNormLayer): NormFactory {
  if (kind === 'affine') return (d) => new Affine(d);
  if (kind === 'layernorm') return (d) => new LayerNorm(d, { eps: 1e-6 });
  throw new Error(`MlpMixer: unknown normLayer '${kind as string}' (use 'layernorm' or 'affine')`);
}

/** timm's MlpMixer: patch embed → blocks → norm → mean over tokens → linear head. */
export class MlpMixer extends VisionModel {
  static readonly argNames: readonly (keyof MlpMixerArgs)[] = [
    'numClasses', 'imgSize', 'inChans', 'patchSize', 'numBlocks', 'embedDim', 'mlpRatio', 'blockLayer', 'mlpLayer',
    'normLayer', 'actLayer', 'dropRate', 'projDropRate', 'dropPathRate', 'nlhb', 'stemNorm', 'globalPool',
  ];
  numClasses: number;
  numFeatures: number;
  headHiddenSize: number;
  readonly inChans: number;
  readonly embedDim: number;
  readonly stem: PatchEmbed;
  readonly blocks: Sequential;
  private globalPool: string;

  constructor(args: MlpMixerArgs = {}) {
    super();
    const {
      numClasses = 1000, imgSize = 224, inChans = 3, patchSize = 16, numBlocks = 8, embedDim = 512, mlpRatio = [0.5, 4.0],
      blockLayer = 'mixer', mlpLayer = 'mlp', normLayer = 'layernorm', actLayer = 'gelu', dropPathRate = 0, stemNorm = false,
      globalPool = 'avg',
    } = args;
    const block = typeof blockLayer === 'string' ? { type: blockLayer } : blockLayer;
    const Block = BLOCKS[block.type];
    if (!Block) throw new Error(`MlpMixer: unknown blockLayer '${block.type}' (use ${Object.keys(BLOCKS).join(', ')})`);
    if (globalPool !== 'avg' && globalPool !== '') throw new Error(`MlpMixer: globalPool must be 'avg' or '' (got '${globalPool}')`);
    const norm = normFactory(normLayer);
    this.inChans = inChans;
    this.numClasses = numClasses;
    this.globalPool = globalPool;
    this.embedDim = this.numFeatures = this.headHiddenSize = embedDim;
    this.stem = this.addModule('stem', new PatchEmbed({ imgSize, patchSize, inChans, embedDim, normLayer: stemNorm ? norm : undefined }));
    const options: MixerBlockOptions = { mlpRatio, mlpLayer, normLayer: norm, actLayer, dropPath: dropPathRate, initValues: 'initValues' in block ? block.initValues : undefined };
    const seqLen = this.stem.numPatches!;
    this.blocks = this.addModule('blocks', new Sequential(Array.from({ length: numBlocks }, () => new Block(embedDim, seqLen, options))));
    const reduction = this.stem.featRatio();
    for (let i = 0; i < numBlocks; i++) this.featureInfo.push({ module: `blocks.${i}`, numChs: embedDim, reduction });
    this.addModule('norm', norm(embedDim));
    this.addModule('head', numClasses > 0 ? new Linear(embedDim, numClasses) : new Identity());
  }

  protected computeFeatures(x: tf.Tensor): tf.Tensor {
    return this.getChild('norm')!.forward(this.blocks.forward(this.stem.forward(x)));
  }

  protected override computeHead(x: tf.Tensor, preLogits: boolean): tf.Tensor {
    if (this.globalPool === 'avg') x = tf.mean(x, 1);
    return preLogits ? x : this.getChild('head')!.forward(x);
  }

  override resetClassifier(numClasses: number, globalPool?: string): void {
    if (globalPool !== undefined) {
      if (globalPool !== 'avg' && globalPool !== '') throw new Error(`MlpMixer: globalPool must be 'avg' or '' (got '${globalPool}')`);
      this.globalPool = globalPool;
    }
    this.numClasses = numClasses;
    this.addModule('head', numClasses > 0 ? new Linear(this.embedDim, numClasses) : new Identity());
  }

  override getClassifier(): Module {
    return this.getChild('head')!;
  }

  /** timm's `forward_intermediates`: block outputs as NHWC maps (timm's NCHW, channels last) or tokens (`'NLC'`). */
  protected override computeIntermediates(x: tf.Tensor, o: ForwardIntermediatesOptions): IntermediatesResult {
    const { indices, stop } = this.takeIndices(this.blocks.length, o, ['NHWC', 'NLC']);
    const [B, H, W] = x.shape as [number, number, number, number];
    const norm = this.getChild('norm')!;
    x = this.stem.forward(x);
    let intermediates: tf.Tensor[] = [];
    for (let i = 0; i < stop; i++) {
      x = this.blocks.at(i).forward(x);
      if (indices.includes(i)) intermediates.push(o.norm ? norm.forward(x) : x);
    }
    if ((o.outputFmt ?? 'NHWC') === 'NHWC') {
      const [gh, gw] = this.stem.dynamicFeatSize([H, W]);
      intermediates = intermediates.map((y) => tf.reshape(y, [B, gh, gw, this.embedDim]));
    }
    return { final: norm.forward(x), intermediates };
  }

  override pruneIntermediateLayers(indices: OutIndices = 1, pruneNorm = false, pruneHead = true): number[] {
    return this.pruneLevels(this.blocks.length, indices, pruneHead, (maxIndex) => {
      for (let i = this.blocks.length - 1; i > maxIndex; i--) this.blocks.addModule(String(i), null);
      if (pruneNorm) this.addModule('norm', new Identity());
    });
  }
}

/**
 * timm's `checkpoint_filter_fn` for the mixer: Facebook's original ResMLP checkpoints (`patch_embed.*`, `attn.*`,
 * `mlp.*`, `gamma_1/2`, Affine `alpha`/`beta` as `[dim]`) renamed to timm's keys; anything else passes unchanged.
 */
export function checkpointFilterFn(sd: StateDict): StateDict {
  if (!('patch_embed.proj.weight' in sd)) return sd;
  const out: StateDict = {};
  for (const [key, v] of Object.entries(sd)) {
    const k = key.replaceAll('patch_embed.', 'stem.').replaceAll('attn.', 'linear_tokens.').replaceAll('mlp.', 'mlp_channels.').replaceAll('gamma_', 'ls');
    out[k] = k.endsWith('.alpha') || k.endsWith('.beta') ? { ...v, shape: [1, 1, v.shape.reduce((a, b) => a * b, 1)] } : v;
  }
  return out;
}
