import type * as tf from '@tensorflow/tfjs-core';
import * as tfc from '@tensorflow/tfjs-core';
import {
  Attention, applyAct, ClassifierHead, Conv2d, ConvNormAct, createNormAct, Dropout, DropPath, type ForwardIntermediatesOptions,
  type GroupMatcher, Identity, type IntermediatesResult, LayerScale2d, MobileOneBlock, Module, type NormLayer, type OutIndices,
  ReparamLargeKernelConv, RepConditionalPosEnc, RepMixer, reparameterizeModules, resolveAct, Sequential, type StateDict,
  stageDropPathRates, type TensorData, VisionModel,
} from '@zoo/core';

/** A stage's conditional positional encoding (timm's `partial(RepConditionalPosEnc, spatial_shape=...)`). */
export interface RepCpeSpec {
  type: 'repcpe';
  spatialShape?: number | readonly [number, number];
}

export interface FastVitArgs {
  inChans?: number;
  /** Blocks per stage. */
  layers?: readonly number[];
  /** Each stage's token mixer: 'repmixer' or 'attention'. */
  tokenMixers?: readonly string[];
  embedDims?: readonly number[];
  mlpRatios?: readonly number[];
  /** Whether each stage starts with a patch embed (one is added anyway where the width changes). */
  downsamples?: readonly boolean[];
  /** Squeeze-excite in each stage's large-kernel patch embed (MobileCLIP). */
  seDownsamples?: readonly boolean[];
  repmixerKernelSize?: number;
  numClasses?: number;
  /** Each stage's positional encoding (null: none). */
  posEmbs?: readonly (RepCpeSpec | null)[];
  downPatchSize?: number;
  downStride?: number;
  dropRate?: number;
  projDropRate?: number;
  dropPathRate?: number;
  /** Layer scale init (null: no layer scale). */
  layerScaleInitValue?: number | null;
  /** Apply the activation after the patch embed's large-kernel conv (MobileCLIP; the original FastViT weights did not). */
  lkcUseAct?: boolean;
  /** The 1×1 scale branch in the stem's MobileOne blocks. */
  stemUseScaleBranch?: boolean;
  /** Width of `final_conv` relative to the last stage. */
  clsRatio?: number;
  globalPool?: string;
  /** The attention blocks' norm (BatchNorm by default; MobileCLIP's large towers use LayerNorm2d eps 1e-5). */
  normLayer?: NormLayer;
  actLayer?: string;
  /** Build the fused (re-parameterised) form directly, to load weights saved after `reparameterize()`. */
  inferenceMode?: boolean;
}

const ARG_NAMES: readonly (keyof FastVitArgs)[] = [
  'inChans', 'layers', 'tokenMixers', 'embedDims', 'mlpRatios', 'downsamples', 'seDownsamples', 'repmixerKernelSize',
  'numClasses', 'posEmbs', 'downPatchSize', 'downStride', 'dropRate', 'projDropRate', 'dropPathRate', 'layerScaleInitValue',
  'lkcUseAct', 'stemUseScaleBranch', 'clsRatio', 'globalPool', 'normLayer', 'actLayer', 'inferenceMode',
] as const satisfies readonly (keyof FastVitArgs)[];

/** timm's FastViT `Attention`: multi-head self-attention over an NHWC map's positions (head dim 32, no qkv bias). */
export class FastVitAttention extends Attention {
  constructor(dim: number, headDim = 32) {
    if (dim % headDim !== 0) throw new Error(`FastVitAttention: dim (${dim}) must be divisible by headDim (${headDim})`);
    super(dim, { numHeads: dim / headDim, qkvBias: false });
  }
  override forward(x: tf.Tensor): tf.Tensor {
    const [B, H, W, C] = x.shape as [number, number, number, number];
    return tfc.reshape(super.forward(tfc.reshape(x, [B, H * W, C])), [B, H, W, C]);
  }
}

