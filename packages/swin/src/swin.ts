import * as tf from '@tensorflow/tfjs-core';
import {
  ClassifierHead, CosineWindowAttention, DropPath, type ForwardIntermediatesOptions, Identity, type IntermediatesResult, LayerNorm, Mlp,
  Module, type NormFactory, type OutIndices, type Pair, PatchEmbed, PatchMerging, resamplePatchEmbed, resizeRelPosBiasTable, Sequential,type StateDict, 
  shiftedWindowAttention, shiftedWindowMask, toPair, VisionModel, WindowAttention,
} from '@zoo/core';

/** A window size: one for every stage (a number or an [h, w] pair), or one per stage. */
export type WindowSizeArg = number | readonly number[] | readonly (number | readonly number[])[];

/** Arguments both Swin versions take (timm's names in camelCase). */
export interface SwinCommonArgs {
  imgSize?: number | readonly number[];
  patchSize?: number;
  inChans?: number;
  numClasses?: number;
  globalPool?: string;
  embedDim?: number;
  depths?: readonly number[];
  numHeads?: readonly number[];
  /** Always partition into full windows and shift, even where the map is no larger than a window. */
  alwaysPartition?: boolean;
  /** Input must be `imgSize` (default true); false allows other sizes (masks follow the input). */
  strictImgSize?: boolean;
  qkvBias?: boolean;
  dropRate?: number;
  projDropRate?: number;
  attnDropRate?: number;
  dropPathRate?: number;
  /** timm's norm_layer: only LayerNorm ('layernorm', eps 1e-5) is used by timm's Swin models. */
  normLayer?: string;
}

/** Arguments of timm's `SwinTransformer` (Swin V1). */
export interface SwinTransformerArgs extends SwinCommonArgs {
  /** Channels per head (default embed width / heads), one value or one per stage. */
  headDim?: number | readonly (number | null)[] | null;
  windowSize?: WindowSizeArg;
  mlpRatio?: number | readonly number[];
  weightInit?: string;
}

/** Arguments of timm's `SwinTransformerV2`. */
export interface SwinTransformerV2Args extends SwinCommonArgs {
  windowSize?: number | readonly number[];
  mlpRatio?: number;
  actLayer?: string;
  /** Window size each stage's weights were trained at (0: the stage's own), for the continuous position bias. */
  pretrainedWindowSizes?: readonly number[];
}

/** What the generated arch table holds: either class's arguments. */
export type SwinArgs = SwinTransformerArgs | SwinTransformerV2Args;

const COMMON_ARGS = [
  'imgSize', 'patchSize', 'inChans', 'numClasses', 'globalPool', 'embedDim', 'depths', 'numHeads', 'windowSize', 'alwaysPartition',
  'strictImgSize', 'mlpRatio', 'qkvBias', 'dropRate', 'projDropRate', 'attnDropRate', 'dropPathRate', 'normLayer',
] as const;

function layerNormFactory(kind: string | undefined): NormFactory {
  if (kind !== undefined && kind !== 'layernorm') throw new Error(`Swin: unknown normLayer '${kind}'; timm's Swin models use 'layernorm'`);
  return (d) => new LayerNorm(d, { eps: 1e-5 });
}

/** timm's `calculate_drop_path_rates(rate, depths, stagewise=True)`: linear 0 → rate over all blocks, split per stage. */
function stageDropPathRates(rate: number, depths: readonly number[]): number[][] {
  const total = depths.reduce((a, b) => a + b, 0);
  const all = Array.from({ length: total }, (_, i) => (total > 1 ? (rate * i) / (total - 1) : 0));
  let at = 0;
  return depths.map((d) => all.slice(at, (at += d)));
}

/** timm's `_calc_window_shift`: a window no larger than the map (and no shift) unless always partitioning. */
function windowAndShift(resolution: Pair, window: Pair, shift: Pair, alwaysPartition: boolean): [Pair, Pair] {
  if (alwaysPartition) return [window, shift];
  const ws: Pair = [Math.min(resolution[0], window[0]), Math.min(resolution[1], window[1])];
  const ss: Pair = [resolution[0] <= ws[0] ? 0 : shift[0], resolution[1] <= ws[1] ? 0 : shift[1]];
  return [ws, ss];
}

