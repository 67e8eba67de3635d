import * as tf from '@tensorflow/tfjs-core';
import type { PretrainedCfg } from './config/pretrained.js';
import { NotImplementedError } from './errors.js';
import { type FeatureInfoEntry, featureTakeIndices, type OutIndices } from './features/feature-info.js';
import type { GroupMatcher } from './group-matcher.js';
import { createClassifier } from './layers/pool.js';
import { setModelSteps } from './model-steps.js';
import { Module } from './module.js';

export interface ForwardHeadOptions {
  /** Return the features just before the classifier (pooled, after any head norm / hidden layer). */
  preLogits?: boolean;
}

export interface ForwardIntermediatesOptions {
  /** Which levels to return: absolute or negative indices, or n meaning the last n. Default: all. */
  indices?: OutIndices;
  /** Apply the final norm to the intermediates (models with a final norm). */
  norm?: boolean;
  /** Stop once the last requested level is computed (then `final` is that level's output). */
  stopEarly?: boolean;
  /** 'NHWC' maps (default) or 'NLC' tokens (token models only). */
  outputFmt?: 'NHWC' | 'NLC';
  /** Return only the list of intermediates. */
  intermediatesOnly?: boolean;
}

export interface IntermediatesResult {
  final: tf.Tensor;
  intermediates: tf.Tensor[];
}

/** Checks an input batch: float NHWC, rank 4, `inChans` channels. Errors say what was expected. */
export function checkInput(x: tf.Tensor, inChans: number, who: string): void {
  if (!(x instanceof tf.Tensor)) throw new TypeError(`${who}: input must be a tf.Tensor (NHWC float32), got ${typeof x}`);
  if (x.rank !== 4) {
    throw new Error(`${who}: input must be NHWC [batch, height, width, ${inChans}], got rank ${x.rank} shape [${x.shape.join(', ')}]`);
  }
  if (x.shape[3] !== inChans) {
    const hint = x.shape[1] === inChans ? ' (it looks like NCHW; transpose with tf.transpose(x, [0, 2, 3, 1]))' : '';
    throw new Error(`${who}: input has ${x.shape[3]} channels in the last axis, the model takes ${inChans}${hint}`);
  }
  if (x.dtype !== 'float32') throw new Error(`${who}: input must be float32, got ${x.dtype}`);
}

/** A classifier head module as timm's `ClassifierHead` / `NormMlpClassifierHead`: pooled (pre-logits) features, then `fc`. */
export interface ClassifierHeadLike extends Module {
  readonly fc: Module;
  forwardHead(x: tf.Tensor, preLogits: boolean): tf.Tensor;
  reset(numClasses: number, poolType?: string): void;
}

/**
 * The interface every classification model follows, as timm's models do. Public methods run inside one `tf.tidy`,
 * so a prediction leaves no tensor behind but its result. Subclasses implement the `compute*` methods, which
 * are free to allocate intermediates.
 */
export interface WarmupOptions {
  /** Input [H, W]; default the cfg's `inputSize` (224×224 without one). */
  inputSize?: [number, number];
  /** Images in the batch. Default 1. */
  batchSize?: number;
}

/** One forward of `model` on zeros, outputs read back and disposed: the time (ms). */
export async function warmupForward(
  model: { forward(x: tf.Tensor): tf.TensorContainer },
  inChans: number,
  cfg: PretrainedCfg,
  options: WarmupOptions = {},
): Promise<number> {
  const [, h, w] = cfg.inputSize ?? [3, 224, 224];
  const [H, W] = options.inputSize ?? [h, w];
  const n = options.batchSize ?? 1;
  for (const [v, what] of [[H, 'height'], [W, 'width'], [n, 'batchSize']] as const) {
    if (!Number.isInteger(v) || v < 1) throw new RangeError(`warmup: ${what} must be a positive integer, got ${v}`);
  }
  const t0 = performance.now();
  const x = tf.zeros([n, H, W, inChans]);
  try {
    const out = model.forward(x);
    const tensors: tf.Tensor[] = [];
    const walk = (o: tf.TensorContainer) => {
      if (o instanceof tf.Tensor) tensors.push(o);
      else if (Array.isArray(o)) o.forEach(walk);
      else if (o && typeof o === 'object') Object.values(o).forEach(walk);
    };
    walk(out);
    try {
      await Promise.all(tensors.map((t) => t.data()));
    } finally {
      tf.dispose(tensors);
    }
  } finally {
    x.dispose();
  }
  return performance.now() - t0;
}

export abstract class VisionModel extends Module {
  /** The cfg the model was built with (timm's `pretrained_cfg`). */
  pretrainedCfg: PretrainedCfg = {};
  /** timm's `feature_info` list for the model's feature levels. */
  featureInfo: FeatureInfoEntry[] = [];
  abstract numClasses: number;
  /** Channels of `forwardFeatures` output. */
  abstract numFeatures: number;
  /** Width of the pre-logits features (after a head hidden layer, where there is one). */
  abstract headHiddenSize: number;
  abstract inChans: number;