/**
 * timm's FastViT `ConvMlp`: a 7×7 depthwise conv-BN, then 1×1 fc1 → act → dropout → 1×1 fc2 → dropout (dropout only
 * in training). Keys: conv.{conv,bn}, fc1, fc2.
 */
export class FastVitConvMlp extends Module {
  readonly conv: ConvNormAct;
  readonly fc1: Conv2d;
  readonly fc2: Conv2d;
  readonly act: ReturnType<typeof resolveAct>;
  readonly drop: Dropout;
  constructor(inChs: number, hidden: number, act: string, drop = 0, outChs = inChs) {
    super();
    this.conv = this.addModule('conv', new ConvNormAct(inChs, outChs, 7, { groups: inChs, applyAct: false, actLayer: null }));
    this.fc1 = this.addModule('fc1', new Conv2d(inChs, hidden, 1, { bias: true }));
    this.fc2 = this.addModule('fc2', new Conv2d(hidden, outChs, 1, { bias: true }));
    this.act = resolveAct(act);
    this.drop = this.addModule('drop', new Dropout(drop));
  }
  override forward(x: tf.Tensor): tf.Tensor {
    const h = this.drop.forward(applyAct(this.act, this.fc1.forward(this.conv.forward(x))));
    return this.drop.forward(this.fc2.forward(h));
  }
}

/**
 * timm's FastViT `PatchEmbed`: a re-parameterisable large-kernel conv (with a 3×3 branch) that strides, then a 1×1
 * MobileOne block. Keys: proj.0 (large_conv, small_conv, se), proj.1.
 */
export class FastVitPatchEmbed extends Module {
  readonly proj: Sequential;
  constructor(a: { patchSize: number; stride: number; inChs: number; embedDim: number; act: string; lkcUseAct: boolean; useSe: boolean; inferenceMode: boolean }) {
    super();
    this.proj = this.addModule('proj', new Sequential([
      new ReparamLargeKernelConv(a.inChs, a.embedDim, a.patchSize, {
        stride: a.stride, groupSize: 1, smallKernel: 3, useSe: a.useSe, actLayer: a.lkcUseAct ? a.act : null, inferenceMode: a.inferenceMode,
      }),
      new MobileOneBlock(a.embedDim, a.embedDim, 1, { actLayer: a.act, inferenceMode: a.inferenceMode }),
    ]));
  }
  override forward(x: tf.Tensor): tf.Tensor {
    return this.proj.forward(x);
  }
}

interface BlockArgs {
  dim: number;
  mlpRatio: number;
  act: string;
  projDrop: number;
  dropPath: number;
  layerScaleInitValue: number | null;
}

const layerScale = (dim: number, init: number | null): Module => (init !== null ? new LayerScale2d(dim, init) : new Identity());
const dropPath = (rate: number): Module => (rate > 0 ? new DropPath(rate) : new Identity());

/** timm's `RepMixerBlock`: RepMixer token mixing, then a scaled ConvMlp residual. Keys: token_mixer, mlp, layer_scale. */
export class RepMixerBlock extends Module {
  readonly token_mixer: RepMixer;
  readonly mlp: FastVitConvMlp;
  readonly layer_scale: Module;
  readonly drop_path: Module;
  constructor(a: BlockArgs & { kernelSize: number; inferenceMode: boolean }) {
    super();
    this.token_mixer = this.addModule('token_mixer', new RepMixer(a.dim, { kernelSize: a.kernelSize, layerScaleInitValue: a.layerScaleInitValue, inferenceMode: a.inferenceMode }));
    this.mlp = this.addModule('mlp', new FastVitConvMlp(a.dim, Math.trunc(a.dim * a.mlpRatio), a.act, a.projDrop));
    this.layer_scale = this.addModule('layer_scale', layerScale(a.dim, a.layerScaleInitValue));
    this.drop_path = this.addModule('drop_path', dropPath(a.dropPath));
  }
  override forward(x: tf.Tensor): tf.Tensor {
    x = this.token_mixer.forward(x);
    return tfc.add(x, this.drop_path.forward(this.layer_scale.forward(this.mlp.forward(x))));
  }
}