interface BlockArgs {
  dim: number;
  resolution: Pair;
  numHeads: number;
  headDim: number | null;
  window: Pair;
  shifted: boolean;
  alwaysPartition: boolean;
  mlpRatio: number;
  qkvBias: boolean;
  dropPath: number;
  actLayer: string;
  norm: NormFactory;
  pretrainedWindowSize: number;
}

/**
 * timm's `SwinTransformerBlock` (`postNorm` false) and `SwinTransformerV2Block` (`postNorm` true) over NHWC maps:
 * (shifted) window attention and an MLP, each a residual branch, the norm before the branch (V1) or on its output
 * (V2, "res-post-norm"). Keys (timm's order): V1 norm1, attn, norm2, mlp; V2 attn, norm1, mlp, norm2.
 */
export class SwinBlock extends Module {
  windowSize: Pair;
  shiftSize: Pair;
  /** The map size the block was built for (timm's `input_resolution`). */
  resolution: Pair;
  alwaysPartition: boolean;
  private readonly shifted: boolean;
  readonly attn: WindowAttention | CosineWindowAttention;
  readonly norm1: Module;
  readonly norm2: Module;
  readonly mlp: Mlp;
  readonly dropPath1: DropPath;
  readonly dropPath2: DropPath;
  constructor(a: BlockArgs, readonly postNorm: boolean) {
    super();
    this.resolution = a.resolution;
    this.alwaysPartition = a.alwaysPartition;
    this.shifted = a.shifted;
    [this.windowSize, this.shiftSize] = this.windowShift(a.window);
    const mlp = () => new Mlp(a.dim, { hiddenFeatures: Math.trunc(a.dim * a.mlpRatio), actLayer: a.actLayer });
    if (postNorm) {
      this.attn = this.addModule('attn', new CosineWindowAttention(a.dim, {
        numHeads: a.numHeads, windowSize: this.windowSize, qkvBias: a.qkvBias, pretrainedWindowSize: a.pretrainedWindowSize,
      }));
      this.norm1 = this.addModule('norm1', a.norm(a.dim));
      this.mlp = this.addModule('mlp', mlp());
      this.norm2 = this.addModule('norm2', a.norm(a.dim));
    } else {
      this.norm1 = this.addModule('norm1', a.norm(a.dim));
      this.attn = this.addModule('attn', new WindowAttention(a.dim, { numHeads: a.numHeads, headDim: a.headDim, windowSize: this.windowSize, qkvBias: a.qkvBias }));
      this.norm2 = this.addModule('norm2', a.norm(a.dim));
      this.mlp = this.addModule('mlp', mlp());
    }
    this.dropPath1 = new DropPath(a.dropPath);
    this.dropPath2 = new DropPath(a.dropPath);
  }

  /** timm's `_calc_window_shift` for a target window: odd blocks shift by half of it. */
  private windowShift(window: Pair): [Pair, Pair] {
    const target: Pair = this.shifted ? [Math.floor(window[0] / 2), Math.floor(window[1] / 2)] : [0, 0];
    return windowAndShift(this.resolution, window, target, this.alwaysPartition);
  }

  /** timm's `set_input_size`: a new map size and target window; the attention's window (and bias table) follow. */
  setInputSize(featSize: Pair, window: Pair, alwaysPartition?: boolean): void {
    this.resolution = featSize;
    if (alwaysPartition !== undefined) this.alwaysPartition = alwaysPartition;
    [this.windowSize, this.shiftSize] = this.windowShift(window);
    this.attn.setWindowSize(this.windowSize);
    this.onLoadSelf();
  }

  /** The shifted-window mask for an `H × W` map (made once per size; none without a shift). */
  private mask(H: number, W: number): tf.Tensor | null {
    if (!this.shiftSize[0] && !this.shiftSize[1]) return null;
    return this.derived(`attn_mask:${H}x${W}:${this.windowSize}:${this.shiftSize}`, [], () => {
      const m = shiftedWindowMask(H, W, this.windowSize, this.shiftSize)!;
      return [tf.tensor3d(m.data, m.shape)];
    })[0]!;
  }

  private attend(x: tf.Tensor): tf.Tensor {
    const mask = this.mask(x.shape[1]!, x.shape[2]!);
    return shiftedWindowAttention(x, this.windowSize, this.shiftSize, (w) => this.attn.forwardMasked(w, mask));
  }