  /**
   * timm's `no_weight_decay()`: state-dict names of parameters an optimizer should not decay, beyond the 1-D ones and
   * biases that `@zoo/train`'s param groups always exempt (ViT: `pos_embed`, `cls_token`, …). Default none.
   */
  noWeightDecay(): string[] {
    return [];
  }

  /**
   * timm's `group_matcher(coarse)`: how parameters group into layers, stem first, then blocks (per block, or per stage
   * when `coarse`), the head last — what layer-wise lr decay (`@zoo/train`'s `layerDecay`) and {@link groupParameters}
   * number. `null` (the default) for a model without one; `@zoo/train` then groups as timm's `auto_group_layers`.
   */
  groupMatcher(_coarse = false): GroupMatcher | null {
    return null;
  }
  /** Model name as registered (set by the builder). */
  modelName = '';

  static {
    setModelSteps({
      features: (m, x) => m.computeFeatures(x),
      head: (m, x, preLogits) => m.computeHead(x, preLogits),
      intermediates: (m, x, o) => m.computeIntermediates(x, o),
    });
  }

  protected abstract computeFeatures(x: tf.Tensor): tf.Tensor;

  /**
   * Pooled features → logits (or the pre-logits features). The default runs the head declared with
   * {@link setPoolClassifier} or {@link setClassifierHead}; a model with another head overrides this,
   * `resetClassifier` and `getClassifier`.
   */
  protected computeHead(x: tf.Tensor, preLogits: boolean): tf.Tensor {
    const head = this.declaredHead();
    if (head.kind === 'head') return head.head.forwardHead(x, preLogits);
    x = this.getChild('global_pool')!.forward(x);
    return preLogits ? x : this.getChild(head.fcName)!.forward(x);
  }

  protected computeIntermediates(_x: tf.Tensor, _options: ForwardIntermediatesOptions): IntermediatesResult {
    throw new NotImplementedError(`${this.constructor.name} does not implement forwardIntermediates`);
  }

  /**
   * The opening of every `computeIntermediates`: refuses an `outputFmt` the model cannot give (naming the model),
   * then timm's `feature_take_indices` over `numLevels`. `stop` is how many levels to run (all unless `stopEarly`).
   */
  protected takeIndices(numLevels: number, o: ForwardIntermediatesOptions, formats: readonly string[] = ['NHWC']): { indices: number[]; maxIndex: number; stop: number } {
    if (o.outputFmt && !formats.includes(o.outputFmt)) {
      throw new Error(`${this.constructor.name} intermediates are ${formats.join(' or ')}; outputFmt '${o.outputFmt}' is not supported`);
    }
    const { indices, maxIndex } = featureTakeIndices(numLevels, o.indices);
    return { indices, maxIndex, stop: o.stopEarly ? maxIndex + 1 : numLevels };
  }

  /** Logits `[B, numClasses]` for an NHWC batch (or pooled features when numClasses is 0). */
  override forward(x: tf.Tensor): tf.Tensor {
    checkInput(x, this.inChans, this.modelName || this.constructor.name);
    return tf.tidy(() => this.computeHead(this.computeFeatures(x), false));
  }

  /**
   * Runs one forward pass on zeros at the cfg's input size (or `inputSize` [H, W]) and waits for it. The first
   * forward of a model is several times slower than the next (backend start, BN folded into convs, XNNPACK packing
   * the weights): call this after loading so that the first real image is not the slow one. Resolves to the time taken (ms).
   */
  warmup(options: WarmupOptions = {}): Promise<number> {
    return warmupForward(this, this.inChans, this.pretrainedCfg, options);
  }

  /** The unpooled output of the trunk: NHWC maps for CNNs, tokens `[B, N, C]` for transformers. */
  forwardFeatures(x: tf.Tensor): tf.Tensor {
    checkInput(x, this.inChans, this.modelName || this.constructor.name);
    return tf.tidy(() => this.computeFeatures(x));
  }

  forwardHead(x: tf.Tensor, options: ForwardHeadOptions = {}): tf.Tensor {
    return tf.tidy(() => this.computeHead(x, options.preLogits ?? false));
  }

