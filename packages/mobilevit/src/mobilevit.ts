import type * as tf from '@tensorflow/tfjs-core';
import type { ByoModelCfg, ForwardIntermediatesOptions, IntermediatesResult, Module, OutIndices, ResolvedByoModelCfg, Sequential } from '@zoo/core';
import { ByoStem, byoLayerFns, ClassifierHead, createByobStages, createByobStem, Identity, resolveByoModelCfg, VisionModel } from '@zoo/core';

/** The ByoModelCfg fields a caller may replace when building (timm's `**kwargs` over the model cfg). */
const CFG_KEYS = [
  'downsample', 'stemType', 'stemPool', 'stemChs', 'widthFactor', 'numFeatures', 'fixedInputSize', 'actLayer', 'normLayer',
  'aaLayer', 'headHiddenSize', 'headType', 'attnLayer', 'attnKwargs', 'selfAttnLayer', 'selfAttnKwargs', 'blockKwargs',
] as const;

/** MobileViT's constructor arguments: timm's ByobNet arguments, and any ByoModelCfg field to replace. */
export interface MobileVitArgs extends Partial<Omit<ByoModelCfg, 'blocks'>> {
  /** The network as core's block language (timm's `model_cfgs[variant]`). */
  cfg: ByoModelCfg;
  numClasses?: number;
  inChans?: number;
  globalPool?: string;
  outputStride?: number;
  /** Accepted for timm's signature; MobileViT has no fixed-size layer. */
  imgSize?: number | [number, number] | null;
  dropRate?: number;
  dropPathRate?: number;
  zeroInitLast?: boolean;
}

/**
 * timm's MobileViT v1 and v2: a ByobNet (timm builds both with its ByobNet class) whose cfg stacks core's 'bottle'
 * inverted residuals and its 'mobilevit' / 'mobilevit2' blocks. Children as timm's: `stem`, `stages` (Sequential of
 * Sequentials), `final_conv` (a 1×1 ConvNormAct in v1, Identity in v2) and `head` (a pool → fc classifier).
 */
export class MobileVit extends VisionModel {
  static readonly argNames: readonly string[] = ['cfg', 'numClasses', 'inChans', 'globalPool', 'outputStride', 'imgSize', 'dropRate', 'dropPathRate', 'zeroInitLast', ...CFG_KEYS];
  numClasses: number;
  numFeatures: number;
  headHiddenSize: number;
  readonly inChans: number;
  readonly cfg: ResolvedByoModelCfg;
  readonly stem: Module;
  readonly stages: Sequential;
  readonly head: ClassifierHead;
  /** For each feature level, the number of stages run when it is complete (0: the stem). */
  readonly levelStages: number[];
  globalPool: string;

  constructor(args: MobileVitArgs) {
    super();
    const replaced: Partial<ByoModelCfg> = {};
    for (const key of CFG_KEYS) if (args[key] !== undefined) Object.assign(replaced, { [key]: args[key] });
    const cfg = resolveByoModelCfg(args.cfg, replaced);
    if (cfg.headType !== 'classifier' && cfg.headType !== '') {
      throw new Error(`MobileVit: headType '${cfg.headType}' is not available here (MobileViT's ByobNet cfgs use the 'classifier' head)`);
    }
    if (cfg.headHiddenSize !== null) throw new Error('MobileVit: headHiddenSize needs an mlp head, which MobileViT does not have');
    this.cfg = cfg;
    this.inChans = args.inChans ?? 3;
    this.numClasses = args.numClasses ?? 1000;

    const firstStage = cfg.blocks[0]!;
    const firstChs = (Array.isArray(firstStage) ? firstStage[0] : firstStage).c as number;
    const scale = (c: number) => Math.round(c * cfg.widthFactor);
    const stemChs = typeof cfg.stemChs === 'number' ? scale(cfg.stemChs || firstChs) : cfg.stemChs.map(scale);
    const stemBuilt = createByobStem(this.inChans, stemChs, cfg.stemType, cfg.stemPool, byoLayerFns(cfg, false));
    this.stem = this.addModule('stem', stemBuilt.stem);

    const layers = byoLayerFns(cfg);
    const stemOut = stemBuilt.featureInfo.at(-1)!;
    const built = createByobStages(cfg, { dropPathRate: args.dropPathRate ?? 0, outputStride: args.outputStride ?? 32, stemFeat: stemOut, layers });
    this.stages = this.addModule('stages', built.stages);
    const lastStage = built.featureInfo.at(-1)!;
    this.numFeatures = cfg.numFeatures ? scale(cfg.numFeatures) : lastStage.numChs;
    this.addModule('final_conv', cfg.numFeatures ? layers.convNormAct(lastStage.numChs, this.numFeatures, 1) : new Identity());
    // Levels: the stem's inner map, the stages that end before a stride, then the last stage with final_conv.
    this.featureInfo = [
      ...stemBuilt.featureInfo.slice(0, -1),
      ...built.featureInfo.slice(0, -1),
      { numChs: this.numFeatures, reduction: lastStage.reduction, module: 'final_conv', stage: this.stages.length },
    ];
    this.levelStages = this.featureInfo.map((f) => f.stage ?? 0);

    this.headHiddenSize = this.numFeatures;
    this.globalPool = args.globalPool ?? 'avg';
    this.head = this.setClassifierHead('head', new ClassifierHead(this.numFeatures, this.numClasses, { poolType: this.globalPool, dropRate: args.dropRate ?? 0 }), this.numClasses);
  }

  private get finalConv(): Module {
    return this.getChild('final_conv')!;
  }

  protected computeFeatures(x: tf.Tensor): tf.Tensor {
    return this.finalConv.forward(this.stages.forward(this.stem.forward(x)));
  }

  /** timm's ByobNet `forward_intermediates`: one map per feature level; the last level's includes `final_conv` unless `excludeFinalConv`. */
  protected override computeIntermediates(x: tf.Tensor, o: ForwardIntermediatesOptions & { excludeFinalConv?: boolean }): IntermediatesResult {
    const { indices, maxIndex } = this.takeIndices(this.levelStages.length, o);
    const wanted = new Set(indices.map((i) => this.levelStages[i]!));
    const lastStage = this.levelStages.at(-1)!;
    const out: tf.Tensor[] = [];
    let stemInner: tf.Tensor | null = null;
    if (this.stem instanceof ByoStem) [x, stemInner] = this.stem.forwardIntermediates(x);
    else x = this.stem.forward(x);
    if (wanted.has(0)) out.push(stemInner ?? x);
    const stages = this.stages.namedChildren().map(([, m]) => m);
    const runTo = o.stopEarly ? this.levelStages[maxIndex]! : stages.length;
    for (let s = 1; s <= runTo; s++) {
      x = stages[s - 1]!.forward(x);
      if (s === lastStage && !o.excludeFinalConv) x = this.finalConv.forward(x);
      if (wanted.has(s)) out.push(x);
    }
    if (o.excludeFinalConv && runTo === lastStage) x = this.finalConv.forward(x);
    return { final: x, intermediates: out };
  }

  override pruneIntermediateLayers(indices: OutIndices = 1, _pruneNorm = false, pruneHead = true): number[] {
    return this.pruneLevels(this.levelStages.length, indices, pruneHead, (maxIndex) => {
      const keep = this.levelStages[maxIndex]!;
      for (let s = keep; s < this.stages.length; s++) this.stages.addModule(String(s), null);
      if (keep < this.levelStages.at(-1)!) this.addModule('final_conv', new Identity());
    });
  }
}
