/**
 * timm's metaformer.py on NHWC input: the MetaFormer baselines, one model class with a token mixer per stage:
 * PoolFormer v1 / v2 (`pooling`: avgpool(x) - x), ConvFormer (`sepconv`: inverted separable conv with StarReLU) and
 * CAFormer (sepconv in the first two stages, self-attention over `[B, N, C]` tokens in the last two). Each block is
 * `res_scale(x) + layer_scale(mixer(norm1(x)))`, then the same with a 4× MLP (1×1 convs in map stages, linears in
 * token stages, as timm's state dicts hold them). Keys as timm's: stem.conv / stem.norm, stages.i.downsample.norm /
 * .conv, stages.i.blocks.j.norm1 / token_mixer / layer_scale1 / res_scale1 / norm2 / mlp / layer_scale2 / res_scale2,
 * head.norm, head.fc (a Linear, or MlpHead's fc1 / norm / fc2).
 */
import * as tf from '@tensorflow/tfjs-core';
import {
  Activation, Attention, Conv2d, dropPath,type ForwardIntermediatesOptions, GroupNorm1, Identity, type IntermediatesResult, LayerNorm,
  Linear, Module, type OutIndices, PoolingMixer, pointwise, Scale, SelectAdaptivePool2d, SepConvMixer, Sequential, SquaredReLU,
  StarReLU, type StateDict, type TensorData, VisionModel, 
} from '@zoo/core';

/** timm's token mixers by name: `Pooling`, `SepConv`, `Attention`. */
export type TokenMixer = 'pooling' | 'sepconv' | 'attention';
/**
 * timm's norm layers as MetaFormer uses them: `GroupNorm1` (eps 1e-5), `GroupNorm1NoBias`, `LayerNorm2d` (eps 1e-6),
 * `LayerNorm2dNoBias` and `LayerNormNoBias` (eps 1e-6, no bias). Over NHWC maps or tokens all normalise the last
 * axis, except GroupNorm1 (a whole sample).
 */
export type MetaFormerNorm = 'groupnorm1' | 'groupnorm1_nobias' | 'layernorm2d' | 'layernorm2d_nobias' | 'layernorm_nobias';

export function metaFormerNorm(kind: MetaFormerNorm, dim: number): Module {
  switch (kind) {
    case 'groupnorm1':
      return new GroupNorm1(dim);
    case 'groupnorm1_nobias':
      return new GroupNorm1(dim, { eps: 1e-6, bias: false });
    case 'layernorm2d':
      return new LayerNorm(dim, { eps: 1e-6 });
    case 'layernorm2d_nobias':
    case 'layernorm_nobias':
      return new LayerNorm(dim, { eps: 1e-6, bias: false });
    default:
      throw new Error(`MetaFormer: unknown norm layer '${kind as string}'`);
  }
}

/** The MLP activation: 'star_relu' (a StarReLU with its scale and bias) or an activation name ('gelu'). */
const actModule = (name: string) => (name === 'star_relu' ? new StarReLU() : new Activation(name));

/** timm's `Mlp` in a MetaFormer block: fc1 → act → fc2, 1×1 convs over maps (`useConv`) or linears over tokens. */
export class MetaFormerMlp extends Module {
  readonly fc1: Linear | Conv2d;
  readonly act: Module;
  readonly fc2: Linear | Conv2d;
  constructor(dim: number, hidden: number, act: string, bias: boolean, useConv: boolean) {
    super();
    this.fc1 = this.addModule('fc1', pointwise(dim, hidden, { bias, useConv }));
    this.act = this.addModule('act', actModule(act));
    this.fc2 = this.addModule('fc2', pointwise(hidden, dim, { bias, useConv }));
  }
  override forward(x: tf.Tensor): tf.Tensor {
    return this.fc2.forward(this.act.forward(this.fc1.forward(x)));
  }
}