  /** timm's `forward_intermediates`: the levels named by `indices` (NHWC), and the final features unless only asked for those. */
  forwardIntermediates(x: tf.Tensor, options: ForwardIntermediatesOptions & { intermediatesOnly: true }): tf.Tensor[];
  forwardIntermediates(x: tf.Tensor, options?: ForwardIntermediatesOptions): IntermediatesResult;
  forwardIntermediates(x: tf.Tensor, options: ForwardIntermediatesOptions = {}): IntermediatesResult | tf.Tensor[] {
    checkInput(x, this.inChans, this.modelName || this.constructor.name);
    const r = tf.tidy(() => {
      const res = this.computeIntermediates(x, options);
      return { final: res.final, intermediates: res.intermediates } as unknown as tf.TensorContainer;
    }) as unknown as IntermediatesResult;
    // The caller owns every tensor returned, each one separately: a model may hand back one tensor twice (ResNet's
    // last map is also `final`), so repeats become clones, and `final` is dropped only when nothing returned is it.
    const returned = new Set<tf.Tensor>();
    const own = (t: tf.Tensor) => {
      const out = returned.has(t) ? t.clone() : t;
      returned.add(out);
      return out;
    };
    const intermediates = r.intermediates.map(own);
    if (options.intermediatesOnly) {
      if (!returned.has(r.final)) r.final.dispose();
      return intermediates;
    }
    return { final: own(r.final), intermediates };
  }

  /** The classifier child of a head built by {@link setPoolClassifier}. */
  private poolClassifierName: string | null = null;
  /** The head module set by {@link setClassifierHead}. */
  private classifierHead: ClassifierHeadLike | null = null;

  private declaredHead(): { kind: 'pool'; fcName: string } | { kind: 'head'; head: ClassifierHeadLike } {
    if (this.classifierHead) return { kind: 'head', head: this.classifierHead };
    if (this.poolClassifierName) return { kind: 'pool', fcName: this.poolClassifierName };
    throw new NotImplementedError(`${this.constructor.name} declares no classifier head (setPoolClassifier / setClassifierHead) and does not override the head methods`);
  }

  /** A head module (timm's `ClassifierHead`, `NormMlpClassifierHead`) as the child `name`, run by the default head methods. */
  protected setClassifierHead<H extends ClassifierHeadLike>(name: string, head: H, numClasses: number): H {
    this.numClasses = numClasses;
    this.classifierHead = this.addModule(name, head);
    return head;
  }

  /**
   * The head most CNNs have: timm's `create_classifier` as two children, `global_pool` and a classifier named
   * `fcName` (`'fc'`, `'classifier'`) over `numFeatures` channels. Sets `numClasses`; called again (from
   * `resetClassifier`) it rebuilds both. After a pruned-definition adaptation ({@link onPruned}) the head width
   * follows the classifier's input.
   */
  protected setPoolClassifier(fcName: string, numClasses: number, globalPool = 'avg'): void {
    this.numClasses = numClasses;
    const head = createClassifier(this.numFeatures, numClasses, globalPool);
    this.addModule('global_pool', head.globalPool);
    this.addModule(fcName, head.fc);
    this.poolClassifierName = fcName;
  }

  /** Called after timm's pruned-definition adaptation: a {@link setPoolClassifier} head's width follows its classifier. */
  onPruned(): void {
    if (!this.poolClassifierName) return;
    const fc = this.getChild(this.poolClassifierName) as unknown as { inFeatures?: number };
    if (fc.inFeatures) this.numFeatures = this.headHiddenSize = fc.inFeatures;
  }

  /**
   * Replaces the classifier for `numClasses` (0 removes it) and optionally changes the global pool. A
   * {@link setPoolClassifier} head gets a new pool ('avg' unless given); a {@link setClassifierHead} head keeps its
   * pool unless one is given (timm's `reset`).
   */
  resetClassifier(numClasses: number, globalPool?: string): void {
    const head = this.declaredHead();
    if (head.kind === 'pool') {
      this.setPoolClassifier(head.fcName, numClasses, globalPool ?? 'avg');
      return;
    }
    this.numClasses = numClasses;
    head.head.reset(numClasses, globalPool);
  }

  /** The classifier module (timm's `get_classifier()`). */
  getClassifier(): Module {
    const head = this.declaredHead();
    return head.kind === 'head' ? head.head.fc : this.getChild(head.fcName)!;
  }

  /**
   * The body of most `pruneIntermediateLayers`: timm's `feature_take_indices` over `numLevels`, then `dropAfter`
   * (which replaces the levels after `maxIndex`, and any norm), then the classifier removed when `pruneHead`.
   * Returns the absolute indices.
   */
  protected pruneLevels(numLevels: number, indices: OutIndices, pruneHead: boolean, dropAfter: (maxIndex: number) => void): number[] {
    const { indices: take, maxIndex } = featureTakeIndices(numLevels, indices);
    dropAfter(maxIndex);
    if (pruneHead) this.resetClassifier(0, '');
    return take;
  }

  /**
   * Drops the layers after the last index a caller will take (timm's `prune_intermediate_layers`); returns the
   * absolute indices. Models that support it override this.
   */
  pruneIntermediateLayers(_indices?: OutIndices, _pruneNorm?: boolean, _pruneHead?: boolean): number[] {
    throw new NotImplementedError(`${this.constructor.name} does not implement pruneIntermediateLayers`);
  }
}