/**
 * timm's FastViT `AttentionBlock`: norm → self-attention and ConvMlp, each a scaled residual. Keys: norm, token_mixer,
 * layer_scale_1, mlp, layer_scale_2.
 */
export class AttentionBlock extends Module {
  readonly norm: Module;
  readonly token_mixer: FastVitAttention;
  readonly layer_scale_1: Module;
  readonly drop_path1: Module;
  readonly mlp: FastVitConvMlp;
  readonly layer_scale_2: Module;
  readonly drop_path2: Module;
  constructor(a: BlockArgs & { normLayer: NormLayer }) {
    super();
    this.norm = this.addModule('norm', createNormAct(a.normLayer, a.dim, null));
    this.token_mixer = this.addModule('token_mixer', new FastVitAttention(a.dim));
    this.layer_scale_1 = this.addModule('layer_scale_1', layerScale(a.dim, a.layerScaleInitValue));
    this.drop_path1 = this.addModule('drop_path1', dropPath(a.dropPath));
    this.mlp = this.addModule('mlp', new FastVitConvMlp(a.dim, Math.trunc(a.dim * a.mlpRatio), a.act, a.projDrop));
    this.layer_scale_2 = this.addModule('layer_scale_2', layerScale(a.dim, a.layerScaleInitValue));
    this.drop_path2 = this.addModule('drop_path2', dropPath(a.dropPath));
  }
  override forward(x: tf.Tensor): tf.Tensor {
    x = tfc.add(x, this.drop_path1.forward(this.layer_scale_1.forward(this.token_mixer.forward(this.norm.forward(x)))));
    return tfc.add(x, this.drop_path2.forward(this.layer_scale_2.forward(this.mlp.forward(x))));
  }
}

/** timm's `FastVitStage`: an optional patch embed (downsample), an optional RepCPE, the blocks. */
export class FastVitStage extends Module {
  readonly downsample: Module;
  readonly pos_emb: Module;
  readonly blocks: Sequential;
  constructor(a: {
    dim: number; dimOut: number; depth: number; tokenMixer: string; downsample: boolean; seDownsample: boolean; downPatchSize: number;
    downStride: number; posEmb: RepCpeSpec | null; kernelSize: number; mlpRatio: number; act: string; projDrop: number; normLayer: NormLayer;
    dropPaths: readonly number[]; layerScaleInitValue: number | null; lkcUseAct: boolean; inferenceMode: boolean;
  }) {
    super();
    if (!a.downsample && a.dim !== a.dimOut) throw new Error(`FastVitStage: without downsample dim (${a.dim}) must equal dimOut (${a.dimOut})`);
    this.downsample = this.addModule('downsample', a.downsample
      ? new FastVitPatchEmbed({
        patchSize: a.downPatchSize, stride: a.downStride, inChs: a.dim, embedDim: a.dimOut, act: a.act, lkcUseAct: a.lkcUseAct,
        useSe: a.seDownsample, inferenceMode: a.inferenceMode,
      })
      : new Identity());
    if (a.posEmb && a.posEmb.type !== 'repcpe') throw new Error(`FastVitStage: unknown positional encoding '${(a.posEmb as { type: string }).type}' (use 'repcpe')`);
    this.pos_emb = this.addModule('pos_emb', a.posEmb
      ? new RepConditionalPosEnc(a.dimOut, { spatialShape: a.posEmb.spatialShape ?? [7, 7], inferenceMode: a.inferenceMode })
      : new Identity());
    const blocks: Module[] = [];
    for (let i = 0; i < a.depth; i++) {
      const b = { dim: a.dimOut, mlpRatio: a.mlpRatio, act: a.act, projDrop: a.projDrop, dropPath: a.dropPaths[i] ?? 0, layerScaleInitValue: a.layerScaleInitValue };
      if (a.tokenMixer === 'repmixer') blocks.push(new RepMixerBlock({ ...b, kernelSize: a.kernelSize, inferenceMode: a.inferenceMode }));
      else if (a.tokenMixer === 'attention') blocks.push(new AttentionBlock({ ...b, normLayer: a.normLayer }));
      else throw new Error(`FastVitStage: token mixer '${a.tokenMixer}' is not supported (use 'repmixer' or 'attention')`);
    }
    this.blocks = this.addModule('blocks', new Sequential(blocks));
  }
  override forward(x: tf.Tensor): tf.Tensor {
    return this.blocks.forward(this.pos_emb.forward(this.downsample.forward(x)));
  }
}

