import type * as tf from '@tensorflow/tfjs-core';
import {
  AttentionPool2d,
  BatchNorm2d,
  type ByoModelCfg,
  ByoStem,
  byoLayerFns,
  ClassifierHead,
  createByobStages,
  createByobStem,
  type FeatureInfoEntry,
  type ForwardIntermediatesOptions,
  Identity,
  type IntermediatesResult,
  type Module,
  NormMlpClassifierHead,
  type OutIndices,
  type ResolvedByoModelCfg,
  reparameterizeModel,
  resolveByoModelCfg,
  type Sequential,
  type StateDict,
  VisionModel,
} from '@zoo/core';

/** ByoModelCfg fields a caller may override at construction (timm's `**kwargs` overlaid onto the cfg). */
type CfgOverrides = Partial<Omit<ByoModelCfg, 'blocks'>>;

/** ByobNet's constructor arguments: timm's, plus any ByoModelCfg field to override (`actLayer`, `headType`, …). */
export interface ByobNetArgs extends CfgOverrides {
  cfg: ByoModelCfg;
  numClasses?: number;
  inChans?: number;
  /** Default per head type: 'avg' for classifier / mlp heads, 'token' for attention-pool heads. */
  globalPool?: string | null;
  outputStride?: number;
  /** Input size (required by fixed-size heads: CLIP's attention pool). */
  imgSize?: number | [number, number] | null;
  dropRate?: number;
  dropBlockRate?: number;
  dropBlockSize?: number;
  dropPathRate?: number;
  zeroInitLast?: boolean;
}

const OWN_ARGS = ['cfg', 'numClasses', 'inChans', 'globalPool', 'outputStride', 'imgSize', 'dropRate', 'dropBlockRate', 'dropBlockSize', 'dropPathRate', 'zeroInitLast'] as const;
const CFG_FIELDS = [
  'downsample', 'stemType', 'stemPool', 'stemChs', 'widthFactor', 'numFeatures', 'fixedInputSize', 'actLayer', 'normLayer',
  'aaLayer', 'headHiddenSize', 'headType', 'attnLayer', 'attnKwargs', 'selfAttnLayer', 'selfAttnKwargs', 'blockKwargs',
] as const;

type Head = ClassifierHead | NormMlpClassifierHead | AttentionPool2d;

/**
 * timm's ByobNet (Bring-Your-Own-Blocks): GerNet, RepVGG, MobileOne, RegNetZ, ResNet-Q / -TS and CLIP's ResNets, each
 * one `ByoModelCfg` of core's block language. Children as timm's: `stem`, `stages` (Sequential of Sequentials),
 * `final_conv`, `head`. RepVGG / MobileOne blocks hold timm's train-time branches; `reparameterize()` fuses them.
 */
export class ByobNet extends VisionModel {
  static readonly argNames: readonly string[] = [...OWN_ARGS, ...CFG_FIELDS];
  numClasses: number;
  numFeatures: number;
  headHiddenSize: number;
  readonly inChans: number;
  readonly cfg: ResolvedByoModelCfg;
  readonly stem: Module;
  readonly stages: Sequential;
  readonly head: Head;
  /** The `stage` of each feature level (timm's `stage_ends`). */
  readonly stageEnds: number[];
  globalPool: string;