export interface MetaFormerBlockOptions {
  tokenMixer: TokenMixer;
  mlpAct: string;
  mlpBias: boolean;
  norm: MetaFormerNorm;
  dropPath: number;
  layerScaleInitValue: number | null;
  resScaleInitValue: number | null;
}

function makeMixer(kind: TokenMixer, dim: number): Module {
  if (kind === 'pooling') return new PoolingMixer(3);
  if (kind === 'sepconv') return new SepConvMixer(dim);
  if (kind === 'attention') return new Attention(dim, { numHeads: Math.max(1, Math.floor(dim / 32)), qkvBias: false, projBias: false });
  throw new Error(`MetaFormer: unknown token mixer '${kind as string}' (use pooling, sepconv or attention)`);
}

/** timm's MetaFormerBlock (NHWC maps, or `[B, N, C]` tokens for an attention mixer). */
export class MetaFormerBlock extends Module {
  readonly norm1: Module;
  readonly tokenMixer: Module;
  readonly layerScale1: Module;
  readonly resScale1: Module;
  readonly norm2: Module;
  readonly mlp: MetaFormerMlp;
  readonly layerScale2: Module;
  readonly resScale2: Module;
  constructor(dim: number, readonly o: MetaFormerBlockOptions) {
    super();
    const scale = (v: number | null) => (v === null ? new Identity() : new Scale(dim, v));
    this.norm1 = this.addModule('norm1', metaFormerNorm(o.norm, dim));
    this.tokenMixer = this.addModule('token_mixer', makeMixer(o.tokenMixer, dim));
    this.layerScale1 = this.addModule('layer_scale1', scale(o.layerScaleInitValue));
    this.resScale1 = this.addModule('res_scale1', scale(o.resScaleInitValue));
    this.norm2 = this.addModule('norm2', metaFormerNorm(o.norm, dim));
    this.mlp = this.addModule('mlp', new MetaFormerMlp(dim, 4 * dim, o.mlpAct, o.mlpBias, o.tokenMixer !== 'attention'));
    this.layerScale2 = this.addModule('layer_scale2', scale(o.layerScaleInitValue));
    this.resScale2 = this.addModule('res_scale2', scale(o.resScaleInitValue));
  }
  override forward(x: tf.Tensor): tf.Tensor {
    const p = this.o.dropPath;
    const mixed = this.layerScale1.forward(dropPath(this.tokenMixer.forward(this.norm1.forward(x)), p, this.training));
    x = tf.add(this.resScale1.forward(x), mixed);
    const mlp = this.layerScale2.forward(dropPath(this.mlp.forward(this.norm2.forward(x)), p, this.training));
    return tf.add(this.resScale2.forward(x), mlp);
  }
}

/** timm's Downsampling: (norm) → 3×3 stride-2 conv. Keys: norm, conv. */
export class Downsampling extends Module {
  readonly norm: Module;
  readonly conv: Conv2d;
  constructor(inChs: number, outChs: number, norm: MetaFormerNorm | null) {
    super();
    this.norm = this.addModule('norm', norm ? metaFormerNorm(norm, inChs) : new Identity());
    this.conv = this.addModule('conv', new Conv2d(inChs, outChs, 3, { stride: 2, padding: 1, bias: true }));
  }
  override forward(x: tf.Tensor): tf.Tensor {
    return this.conv.forward(this.norm.forward(x));
  }
}

/** timm's metaformer Stem: 7×7 stride-4 conv (padding 2) → (norm). Keys: conv, norm. */
export class MetaFormerStem extends Module {
  readonly conv: Conv2d;
  readonly norm: Module;
  constructor(inChs: number, outChs: number, norm: MetaFormerNorm | null) {
    super();
    this.conv = this.addModule('conv', new Conv2d(inChs, outChs, 7, { stride: 4, padding: 2, bias: true }));
    this.norm = this.addModule('norm', norm ? metaFormerNorm(norm, outChs) : new Identity());
  }
  override forward(x: tf.Tensor): tf.Tensor {
    return this.norm.forward(this.conv.forward(x));
  }
}