/** A per-stage list of `n` values, or a clear error naming the argument. */
function perStage<T>(name: string, v: readonly T[], n: number): readonly T[] {
  if (v.length !== n) throw new Error(`FastVit: ${name} needs ${n} values (one per stage), got ${JSON.stringify(v)}`);
  return v;
}

/**
 * timm's `FastVit` (FastViT and MobileCLIP's MCi image towers) on NHWC input: a stem of three MobileOne blocks
 * (stride 4), stages of RepMixer or attention blocks (each after a large-kernel patch embed that halves the map,
 * attention stages with a RepCPE), a MobileOne `final_conv` with SE widening to `clsRatio` × the last width, and
 * timm's `ClassifierHead`. Train-time branches are kept as timm keeps them; {@link FastVit.reparameterize} folds them
 * into single convs (timm's `reparameterize_model`). Keys: stem.N, stages.N.{downsample.proj,pos_emb,blocks.M},
 * final_conv, head.fc.
 */
export class FastVit extends VisionModel {
  static readonly argNames: readonly (keyof FastVitArgs)[] = ARG_NAMES;
  numClasses = 0;
  numFeatures: number;
  headHiddenSize: number;
  readonly inChans: number;
  readonly stem: Sequential;
  readonly stages: Sequential;
  readonly final_conv: MobileOneBlock;
  readonly head: ClassifierHead;
  readonly numStages: number;

  constructor(args: FastVitArgs = {}) {
    super();
    const {
      inChans = 3, layers = [2, 2, 6, 2], embedDims = [64, 128, 256, 512], repmixerKernelSize = 3, numClasses = 1000,
      downPatchSize = 7, downStride = 2, dropRate = 0, projDropRate = 0, dropPathRate = 0, lkcUseAct = false, stemUseScaleBranch = true,
      clsRatio = 2.0, globalPool = 'avg', normLayer = { type: 'batchnorm' }, actLayer = 'gelu', inferenceMode = false,
    } = args;
    const layerScaleInitValue = args.layerScaleInitValue === undefined ? 1e-5 : args.layerScaleInitValue;
    const n = layers.length;
    const tokenMixers = perStage('tokenMixers', args.tokenMixers ?? new Array<string>(n).fill('repmixer'), n);
    const dims = perStage('embedDims', embedDims, n);
    const mlpRatios = perStage('mlpRatios', args.mlpRatios ?? new Array<number>(n).fill(4), n);
    const downsamples = perStage('downsamples', args.downsamples ?? [false, ...new Array<boolean>(n - 1).fill(true)], n);
    const seDownsamples = perStage('seDownsamples', args.seDownsamples ?? new Array<boolean>(n).fill(false), n);
    const posEmbs = perStage('posEmbs', args.posEmbs ?? new Array<RepCpeSpec | null>(n).fill(null), n);
    this.inChans = inChans;
    this.numStages = n;

    const stem = (i: number, o: number, k: number, stride: number, groupSize: number) =>
      new MobileOneBlock(i, o, k, { stride, groupSize, actLayer, inferenceMode, useScaleBranch: stemUseScaleBranch });
    this.stem = this.addModule('stem', new Sequential([stem(inChans, dims[0]!, 3, 2, 0), stem(dims[0]!, dims[0]!, 3, 2, 1), stem(dims[0]!, dims[0]!, 1, 1, 0)]));

    const dpr = stageDropPathRates(dropPathRate, layers);
    const stages: Module[] = [];
    let prev = dims[0]!;
    let scale = 1;
    for (let i = 0; i < n; i++) {
      const downsample = downsamples[i]! || prev !== dims[i];
      stages.push(new FastVitStage({
        dim: prev, dimOut: dims[i]!, depth: layers[i]!, tokenMixer: tokenMixers[i]!, downsample, seDownsample: seDownsamples[i]!,
        downPatchSize, downStride, posEmb: posEmbs[i] ?? null, kernelSize: repmixerKernelSize, mlpRatio: mlpRatios[i]!, act: actLayer, projDrop: projDropRate,
        normLayer, dropPaths: dpr[i]!, layerScaleInitValue, lkcUseAct, inferenceMode,
      }));
      prev = dims[i]!;
      if (downsample) scale *= 2;
      this.featureInfo.push({ numChs: prev, reduction: 4 * scale, module: `stages.${i}` });
    }
    this.stages = this.addModule('stages', new Sequential(stages));

    const finalFeatures = Math.trunc(prev * clsRatio);
    this.numFeatures = this.headHiddenSize = finalFeatures;
    this.final_conv = this.addModule('final_conv', new MobileOneBlock(prev, finalFeatures, 3, { groupSize: 1, inferenceMode, useSe: true, actLayer }));
    this.head = this.setClassifierHead('head', new ClassifierHead(finalFeatures, numClasses, { poolType: globalPool, dropRate }), numClasses);
  }