  override forward(x: tf.Tensor): tf.Tensor {
    // Drop path is identity in eval mode; in training mode it follows each module's `training` flag.
    this.dropPath1.training = this.dropPath2.training = this.training;
    if (this.postNorm) {
      x = tf.add(x, this.dropPath1.forward(this.norm1.forward(this.attend(x))));
      return tf.add(x, this.dropPath2.forward(this.norm2.forward(this.mlp.forward(x))));
    }
    x = tf.add(x, this.dropPath1.forward(this.attend(this.norm1.forward(x))));
    return tf.add(x, this.dropPath2.forward(this.mlp.forward(this.norm2.forward(x))));
  }
}

/** timm's `SwinTransformerStage` / `SwinTransformerV2Stage`: an optional patch merging, then blocks alternating plain and shifted windows. Keys: downsample, blocks.N. */
export class SwinStage extends Module {
  readonly downsample: Module;
  readonly blocks: Sequential;
  constructor(dim: number, outDim: number, o: Omit<BlockArgs, 'dim' | 'shifted' | 'dropPath'> & { depth: number; downsample: boolean; dropPath: number[]; postNorm: boolean }) {
    super();
    if (o.downsample) {
      this.downsample = this.addModule('downsample', new PatchMerging(dim, { outDim, normLayer: o.norm, normFirst: !o.postNorm }));
    } else {
      if (dim !== outDim) throw new Error(`Swin stage without downsampling must keep its width (${dim} → ${outDim})`);
      this.downsample = this.addModule('downsample', new Identity());
    }
    // The blocks see the stage's output resolution (timm's `output_resolution`: halved by the merging).
    const resolution: Pair = o.downsample ? [Math.floor(o.resolution[0] / 2), Math.floor(o.resolution[1] / 2)] : o.resolution;
    const blocks: Module[] = [];
    for (let i = 0; i < o.depth; i++) {
      blocks.push(new SwinBlock({ ...o, resolution, dim: outDim, shifted: i % 2 === 1, dropPath: o.dropPath[i] ?? 0 }, o.postNorm));
    }
    this.blocks = this.addModule('blocks', new Sequential(blocks));
  }
  override forward(x: tf.Tensor): tf.Tensor {
    return this.blocks.forward(this.downsample.forward(x));
  }

  /** timm's stage `set_input_size`: the blocks get the stage's new output resolution and the window. */
  setInputSize(featSize: Pair, window: Pair, alwaysPartition?: boolean): void {
    const out: Pair = this.downsample instanceof PatchMerging ? [Math.floor(featSize[0] / 2), Math.floor(featSize[1] / 2)] : featSize;
    for (const [, b] of this.blocks.namedChildren()) (b as SwinBlock).setInputSize(out, window, alwaysPartition);
  }
}

/** Options of `setInputSize` (timm's `set_input_size`). */
export interface SwinSetInputSizeOptions {
  /** New input size; default the current one. */
  imgSize?: number | readonly number[];
  /** New window size for every stage; default the patch grid / `windowRatio`. */
  windowSize?: number | readonly number[];
  /** Divisor of the patch grid giving the window when `windowSize` is not given (timm: 8). */
  windowRatio?: number;
  /** Change `alwaysPartition` when given. */
  alwaysPartition?: boolean;
}

interface TrunkSpec {
  args: SwinCommonArgs;
  postNorm: boolean;
  /** Per stage: window size, head dim, MLP ratio, pretrained window size. */
  windows: Pair[];
  headDims: (number | null)[];
  mlpRatios: number[];
  pretrainedWindowSizes: number[];
  actLayer: string;
}

/** Per-stage values of an argument that is one value or one per stage. */
function perStage<T>(v: T | readonly T[], n: number, what: string): T[] {
  if (!Array.isArray(v)) return Array.from({ length: n }, () => v as T);
  if (v.length !== n) throw new Error(`Swin: ${what} must be one value or ${n} (one per stage), got ${JSON.stringify(v)}`);
  return [...(v as T[])];
}