/** timm's MetaFormerStage: downsample (when the width changes) → blocks, over tokens for an attention mixer. */
export class MetaFormerStage extends Module {
  readonly downsample: Module;
  readonly blocks: Sequential;
  readonly tokens: boolean;
  constructor(inChs: number, outChs: number, dpRates: number[], downsampleNorm: MetaFormerNorm | null, o: Omit<MetaFormerBlockOptions, 'dropPath'>) {
    super();
    this.tokens = o.tokenMixer === 'attention';
    this.downsample = this.addModule('downsample', inChs === outChs ? new Identity() : new Downsampling(inChs, outChs, downsampleNorm));
    this.blocks = this.addModule('blocks', new Sequential(dpRates.map((dropPath) => new MetaFormerBlock(outChs, { ...o, dropPath }))));
  }
  override forward(x: tf.Tensor): tf.Tensor {
    x = this.downsample.forward(x);
    if (!this.tokens) return this.blocks.forward(x);
    const [B, H, W, C] = x.shape as [number, number, number, number];
    return tf.reshape(this.blocks.forward(tf.reshape(x, [B, H * W, C])), [B, H, W, C]);
  }
}

/** timm's MlpHead: fc1 (4×) → squared ReLU → LayerNorm (eps 1e-6) → fc2. Keys: fc1, norm, fc2. */
export class MlpHead extends Module {
  readonly fc1: Linear;
  readonly act: SquaredReLU;
  readonly norm: LayerNorm;
  readonly fc2: Linear;
  constructor(dim: number, numClasses: number, mlpRatio = 4) {
    super();
    const hidden = Math.trunc(mlpRatio * dim);
    this.fc1 = this.addModule('fc1', new Linear(dim, hidden));
    this.act = this.addModule('act', new SquaredReLU());
    this.norm = this.addModule('norm', new LayerNorm(hidden, { eps: 1e-6 }));
    this.fc2 = this.addModule('fc2', new Linear(hidden, numClasses));
  }
  override forward(x: tf.Tensor): tf.Tensor {
    return this.fc2.forward(this.norm.forward(this.act.forward(this.fc1.forward(x))));
  }
}

/** timm's head Sequential: global_pool → norm → (flatten) → (drop) → fc. Keys: norm, fc. */
export class MetaFormerHead extends Module {
  globalPool: SelectAdaptivePool2d;
  readonly norm: Module;
  fc: Module;
  constructor(readonly dim: number, numClasses: number, poolType: string, outputNorm: MetaFormerNorm, readonly useMlpHead: boolean) {
    super();
    this.globalPool = this.addModule('global_pool', new SelectAdaptivePool2d({ poolType }));
    this.norm = this.addModule('norm', metaFormerNorm(outputNorm, dim));
    this.fc = this.addModule('fc', this.makeFc(dim, numClasses));
  }
  makeFc(dim: number, numClasses: number): Module {
    if (numClasses <= 0) return new Identity();
    return this.useMlpHead ? new MlpHead(dim, numClasses) : new Linear(dim, numClasses);
  }
  /** timm's `reset_classifier`: a new fc for `numClasses` (0: none), and a new pool when one is given. */
  reset(numClasses: number, poolType?: string): void {
    if (poolType !== undefined) this.globalPool = this.addModule('global_pool', new SelectAdaptivePool2d({ poolType }));
    this.fc = this.addModule('fc', this.makeFc(this.dim, numClasses));
  }
  /** Pooled, normalised features (the pre-logits), or the logits. */
  forwardHead(x: tf.Tensor, preLogits: boolean): tf.Tensor {
    x = this.norm.forward(this.globalPool.forward(x));
    return preLogits ? x : this.fc.forward(x);
  }
  override forward(x: tf.Tensor): tf.Tensor {
    return this.forwardHead(x, false);
  }
}