  constructor(args: ByobNetArgs) {
    super();
    const { numClasses = 1000, inChans = 3, outputStride = 32, imgSize = null, dropRate = 0, dropPathRate = 0 } = args;
    if (args.dropBlockRate) throw new Error('ByobNet: dropBlockRate (DropBlock) is not supported');
    const overrides = Object.fromEntries(CFG_FIELDS.filter((k) => args[k] !== undefined).map((k) => [k, args[k]]));
    const cfg = resolveByoModelCfg(args.cfg, overrides);
    this.cfg = cfg;
    this.numClasses = numClasses;
    this.inChans = inChans;
    if (cfg.fixedInputSize && imgSize === null) throw new Error('ByobNet: imgSize is required for a fixed input size model');
    let featSize: [number, number] | null = imgSize === null ? null : typeof imgSize === 'number' ? [imgSize, imgSize] : [imgSize[0], imgSize[1]];

    const stemLayers = byoLayerFns(cfg, false);
    const stageLayers = byoLayerFns(cfg);
    const first = cfg.blocks[0]!;
    const firstC = Array.isArray(first) ? first[0]!.c : (first as { c: number }).c;
    const stemChs = Array.isArray(cfg.stemChs)
      ? (cfg.stemChs as number[]).map((c) => Math.round(c * cfg.widthFactor))
      : Math.round(((cfg.stemChs as number) || firstC) * cfg.widthFactor);
    const { stem, featureInfo: stemFeat } = createByobStem(inChans, stemChs, cfg.stemType, cfg.stemPool, stemLayers);
    this.stem = this.addModule('stem', stem);
    this.featureInfo = stemFeat.slice(0, -1);
    const stemLast = stemFeat[stemFeat.length - 1]!;
    if (featSize) featSize = [Math.floor(featSize[0] / stemLast.reduction), Math.floor(featSize[1] / stemLast.reduction)];

    const built = createByobStages(cfg, { dropPathRate, outputStride, stemFeat: stemLast, featSize, layers: stageLayers });
    this.stages = this.addModule('stages', built.stages);
    featSize = built.featSize;
    this.featureInfo.push(...built.featureInfo.slice(0, -1));
    const last = built.featureInfo[built.featureInfo.length - 1]!;

    if (cfg.numFeatures) {
      this.numFeatures = Math.round(cfg.widthFactor * cfg.numFeatures);
      this.addModule('final_conv', stageLayers.convNormAct(last.numChs, this.numFeatures, 1));
    } else {
      this.numFeatures = last.numChs;
      this.addModule('final_conv', new Identity());
    }
    this.featureInfo.push({ numChs: this.numFeatures, reduction: last.reduction, module: 'final_conv', stage: this.stages.length });
    this.stageEnds = this.featureInfo.map((f) => f.stage ?? 0);

    this.headHiddenSize = this.numFeatures;
    let globalPool = args.globalPool ?? null;
    let head: Head;
    if (cfg.headType === 'mlp') {
      globalPool ??= 'avg';
      const h = new NormMlpClassifierHead(this.numFeatures, numClasses, {
        hiddenSize: cfg.headHiddenSize, poolType: globalPool, dropRate, actLayer: cfg.actLayer, normLayer: normFactory(cfg),
      });
      this.headHiddenSize = h.numFeatures;
      head = h;
    } else if (cfg.headType === 'attn_abs') {
      globalPool ??= 'token';
      if (!featSize) throw new Error("ByobNet: an 'attn_abs' head needs imgSize (its position embedding has a fixed size)");
      const h = new AttentionPool2d(this.numFeatures, {
        embedDim: cfg.headHiddenSize ?? undefined, outFeatures: numClasses, featSize, poolType: globalPool, dropRate, qkvSeparate: true,
      });
      this.headHiddenSize = h.embedDim;
      head = h;
    } else if (cfg.headType === 'classifier' || cfg.headType === '') {
      globalPool ??= 'avg';
      if (cfg.headHiddenSize !== null) throw new Error(`ByobNet: headHiddenSize is only for 'mlp' / 'attn_abs' heads`);
      head = new ClassifierHead(this.numFeatures, numClasses, { poolType: globalPool, dropRate });
    } else {
      throw new Error(`ByobNet: headType must be 'classifier', 'mlp', 'attn_abs' or '' (got '${cfg.headType}'${cfg.headType === 'attn_rot' ? ': the rotary attention pool is not implemented' : ''})`);
    }
    this.globalPool = globalPool;
    this.head = this.setClassifierHead('head', head, numClasses);
  }

  protected computeFeatures(x: tf.Tensor): tf.Tensor {
    return this.getChild('final_conv')!.forward(this.stages.forward(this.stem.forward(x)));
  }