/** The body both Swin versions share: patch embedding (NHWC maps), stages, final norm and an average-pool head over NHWC maps. */
abstract class SwinBase extends VisionModel {
  numClasses: number;
  numFeatures: number;
  headHiddenSize: number;
  readonly inChans: number;
  readonly embedDims: number[];
  readonly patchEmbed: PatchEmbed;
  readonly layers: Sequential;
  norm: Module;
  readonly head: ClassifierHead;
  /** timm's `output_fmt`: the trunk's maps are NHWC, as timm's Swin returns them. */
  readonly outputFmt = 'NHWC';

  protected constructor(s: TrunkSpec) {
    super();
    const a = s.args;
    const {
      imgSize = 224, patchSize = 4, inChans = 3, numClasses = 1000, globalPool = 'avg', embedDim = 96, depths = [2, 2, 6, 2],
      numHeads = [3, 6, 12, 24], alwaysPartition = false, strictImgSize = true, qkvBias = true, dropRate = 0, dropPathRate = 0.1,
    } = a;
    if (globalPool !== '' && globalPool !== 'avg') throw new Error(`Swin: globalPool must be 'avg' or '' (as timm), got '${globalPool}'`);
    const n = depths.length;
    if (numHeads.length !== n) throw new Error(`Swin: ${n} depths but ${numHeads.length} numHeads`);
    const norm = layerNormFactory(a.normLayer);
    this.numClasses = numClasses;
    this.inChans = inChans;
    this.embedDims = Array.from({ length: n }, (_, i) => Math.trunc(embedDim * 2 ** i));
    this.numFeatures = this.headHiddenSize = this.embedDims[n - 1]!;
    this.patchEmbed = this.addModule('patch_embed', new PatchEmbed({
      imgSize: toPair(typeof imgSize === 'number' ? imgSize : [imgSize[0]!, imgSize[1]!]), patchSize, inChans, embedDim: this.embedDims[0],
      normLayer: norm, flatten: false, strictImgSize,
    }));
    const grid = this.patchEmbed.gridSize!;
    const dpr = stageDropPathRates(dropPathRate, depths);
    const stages: Module[] = [];
    let scale = 1;
    let inDim = this.embedDims[0]!;
    for (let i = 0; i < n; i++) {
      const outDim = this.embedDims[i]!;
      stages.push(new SwinStage(inDim, outDim, {
        resolution: [Math.floor(grid[0] / scale), Math.floor(grid[1] / scale)], depth: depths[i]!, downsample: i > 0, numHeads: numHeads[i]!,
        headDim: s.headDims[i] ?? null, window: s.windows[i]!, alwaysPartition, mlpRatio: s.mlpRatios[i]!, qkvBias, dropPath: dpr[i]!,
        actLayer: s.actLayer, norm, pretrainedWindowSize: s.pretrainedWindowSizes[i]!, postNorm: s.postNorm,
      }));
      inDim = outDim;
      if (i > 0) scale *= 2;
      this.featureInfo.push({ numChs: outDim, reduction: patchSize * scale, module: `layers.${i}` });
    }
    this.layers = this.addModule('layers', new Sequential(stages));
    this.norm = this.addModule('norm', norm(this.numFeatures));
    this.head = this.setClassifierHead('head', new ClassifierHead(this.numFeatures, numClasses, { poolType: globalPool, dropRate }), numClasses);
  }

  /**
   * timm's `set_input_size`: another input size and / or window size after building (e.g. after loading weights
   * trained at another size). Every block's window and shift follow as timm computes them; Swin V1's bias tables are
   * resized from the current ones (timm's `resize_rel_pos_bias_table`), Swin-V2's coordinate tables rebuilt. Feature
   * info is unchanged. With no `windowSize`, the window is the patch grid / `windowRatio` (8), as timm's.
   */
  setInputSize(options: SwinSetInputSizeOptions = {}): void {
    const { imgSize, windowRatio = 8, alwaysPartition } = options;
    const pe = this.patchEmbed;
    // Everything is checked before anything changes.
    let img = pe.imgSize;
    if (imgSize !== undefined) {
      img = toPair(typeof imgSize === 'number' ? imgSize : [imgSize[0]!, imgSize[1]!]);
      if (!img.every((v) => Number.isInteger(v) && v >= pe.patchSize[0])) throw new RangeError(`setInputSize: imgSize must be integers ≥ the patch size ${pe.patchSize[0]}, got ${JSON.stringify(imgSize)}`);
    }
    const grid: Pair = [Math.floor(img![0] / pe.patchSize[0]), Math.floor(img![1] / pe.patchSize[1])];
    const ws = options.windowSize;
    const window: Pair = ws === undefined ? [Math.floor(grid[0] / windowRatio), Math.floor(grid[1] / windowRatio)] : toPair(typeof ws === 'number' ? ws : [ws[0]!, ws[1]!]);
    if (!window.every((v) => Number.isInteger(v) && v >= 1)) throw new RangeError(`setInputSize: the window must be integers ≥ 1, got ${JSON.stringify(window)}`);
    pe.imgSize = img;
    pe.gridSize = grid;
    pe.numPatches = grid[0] * grid[1];
    this.layers.namedChildren().forEach(([, stage], i) => {
      const scale = 2 ** Math.max(i - 1, 0);
      (stage as SwinStage).setInputSize([Math.floor(grid[0] / scale), Math.floor(grid[1] / scale)], window, alwaysPartition);
    });
  }