type PerStage<T> = T | T[];

export interface MetaFormerArgs {
  inChans?: number;
  numClasses?: number;
  globalPool?: string;
  depths?: number[];
  dims?: number[];
  tokenMixers?: PerStage<TokenMixer>;
  /** 'star_relu' (default) or an activation name. */
  mlpAct?: string;
  mlpBias?: boolean;
  dropPathRate?: number;
  projDropRate?: number;
  dropRate?: number;
  layerScaleInitValues?: PerStage<number | null>;
  resScaleInitValues?: PerStage<number | null>;
  downsampleNorm?: MetaFormerNorm | null;
  normLayers?: PerStage<MetaFormerNorm>;
  outputNorm?: MetaFormerNorm;
  useMlpHead?: boolean;
}

const perStage = <T>(v: PerStage<T>, n: number, what: string): T[] => {
  if (!Array.isArray(v)) return Array.from({ length: n }, () => v);
  if (v.length !== n) throw new Error(`MetaFormer: ${what} has ${v.length} entries for ${n} stages`);
  return v;
};

/** timm's MetaFormer: stem (stride 4) → four stages (strides 4…32) → pooled, normalised head. */
export class MetaFormer extends VisionModel {
  static readonly argNames: readonly (keyof MetaFormerArgs)[] = [
    'inChans', 'numClasses', 'globalPool', 'depths', 'dims', 'tokenMixers', 'mlpAct', 'mlpBias', 'dropPathRate', 'projDropRate',
    'dropRate', 'layerScaleInitValues', 'resScaleInitValues', 'downsampleNorm', 'normLayers', 'outputNorm', 'useMlpHead',
  ];
  numClasses: number;
  numFeatures: number;
  headHiddenSize: number;
  readonly inChans: number;
  readonly stages: Sequential;
  readonly head: MetaFormerHead;

  constructor(args: MetaFormerArgs = {}) {
    super();
    const {
      inChans = 3, numClasses = 1000, globalPool = 'avg', depths = [2, 2, 6, 2], dims = [64, 128, 320, 512], tokenMixers = 'pooling',
      mlpAct = 'star_relu', mlpBias = false, dropPathRate = 0, layerScaleInitValues = null, resScaleInitValues = [null, null, 1, 1],
      downsampleNorm = 'layernorm2d_nobias', normLayers = 'layernorm2d_nobias', outputNorm = 'layernorm2d', useMlpHead = true,
    } = args;
    const n = depths.length;
    if (dims.length !== n) throw new Error(`MetaFormer: ${dims.length} dims for ${n} stage depths`);
    const mixers = perStage(tokenMixers, n, 'tokenMixers');
    const norms = perStage(normLayers, n, 'normLayers');
    const ls = perStage(layerScaleInitValues, n, 'layerScaleInitValues');
    const rs = perStage(resScaleInitValues, n, 'resScaleInitValues');
    this.inChans = inChans;
    this.numClasses = numClasses;
    this.numFeatures = this.headHiddenSize = dims[n - 1]!;
    this.addModule('stem', new MetaFormerStem(inChans, dims[0]!, downsampleNorm));
    // timm's stage-wise drop-path rates: a linspace over all blocks, split by stage.
    const total = depths.reduce((a, b) => a + b, 0);
    let start = 0;
    let prev = dims[0]!;
    const stages = depths.map((depth, i) => {
      const rates = Array.from({ length: depth }, (_, j) => (total > 1 ? (dropPathRate * (start + j)) / (total - 1) : 0));
      start += depth;
      const stage = new MetaFormerStage(prev, dims[i]!, rates, downsampleNorm, {
        tokenMixer: mixers[i]!, mlpAct, mlpBias, norm: norms[i]!, layerScaleInitValue: ls[i]!, resScaleInitValue: rs[i]!,
      });
      prev = dims[i]!;
      this.featureInfo.push({ numChs: dims[i]!, reduction: 2 ** (i + 2), module: `stages.${i}` });
      return stage;
    });
    this.stages = this.addModule('stages', new Sequential(stages));
    this.head = this.setClassifierHead('head', new MetaFormerHead(this.numFeatures, numClasses, globalPool, outputNorm, useMlpHead), numClasses);
  }