  /**
   * timm's `forward_intermediates`: the stem's map (before its last stride, for conv-stack stems with a pool or a
   * strided last conv), then each stage; the last level includes `final_conv` unless `excludeFinalConv`.
   */
  protected override computeIntermediates(x: tf.Tensor, o: ForwardIntermediatesOptions & { excludeFinalConv?: boolean }): IntermediatesResult {
    const { indices: take, maxIndex } = this.takeIndices(this.stageEnds.length, o);
    const takeStages = take.map((i) => this.stageEnds[i]!);
    const maxStage = this.stageEnds[maxIndex]!;
    const intermediates: tf.Tensor[] = [];
    let inter: tf.Tensor | null = null;
    if (this.stem instanceof ByoStem) [x, inter] = this.stem.forwardIntermediates(x);
    else x = this.stem.forward(x);
    if (takeStages.includes(0)) intermediates.push(inter ?? x);
    const lastIdx = this.stageEnds[this.stageEnds.length - 1]!;
    const stages = this.stages.namedChildren().map(([, m]) => m);
    const run = o.stopEarly ? stages.slice(0, maxStage) : stages;
    let featIdx = 0;
    const finalConv = this.getChild('final_conv')!;
    for (const stage of run) {
      featIdx++;
      x = stage.forward(x);
      if (!o.excludeFinalConv && featIdx === lastIdx) x = finalConv.forward(x);
      if (takeStages.includes(featIdx)) intermediates.push(x);
    }
    if (o.excludeFinalConv && featIdx === lastIdx) x = finalConv.forward(x);
    return { final: x, intermediates };
  }

  override pruneIntermediateLayers(indices: OutIndices = 1, _pruneNorm = false, pruneHead = true): number[] {
    return this.pruneLevels(this.stageEnds.length, indices, pruneHead, (maxIndex) => {
      const maxStage = this.stageEnds[maxIndex]!;
      const n = this.stages.length;
      for (let i = maxStage; i < n; i++) this.stages.addModule(String(i), null);
      if (maxStage < this.stageEnds[this.stageEnds.length - 1]!) this.addModule('final_conv', new Identity());
    });
  }

  /**
   * Fuses every RepVGG / MobileOne block's branches into one conv (timm's `reparameterize_model`): same outputs up to
   * float rounding, fewer ops. Returns how many blocks were fused; the state dict then holds `reparam_conv` keys.
   */
  reparameterize(): number {
    return reparameterizeModel(this);
  }
}

function normFactory(cfg: ResolvedByoModelCfg): ((dim: number) => Module) | undefined {
  if (cfg.normLayer === 'batchnorm') return (dim) => new BatchNorm2d(dim);
  throw new Error("ByobNet: an 'mlp' head takes only a 'batchnorm' norm layer");
}

/** Level info of a ByobNet, for callers that build on its feature levels. */
export type ByobFeatureInfo = FeatureInfoEntry[];

// OpenAI CLIP's ModifiedResNet names → timm's (timm's `_convert_openai_clip`).
function convertOpenAiClip(sd: StateDict, hasAttnPool: boolean, prefix = 'visual.'): StateDict {
  const out: StateDict = {};
  const ids: Record<string, string> = { 1: 'conv1_1x1.', 2: 'conv2_kxk.', 3: 'conv3_1x1.' };
  const p = prefix.replace(/\./g, '\\.');
  for (const [key, v] of Object.entries(sd)) {
    if (!key.startsWith(prefix)) continue;
    let k = key.replace(new RegExp(`^${p}conv([0-9])`), 'stem.conv$1.conv');
    k = k.replace(new RegExp(`^${p}bn([0-9])`), 'stem.conv$1.bn');
    k = k.replace(new RegExp(`^${p}layer([0-9])\\.([0-9]+)\\.([a-z]+)([0-9])`), (_, s: string, l: string, t: string, id: string) => `stages.${Number(s) - 1}.${l}.${ids[id]}${t}`);
    k = k.replace(new RegExp(`^${p}layer([0-9])\\.([0-9]+)\\.downsample\\.([0-9])`), (_, s: string, l: string, id: string) => `stages.${Number(s) - 1}.${l}.shortcut.${id === '0' ? 'conv.conv' : 'conv.bn'}`);
    if (k.startsWith(`${prefix}attnpool`)) {
      if (!hasAttnPool) continue;
      k = k.replace(`${prefix}attnpool`, 'head').replace('positional_embedding', 'pos_embed').replace('q_proj', 'q').replace('k_proj', 'k').replace('v_proj', 'v').replace('c_proj', 'proj');
    }
    out[k] = v;
  }
  return out;
}

/** timm's `checkpoint_filter_fn`: OpenAI CLIP checkpoints renamed to timm's keys; timm's own pass unchanged. */
export function checkpointFilterFn(sd: StateDict, model: VisionModel): StateDict {
  if (!('visual.conv1.weight' in sd)) return sd;
  return convertOpenAiClip(sd, (model as ByobNet).head instanceof AttentionPool2d);
}
