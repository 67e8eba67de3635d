import type * as tf from '@tensorflow/tfjs-core';
import * as tfc from '@tensorflow/tfjs-core';
import {
  Conv2d, DropPath, type ForwardIntermediatesOptions, type GroupMatcher, Identity, type IntermediatesResult, LayerNorm,MlpWithDepthwiseConv, 
  Module, type OutIndices, Sequential, SpatialReductionAttention, type StateDict, VisionModel,
} from '@zoo/core';

export interface PyramidVisionTransformerV2Args {
  inChans?: number;
  numClasses?: number;
  /** 'avg' (mean over the map) or '' (no pooling), as timm allows. */
  globalPool?: string;
  depths?: readonly number[];
  embedDims?: readonly number[];
  numHeads?: number | readonly number[];
  srRatios?: number | readonly number[];
  mlpRatios?: number | readonly number[];
  qkvBias?: boolean;
  /** The linear-attention variant (`_li` models): keys/values from a 7×7 adaptive pool, an extra ReLU in the MLP. */
  linear?: boolean;
  dropRate?: number;
  projDropRate?: number;
  attnDropRate?: number;
  dropPathRate?: number;
}

const ARG_NAMES: readonly (keyof PyramidVisionTransformerV2Args)[] = [
  'inChans', 'numClasses', 'globalPool', 'depths', 'embedDims', 'numHeads', 'srRatios', 'mlpRatios', 'qkvBias', 'linear',
  'dropRate', 'projDropRate', 'attnDropRate', 'dropPathRate',
];

/** timm's `to_ntuple(n)`: one value repeated `n` times, or the list itself. */
function perStage(name: string, v: number | readonly number[], n: number): number[] {
  if (typeof v === 'number') return new Array<number>(n).fill(v);
  if (v.length !== n) throw new Error(`PyramidVisionTransformerV2: ${name} needs ${n} values (one per stage), got ${JSON.stringify(v)}`);
  return [...v];
}

/** timm's block norm (`timm.layers.LayerNorm`: eps 1e-6). */
const blockNorm = (dim: number) => new LayerNorm(dim, { eps: 1e-6 });

/**
 * timm's `OverlapPatchEmbed`: a k×k conv with stride s and padding k/2 (k > s, so patches overlap), then nn.LayerNorm
 * (eps 1e-5) over channels. NHWC in, NHWC out. Keys: proj, norm.
 */
export class OverlapPatchEmbed extends Module {
  readonly proj: Conv2d;
  readonly norm: LayerNorm;
  constructor(patchSize: number, stride: number, inChans: number, embedDim: number) {
    super();
    if (patchSize <= stride) throw new Error(`OverlapPatchEmbed: patchSize (${patchSize}) must be larger than stride (${stride})`);
    this.proj = this.addModule('proj', new Conv2d(inChans, embedDim, patchSize, { stride, padding: Math.floor(patchSize / 2), bias: true }));
    this.norm = this.addModule('norm', new LayerNorm(embedDim));
  }
  override forward(x: tf.Tensor): tf.Tensor {
    return this.norm.forward(this.proj.forward(x));
  }
}

interface BlockArgs {
  dim: number;
  numHeads: number;
  mlpRatio: number;
  srRatio: number;
  linear: boolean;
  qkvBias: boolean;
  dropPath: number;
}

/** timm's PVT-v2 `Block`: pre-norm spatial-reduction attention and depthwise-conv MLP, each with a residual. */
export class PvtBlock extends Module {
  readonly norm1: LayerNorm;
  readonly attn: SpatialReductionAttention;
  readonly norm2: LayerNorm;
  readonly mlp: MlpWithDepthwiseConv;
  readonly dropPath1: Module;
  readonly dropPath2: Module;
  constructor(a: BlockArgs) {
    super();
    this.norm1 = this.addModule('norm1', blockNorm(a.dim));
    this.attn = this.addModule('attn', new SpatialReductionAttention(a.dim, { numHeads: a.numHeads, srRatio: a.srRatio, linearAttn: a.linear, qkvBias: a.qkvBias }));
    this.dropPath1 = this.addModule('drop_path1', a.dropPath > 0 ? new DropPath(a.dropPath) : new Identity());
    this.norm2 = this.addModule('norm2', blockNorm(a.dim));
    this.mlp = this.addModule('mlp', new MlpWithDepthwiseConv(a.dim, { hiddenFeatures: Math.trunc(a.dim * a.mlpRatio), extraRelu: a.linear }));
    this.dropPath2 = this.addModule('drop_path2', a.dropPath > 0 ? new DropPath(a.dropPath) : new Identity());
  }
  override forward(x: tf.Tensor): tf.Tensor {
    x = tfc.add(x, this.dropPath1.forward(this.attn.forward(this.norm1.forward(x))));
    return tfc.add(x, this.dropPath2.forward(this.mlp.forward(this.norm2.forward(x))));
  }
}