  protected computeFeatures(x: tf.Tensor): tf.Tensor {
    return this.stages.forward(this.getChild('stem')!.forward(x));
  }

  /** timm's `forward_intermediates`: stage outputs as NHWC maps (timm's NCHW; `norm` has no effect, as in timm). */
  protected override computeIntermediates(x: tf.Tensor, o: ForwardIntermediatesOptions): IntermediatesResult {
    const { indices, stop } = this.takeIndices(this.stages.length, o);
    let y = this.getChild('stem')!.forward(x);
    const intermediates: tf.Tensor[] = [];
    this.stages.namedChildren().slice(0, stop).forEach(([, stage], i) => {
      y = stage.forward(y);
      if (indices.includes(i)) intermediates.push(y);
    });
    return { final: y, intermediates };
  }

  override pruneIntermediateLayers(indices: OutIndices = 1, _pruneNorm = false, pruneHead = true): number[] {
    return this.pruneLevels(this.stages.length, indices, pruneHead, (maxIndex) => {
      for (let i = this.stages.length - 1; i > maxIndex; i--) this.stages.addModule(String(i), null);
    });
  }
}

/**
 * timm's `checkpoint_filter_fn` for the original MetaFormer / PoolFormer repositories' checkpoints: `network.*` /
 * `downsample_layers.*` / `patch_embed.*` renamed to timm's stages / stem, `layer_scale_N` to `layer_scaleN.scale`,
 * the final norm and head moved under `head.`, and a tensor reshaped to the model's shape where only the shape
 * differs (PoolFormer v1's layer scales). timm-format state dicts (`stem.conv.weight`) pass unchanged.
 */
export function checkpointFilterFn(sd: StateDict, model: { stateDict(): StateDict }): StateDict {
  if ('stem.conv.weight' in sd) return sd;
  const v1 = 'network.0.0.mlp.fc1.weight' in sd;
  const own = model.stateDict();
  const out: StateDict = {};
  for (const [key, value] of Object.entries(sd)) {
    let k = key;
    if (v1) {
      k = k.replace(/layer_scale_([0-9]+)/g, 'layer_scale$1.scale');
      for (const [from, to] of [['network.1', 'downsample_layers.1'], ['network.3', 'downsample_layers.2'], ['network.5', 'downsample_layers.3'],
        ['network.2', 'network.1'], ['network.4', 'network.2'], ['network.6', 'network.3'], ['network', 'stages']] as const) k = k.replaceAll(from, to);
    }
    k = k.replace(/downsample_layers.([0-9]+)/g, 'stages.$1.downsample');
    k = k.replaceAll('downsample.proj', 'downsample.conv').replaceAll('patch_embed.proj', 'patch_embed.conv');
    k = k.replace(/([0-9]+).([0-9]+)/g, '$1.blocks.$2');
    k = k.replaceAll('stages.0.downsample', 'patch_embed').replaceAll('patch_embed', 'stem');
    k = k.replaceAll('post_norm', 'norm').replaceAll('pre_norm', 'norm');
    k = k.replace(/^head/, 'head.fc').replace(/^norm/, 'head.norm');
    const target = own[k];
    let v: TensorData = value;
    const count = (s: number[]) => s.reduce((a, b) => a * b, 1);
    if (target && target.shape.join() !== v.shape.join() && count(target.shape) === count(v.shape)) v = { ...v, shape: [...target.shape] };
    out[k] = v;
  }
  return out;
}