  /**
   * Folds every train-time branch (MobileOne blocks, large-kernel convs, RepMixers, RepCPEs) into single convs, as
   * timm's `reparameterize_model`; the outputs stay equal up to float rounding and the state dict becomes timm's
   * fused one (`reparam_conv`, loadable with `inferenceMode: true`). Returns how many modules were fused.
   */
  reparameterize(): number {
    return reparameterizeModules(this);
  }

  /** timm's `group_matcher`. */
  override groupMatcher(coarse = false): GroupMatcher {
    return {
      stem: '^stem',
      blocks: coarse ? String.raw`^stages\.(\d+)` : [
        [String.raw`^stages\.(\d+).downsample`, [0]],
        [String.raw`^stages\.(\d+).pos_emb`, [0]],
        [String.raw`^stages\.(\d+)\.\w+\.(\d+)`, null],
      ],
    };
  }

  protected computeFeatures(x: tf.Tensor): tf.Tensor {
    return this.final_conv.forward(this.stages.forward(this.stem.forward(x)));
  }

  protected override computeIntermediates(x: tf.Tensor, o: ForwardIntermediatesOptions): IntermediatesResult {
    const { indices, stop } = this.takeIndices(this.numStages, o);
    const intermediates: tf.Tensor[] = [];
    x = this.stem.forward(x);
    const run = Math.min(stop, this.stages.length);
    for (let i = 0; i < run; i++) {
      x = this.stages.at(i).forward(x);
      if (indices.includes(i)) intermediates.push(x);
    }
    // timm applies final_conv only when the last stage ran.
    if (!o.intermediatesOnly && run === this.numStages) x = this.final_conv.forward(x);
    return { final: x, intermediates };
  }

  /** timm's `prune_intermediate_layers`: the stages after the last index taken are dropped, the classifier reset. */
  override pruneIntermediateLayers(indices: OutIndices = 1, _pruneNorm = false, pruneHead = true): number[] {
    return this.pruneLevels(this.numStages, indices, pruneHead, (maxIndex) => {
      for (let i = maxIndex + 1; i < this.numStages; i++) this.stages.addModule(String(i), null);
    });
  }
}