/**
 * timm's `PyramidVisionTransformerStage`: an overlapping 3×3/2 patch embed (every stage but the first), the blocks,
 * a final norm. Keys: downsample.{proj,norm}, blocks.N, norm.
 */
export class PyramidVisionTransformerStage extends Module {
  readonly downsample: OverlapPatchEmbed | null;
  readonly blocks: Sequential;
  readonly norm: LayerNorm;
  constructor(dim: number, dimOut: number, depth: number, downsample: boolean, block: Omit<BlockArgs, 'dim' | 'dropPath'>, dropPaths: readonly number[]) {
    super();
    if (!downsample && dim !== dimOut) throw new Error(`PyramidVisionTransformerStage: without downsample dim (${dim}) must equal dimOut (${dimOut})`);
    this.downsample = downsample ? this.addModule('downsample', new OverlapPatchEmbed(3, 2, dim, dimOut)) : null;
    const blocks: Module[] = [];
    for (let i = 0; i < depth; i++) blocks.push(new PvtBlock({ ...block, dim: dimOut, dropPath: dropPaths[i] ?? 0 }));
    this.blocks = this.addModule('blocks', new Sequential(blocks));
    this.norm = this.addModule('norm', blockNorm(dimOut));
  }
  override forward(x: tf.Tensor): tf.Tensor {
    if (this.downsample) x = this.downsample.forward(x);
    return this.norm.forward(this.blocks.forward(x));
  }
}

/** timm's `calculate_drop_path_rates(rate, depths, stagewise=True)`: 0 → rate over all blocks, split per stage. */
function stageDropPathRates(rate: number, depths: readonly number[]): number[][] {
  const total = depths.reduce((a, b) => a + b, 0);
  const all = Array.from({ length: total }, (_, i) => (total > 1 ? (rate * i) / (total - 1) : 0));
  let at = 0;
  return depths.map((d) => all.slice(at, (at += d)));
}

/**
 * timm's `PyramidVisionTransformerV2` on NHWC input: a 7×7/4 overlapping patch embed, then four stages of
 * spatial-reduction attention blocks, each ending in a norm and handing an NHWC map to the next; the head averages
 * the last map and applies a linear classifier. State-dict keys are timm's: patch_embed.{proj,norm},
 * stages.N.{downsample,blocks.M.{norm1,attn.{q,kv,sr,norm,proj},norm2,mlp.{fc1,dwconv,fc2}},norm}, head.
 */
export class PyramidVisionTransformerV2 extends VisionModel {
  static readonly argNames: readonly (keyof PyramidVisionTransformerV2Args)[] = ARG_NAMES;
  numClasses: number;
  numFeatures: number;
  headHiddenSize: number;
  readonly inChans: number;
  readonly patchEmbed: OverlapPatchEmbed;
  readonly stages: Sequential;
  /** 'avg' or '' (timm's `global_pool`). */
  globalPool: string;
  private numStages: number;