  /** timm's `no_weight_decay` entries beyond biases and 1-D parameters. */
  override noWeightDecay(): string[] {
    return Object.keys(this.stateDict()).filter((k) => /relative_position_bias_table|cpb_mlp|logit_scale/.test(k));
  }

  protected computeFeatures(x: tf.Tensor): tf.Tensor {
    return this.norm.forward(this.layers.forward(this.patchEmbed.forward(x)));
  }

  protected override computeIntermediates(x: tf.Tensor, o: ForwardIntermediatesOptions): IntermediatesResult {
    const numStages = this.layers.length;
    const { indices, stop } = this.takeIndices(numStages, o);
    const intermediates: tf.Tensor[] = [];
    x = this.patchEmbed.forward(x);
    for (let i = 0; i < stop; i++) {
      x = this.layers.at(i).forward(x);
      if (indices.includes(i)) intermediates.push(o.norm && i === numStages - 1 ? this.norm.forward(x) : x);
    }
    return { final: this.norm.forward(x), intermediates };
  }

  override pruneIntermediateLayers(indices: OutIndices = 1, pruneNorm = false, pruneHead = true): number[] {
    const numStages = this.layers.length;
    return this.pruneLevels(numStages, indices, pruneHead, (maxIndex) => {
      for (let i = maxIndex + 1; i < numStages; i++) this.layers.addModule(String(i), null);
      if (pruneNorm) this.norm = this.addModule('norm', new Identity());
    });
  }
}

/**
 * timm's `SwinTransformer` (Swin V1, and the AutoFormerV2 "S3" models with per-stage windows) on NHWC input:
 * non-overlapping patch embedding, four stages of (shifted) window attention with relative position bias tables,
 * patch merging between stages. `forwardFeatures` returns the normed NHWC map, as timm's (`output_fmt` NHWC).
 * State-dict keys are timm's: patch_embed.{proj,norm}, layers.N.downsample.{norm,reduction},
 * layers.N.blocks.M.{norm1,attn.{relative_position_bias_table,qkv,proj},norm2,mlp.fc1,mlp.fc2}, norm, head.fc.
 */
export class SwinTransformer extends SwinBase {
  static readonly argNames: readonly string[] = [...COMMON_ARGS, 'headDim', 'weightInit'];

  constructor(args: SwinTransformerArgs = {}) {
    const n = (args.depths ?? [2, 2, 6, 2]).length;
    const ws = args.windowSize ?? 7;
    // timm: an int for every stage; a 2-sequence is one (h, w) window for every stage; else one per stage.
    const windows: Pair[] =
      typeof ws === 'number' ? Array.from({ length: n }, () => toPair(ws))
      : ws.length === 2 && ws.every((v) => typeof v === 'number') ? Array.from({ length: n }, () => toPair(ws as readonly number[]))
      : perStage(ws as readonly (number | readonly number[])[], n, 'windowSize').map((w) => toPair(w as number | readonly number[]));
    const headDim = args.headDim ?? null;
    super({
      args, postNorm: false, windows, actLayer: 'gelu',
      headDims: Array.isArray(headDim) ? perStage<number | null>(headDim, n, 'headDim') : perStage<number | null>(headDim as number | null, n, 'headDim'),
      mlpRatios: perStage(args.mlpRatio ?? 4, n, 'mlpRatio'),
      pretrainedWindowSizes: perStage(0, n, 'pretrainedWindowSizes'),
    });
  }
}