/** A 2-D torch tensor transposed (`v.T`). */
function transpose2d(t: TensorData): TensorData {
  const [r, c] = t.shape as [number, number];
  const src = t.data as Float32Array;
  const out = new Float32Array(r * c);
  for (let i = 0; i < r; i++) for (let j = 0; j < c; j++) out[j * r + i] = src[i * c + j]!;
  return { dtype: t.dtype, shape: [c, r], data: out };
}

/** The original repository's names → timm's (Python `str.replace`: every occurrence). */
const RENAMES: readonly [string, string][] = [
  ['patch_embed', 'stem'], ['rbr_conv', 'conv_kxk'], ['rbr_scale', 'conv_scale'], ['rbr_skip', 'identity'], ['conv_exp', 'final_conv'],
  ['lkb_origin', 'large_conv'], ['convffn', 'mlp'], ['se.reduce', 'se.fc1'], ['se.expand', 'se.fc2'],
];

/**
 * timm's FastViT `checkpoint_filter_fn`: timm-format checkpoints pass through; OpenCLIP MobileCLIP towers
 * (`module.visual.trunk.`) lose their prefix; Apple's original FastViT / MobileCLIP checkpoints are renamed to timm's
 * keys (flat `network.N` → `stages.S`, `rbr_*` → `conv_kxk` / `conv_scale` / `identity`, the CLIP projection
 * `head.proj` → `head.fc` with a zero bias).
 */
export function checkpointFilterFn(sd: StateDict, model?: VisionModel): StateDict {
  if ('stem.0.conv_kxk.0.conv.weight' in sd) return sd;
  if ('module.visual.trunk.stem.0.conv_kxk.0.conv.weight' in sd) {
    return Object.fromEntries(Object.entries(sd).filter(([k]) => k.startsWith('module.visual.trunk')).map(([k, v]) => [k.replace('module.visual.trunk.', ''), v]));
  }
  const prefix = 'image_encoder.model.patch_embed.0.rbr_conv.0.conv.weight' in sd ? 'image_encoder.model.' : '';
  const stageEnds = [...new Set(Object.keys(sd).map((k) => /^(.*?)network\.(\d+)\.proj.*/.exec(k)).filter((m) => m).map((m) => Number(m![2])))].sort((a, b) => a - b);
  const headIsLinear = !!model && (model.getClassifier() as { inFeatures?: number }).inFeatures !== undefined;
  const out: StateDict = {};
  for (let [k, v] of Object.entries(sd)) {
    if (prefix) {
      if (!k.includes(prefix)) continue;
      k = k.replaceAll(prefix, '');
    }
    for (const [from, to] of RENAMES) k = k.replaceAll(from, to);
    k = k.replace(/layer_scale_([0-9])/g, 'layer_scale_$1.gamma');
    if (k.endsWith('layer_scale')) k = k.replace('layer_scale', 'layer_scale.gamma');
    k = k.replaceAll('dist_head', 'head_dist');
    if (k.startsWith('head.')) {
      if (k === 'head.proj' && headIsLinear) {
        k = 'head.fc.weight';
        v = transpose2d(v);
        out['head.fc.bias'] = { dtype: 'float32', shape: [v.shape[0]!], data: new Float32Array(v.shape[0]!) };
      } else k = k.replace('head.', 'head.fc.');
    }
    const m = /^network\.(\d+)/.exec(k);
    if (m) {
      const netIdx = Number(m[1]);
      const stageIdx = stageEnds.filter((e) => e <= netIdx).length; // bisect_right
      const net = `network.${netIdx}`;
      const stage = `stages.${stageIdx}`;
      if (k.includes(`${net}.proj`)) k = k.replace(`${net}.proj`, `${stage}.downsample.proj`);
      else if (k.includes(`${net}.pe`)) k = k.replace(`${net}.pe`, `${stage}.pos_emb.pos_enc`);
      else k = k.replace(net, `${stage}.blocks`);
    }
    out[k] = v;
  }
  return out;
}