  constructor(args: PyramidVisionTransformerV2Args = {}) {
    super();
    const {
      inChans = 3, numClasses = 1000, globalPool = 'avg', depths = [3, 4, 6, 3], embedDims = [64, 128, 256, 512],
      numHeads = [1, 2, 4, 8], srRatios = [8, 4, 2, 1], mlpRatios = [8, 8, 4, 4], qkvBias = true, linear = false,
      dropPathRate = 0,
    } = args;
    if (globalPool !== 'avg' && globalPool !== '') throw new Error(`PyramidVisionTransformerV2: globalPool must be 'avg' or '', got '${globalPool}'`);
    const n = depths.length;
    if (embedDims.length !== n) throw new Error(`PyramidVisionTransformerV2: embedDims needs ${n} values (one per stage), got ${JSON.stringify(embedDims)}`);
    const heads = perStage('numHeads', numHeads, n);
    const srs = perStage('srRatios', srRatios, n);
    const mlps = perStage('mlpRatios', mlpRatios, n);
    this.inChans = inChans;
    this.numClasses = numClasses;
    this.numStages = n;
    this.globalPool = globalPool;

    this.patchEmbed = this.addModule('patch_embed', new OverlapPatchEmbed(7, 4, inChans, embedDims[0]!));
    const dpr = stageDropPathRates(dropPathRate, depths);
    const stages: Module[] = [];
    let prev = embedDims[0]!;
    for (let i = 0; i < n; i++) {
      stages.push(new PyramidVisionTransformerStage(prev, embedDims[i]!, depths[i]!, i > 0, {
        numHeads: heads[i]!, srRatio: srs[i]!, mlpRatio: mlps[i]!, linear, qkvBias,
      }, dpr[i]!));
      prev = embedDims[i]!;
      this.featureInfo.push({ numChs: prev, reduction: 4 * 2 ** i, module: `stages.${i}` });
    }
    this.stages = this.addModule('stages', new Sequential(stages));
    this.numFeatures = this.headHiddenSize = prev;
    this.setPoolClassifier('head', numClasses, globalPool);
  }

  /** A new classifier; the pool stays unless one is given (timm's `reset_classifier`). */
  override resetClassifier(numClasses: number, globalPool?: string): void {
    if (globalPool !== undefined && globalPool !== 'avg' && globalPool !== '') {
      throw new Error(`PyramidVisionTransformerV2: globalPool must be 'avg' or '', got '${globalPool}'`);
    }
    this.globalPool = globalPool ?? this.globalPool;
    super.resetClassifier(numClasses, this.globalPool);
  }

  /** timm's `group_matcher` (the same coarse or fine). */
  override groupMatcher(_coarse = false): GroupMatcher {
    return { stem: '^patch_embed', blocks: String.raw`^stages\.(\d+)` };
  }

  protected computeFeatures(x: tf.Tensor): tf.Tensor {
    return this.stages.forward(this.patchEmbed.forward(x));
  }

  protected override computeIntermediates(x: tf.Tensor, o: ForwardIntermediatesOptions): IntermediatesResult {
    const { indices, stop } = this.takeIndices(this.numStages, o);
    const intermediates: tf.Tensor[] = [];
    x = this.patchEmbed.forward(x);
    for (let i = 0; i < stop; i++) {
      x = this.stages.at(i).forward(x);
      if (indices.includes(i)) intermediates.push(x);
    }
    return { final: x, intermediates };
  }

  override pruneIntermediateLayers(indices: OutIndices = 1, _pruneNorm = false, pruneHead = true): number[] {
    return this.pruneLevels(this.numStages, indices, pruneHead, (maxIndex) => {
      for (let i = maxIndex + 1; i < this.numStages; i++) this.stages.addModule(String(i), new Identity());
    });
  }
}

/**
 * timm's `checkpoint_filter_fn` for PVT-v2: timm-format checkpoints pass through; the original repository's
 * (patch_embedN, blockN.M, normN, dwconv.dwconv) are renamed to timm's keys.
 */
export function checkpointFilterFn(sd: StateDict): StateDict {
  if ('patch_embed.proj.weight' in sd) return sd;
  const out: StateDict = {};
  for (let [k, v] of Object.entries(sd)) {
    if (k.startsWith('patch_embed')) {
      k = k.replace(/^patch_embed1/, 'patch_embed').replace(/^patch_embed([234])/, (_, s: string) => `stages.${Number(s) - 1}.downsample`);
    }
    k = k.replace('dwconv.dwconv', 'dwconv');
    k = k.replace(/block(\d+).(\d+)/g, (_, s: string, b: string) => `stages.${Number(s) - 1}.blocks.${b}`);
    k = k.replace(/^norm(\d+)/, (_, s: string) => `stages.${Number(s) - 1}.norm`);
    out[k] = v;
  }
  return out;
}