/**
 * timm's `SwinTransformerV2` on NHWC input: Swin's layout with scaled cosine attention, a continuous (log-spaced, MLP)
 * relative position bias, res-post-norm blocks and patch merging that reduces before its norm. Keys as Swin V1 except
 * per block attn.{logit_scale,cpb_mlp.0,cpb_mlp.2,qkv,q_bias,v_bias,proj} and norm1/norm2 after their branch.
 */
export class SwinTransformerV2 extends SwinBase {
  static readonly argNames: readonly string[] = [...COMMON_ARGS, 'actLayer', 'pretrainedWindowSizes'];

  constructor(args: SwinTransformerV2Args = {}) {
    const n = (args.depths ?? [2, 2, 6, 2]).length;
    const ws = args.windowSize ?? 7;
    const window = toPair(typeof ws === 'number' ? ws : [ws[0]!, ws[1]!]);
    super({
      args, postNorm: true, windows: Array.from({ length: n }, () => window), headDims: perStage(null, n, 'headDim'),
      mlpRatios: perStage(args.mlpRatio ?? 4, n, 'mlpRatio'), actLayer: args.actLayer ?? 'gelu',
      pretrainedWindowSizes: perStage(args.pretrainedWindowSizes ?? 0, n, 'pretrainedWindowSizes'),
    });
  }
}

/** Keys of the non-persistent buffers original checkpoints carry. */
const BUFFER_KEYS = /relative_position_index|relative_coords_table|attn_mask/;

/** Original Microsoft checkpoints put each downsample at the end of the previous stage and the classifier at `head`. */
function renameOriginal(k: string): string {
  return k.replace(/layers\.(\d+)\.downsample/, (_, i: string) => `layers.${Number(i) + 1}.downsample`).replace(/^head\./, 'head.fc.');
}

function resizePatchEmbed(v: StateDict[string], model: VisionModel): StateDict[string] {
  const target = model.getSubmodule('patch_embed.proj').getParam('weight')!.shape;
  const [h, w] = [target[2]!, target[3]!];
  return v.shape[2] !== h || v.shape[3] !== w ? resamplePatchEmbed(v, [h, w], 'bicubic', true) : v;
}

/**
 * timm's `checkpoint_filter_fn` for Swin V1: drops non-persistent buffers, resamples the patch embedding to the
 * model's patch size, resizes relative position bias tables to the model's window sizes (timm's
 * `resize_rel_pos_bias_table`), and renames original-repo checkpoints (no `head.fc.weight`) to timm's keys.
 */
export function checkpointFilterFn(sd: StateDict, model: VisionModel): StateDict {
  const original = !('head.fc.weight' in sd);
  const out: StateDict = {};
  for (let [k, v] of Object.entries(sd)) {
    if (BUFFER_KEYS.test(k)) continue;
    if (k.includes('patch_embed.proj.weight')) v = resizePatchEmbed(v, model);
    if (original) k = renameOriginal(k);
    if (k.endsWith('relative_position_bias_table')) {
      const attn = model.getSubmodule(k.slice(0, -'.relative_position_bias_table'.length)) as WindowAttention;
      const target = attn.relativePositionBiasTable.shape;
      if (v.shape.join() !== target.join() || attn.windowSize[0] !== attn.windowSize[1]) {
        v = resizeRelPosBiasTable(v.data instanceof Float32Array ? v : { ...v, data: Float32Array.from(v.data as ArrayLike<number>) }, attn.windowSize, target);
      }
    }
    out[k] = v;
  }
  return out;
}

/** timm's `checkpoint_filter_fn` for Swin V2: buffers dropped, patch embedding resampled, original-repo keys renamed. */
export function checkpointFilterFnV2(sd: StateDict, model: VisionModel): StateDict {
  const original = !('head.fc.weight' in sd);
  const out: StateDict = {};
  for (let [k, v] of Object.entries(sd)) {
    if (BUFFER_KEYS.test(k)) continue;
    if (k.includes('patch_embed.proj.weight')) v = resizePatchEmbed(v, model);
    out[original ? renameOriginal(k) : k] = v;
  }
  return out;
}
