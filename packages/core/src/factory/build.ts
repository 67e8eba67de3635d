import { fromTimmDict, type PretrainedCfg } from '../config/pretrained.js';
import type { OutIndices } from '../features/feature-info.js';
import { createFeatureModel, type FeatureCfg, type FeatureCls, type FeatureModel } from '../features/wrappers.js';
import type { HubRetryCallback } from '../hub/http.js';
import type { VisionModel } from '../model.js';
import type { StateDictStream } from '../module.js';
import { getPretrainedCfg } from '../registry/registry.js';
import { type CheckpointSource, loadCheckpointSource, localCheckpointPath } from '../weights/checkpoint.js';
import type { StateDict } from '../weights/types.js';
import { checkOptionValues } from './options.js';
import { loadPretrained } from './pretrained.js';
import { adaptModelFromString } from './prune.js';

const isNode = typeof process !== 'undefined' && !!process.versions?.node;

/** Options `createModel` and every entrypoint take: timm's create_model kwargs in camelCase, plus family kwargs. */
export interface CreateModelOptions {
  pretrained?: boolean;
  /** A tag ('a1_in1k') or a whole cfg to use instead of the registered default. */
  pretrainedCfg?: string | PretrainedCfg;
  /** Fields replacing those of the resolved cfg, e.g. `{ file }`, `{ url }`, `{ hfHubId }` or `{ stateDict }`. */
  pretrainedCfgOverlay?: Partial<PretrainedCfg> & { stateDict?: StateDict; file?: string };
  /** A checkpoint loaded strictly into the final model after it is built (timm's `checkpoint_path`). */
  checkpointPath?: CheckpointSource;
  numClasses?: number;
  inChans?: number;
  globalPool?: string;
  imgSize?: number | [number, number];
  featuresOnly?: boolean;
  outIndices?: OutIndices;
  featureCls?: FeatureCls;
  dropRate?: number;
  dropPathRate?: number;
  /** Hub cache folder (Node). */
  cacheDir?: string;
  /** Download progress for pretrained weights. */
  onProgress?: (p: { loaded: number; total?: number; file: string }) => void;
  /** Told before each retried hub request (DNS failures and refused connections fail at once). */
  onRetry?: HubRetryCallback;
  [familyKwarg: string]: unknown;
}

/** A model class as builders take it; `argNames` lists the constructor options it accepts. */
export interface ModelClass<M extends VisionModel = VisionModel> {
  new (args: any): M;
  readonly argNames?: readonly string[];
}

/**
 * A model built by a function instead of a class constructor: a family whose model is composed of other registered
 * models (timm's ViT hybrids: a VisionTransformer whose embed layer wraps a ResNet backbone, both from the registry).
 * `buildModelWithCfg` takes one in place of a class and still resolves the cfg, loads pretrained weights (adapting
 * the classifier / first conv) and wraps for features.
 */
export interface ModelFactory<M extends VisionModel = VisionModel> {
  /** Named in errors, as a class's name is. */
  readonly name: string;
  /** The options it accepts (undefined: any). */
  readonly argNames?: readonly string[];
  /** Builds the model from the resolved kwargs (cfg defaults filled in, builder options removed). */
  construct(kwargs: Record<string, unknown>): Promise<M>;
}

const isFactory = <M extends VisionModel>(c: ModelClass<M> | ModelFactory<M>): c is ModelFactory<M> =>
  typeof (c as ModelFactory<M>).construct === 'function';

export interface BuildOptions {
  /** Feature extraction defaults for this family (timm's `feature_cfg`). */
  featureCfg?: FeatureCfg;
  /** Adapts a checkpoint to the model before loading (timm's `pretrained_filter_fn`). */
  pretrainedFilterFn?: (sd: StateDict, model: VisionModel) => StateDict;
  /** Load pretrained weights strictly (default true). */
  pretrainedStrict?: boolean;
  /** Kwargs removed before the model is constructed (timm's `kwargs_filter`). */
  kwargsFilter?: string[];
  /** timm's pruned-model definition text (`_pruned/<variant>.txt`), used when `pruned: true`. */
  prunedDefinition?: string;
}

/** Options handled by the builder itself; everything else goes to the model constructor. */
const BUILDER_KEYS = new Set([
  'pretrained', 'pretrainedCfg', 'pretrainedCfgOverlay', 'featuresOnly', 'outIndices', 'featureCls', 'pruned',
  'cacheDir', 'onProgress', 'onRetry', 'checkpointPath',
]);

/** timm's `resolve_pretrained_cfg`: explicit cfg > tag > the architecture's default, then the overlay. */
export function resolvePretrainedCfg(variant: string, pretrainedCfg?: string | PretrainedCfg, overlay?: Partial<PretrainedCfg>): PretrainedCfg {
  let cfg: PretrainedCfg | undefined;
  let modelWithTag = variant;
  if (pretrainedCfg && typeof pretrainedCfg === 'object') cfg = { ...pretrainedCfg };
  else if (typeof pretrainedCfg === 'string' && pretrainedCfg) modelWithTag = `${variant}.${pretrainedCfg}`;
  cfg ??= getPretrainedCfg(modelWithTag);
  if (!cfg) {
    console.warn(`No pretrained configuration registered for ${modelWithTag}; using a default.`);
    cfg = fromTimmDict({});
    Object.assign(cfg, { inputSize: [3, 224, 224], interpolation: 'bicubic', cropPct: 0.875, cropMode: 'center', mean: [0.485, 0.456, 0.406], std: [0.229, 0.224, 0.225], numClasses: 1000 });
  }
  const ov: Record<string, unknown> = { ...(overlay ?? {}) };
  if (!cfg.architecture && ov.architecture === undefined) ov.architecture = variant;
  for (const [k, v] of Object.entries(ov)) if (v !== undefined) (cfg as Record<string, unknown>)[k] = v;
  return cfg;
}

/** timm's `_update_default_model_kwargs`: numClasses, globalPool, inChans (and imgSize for fixed sizes) from the cfg. */
function updateDefaultKwargs(cfg: PretrainedCfg, kwargs: Record<string, unknown>): void {
  const setDefault = (k: string, v: unknown) => {
    if (kwargs[k] === undefined && v !== undefined && v !== null) kwargs[k] = v;
  };
  if (cfg.numClasses !== undefined && cfg.numClasses !== null && cfg.numClasses >= 0) setDefault('numClasses', cfg.numClasses);
  setDefault('globalPool', cfg.globalPool);
  if (cfg.inputSize) setDefault('inChans', cfg.inputSize[0]);
  if (cfg.fixedInputSize && cfg.inputSize) setDefault('imgSize', [cfg.inputSize[1], cfg.inputSize[2]]);
}

/** Errors for options the model does not take, naming the option and what it does take. */
function checkKwargs(cls: ModelClass | ModelFactory, variant: string, kwargs: Record<string, unknown>): void {
  const accepted = cls.argNames;
  if (!accepted) return;
  const bad = Object.keys(kwargs).filter((k) => !accepted.includes(k));
  if (bad.length) {
    throw new TypeError(
      `${variant} (${cls.name}) does not take option${bad.length > 1 ? 's' : ''} ${bad.map((b) => `'${b}'`).join(', ')}. ` +
        `It takes: ${[...accepted].sort().join(', ')}, plus ${[...BUILDER_KEYS].join(', ')}.`,
    );
  }
}

/**
 * timm's `build_model_with_cfg`: resolves the cfg, fills kwargs defaults from it, builds the model, adapts pruned
 * variants, loads pretrained weights into the base model (adapting classifier / first conv), and wraps it for
 * features. Returns a FeatureModel when `featuresOnly` is set. `cls` is a model class or a {@link ModelFactory}.
 */
export async function buildModelWithCfg<M extends VisionModel>(
  cls: ModelClass<M> | ModelFactory<M>,
  variant: string,
  options: CreateModelOptions & Record<string, unknown>,
  build: BuildOptions = {},
): Promise<M | FeatureModel> {
  const kwargs: Record<string, unknown> = {};
  for (const [k, v] of Object.entries(options)) if (v !== undefined && !BUILDER_KEYS.has(k)) kwargs[k] = v;
  const cfg = resolvePretrainedCfg(variant, options.pretrainedCfg, options.pretrainedCfgOverlay);
  updateDefaultKwargs(cfg, kwargs);
  for (const k of build.kwargsFilter ?? []) delete kwargs[k];
  checkKwargs(cls, variant, kwargs);
  checkOptionValues(variant, { ...kwargs, featuresOnly: options.featuresOnly, pretrained: options.pretrained, outIndices: options.outIndices });

  const features = options.featuresOnly ?? false;
  const featureCfg: FeatureCfg = { outIndices: [0, 1, 2, 3, 4], ...(build.featureCfg ?? {}) };
  if (options.outIndices !== undefined) featureCfg.outIndices = options.outIndices;
  if (options.featureCls !== undefined) featureCfg.featureCls = options.featureCls;

  const model = isFactory(cls) ? await cls.construct(kwargs) : new cls(kwargs);
  model.pretrainedCfg = cfg;
  model.modelName = variant;
  try {
    if (options.pruned) {
      if (!build.prunedDefinition) throw new Error(`${variant}: no pruned definition is registered`);
      adaptModelFromString(model, build.prunedDefinition);
    }
    if (options.pretrained) {
      await loadPretrained(model, cfg, {
        numClasses: features ? 0 : model.numClasses,
        inChans: (kwargs.inChans as number | undefined) ?? 3,
        filterFn: build.pretrainedFilterFn,
        strict: build.pretrainedStrict ?? true,
        cacheDir: options.cacheDir,
        onProgress: options.onProgress,
        onRetry: options.onRetry,
      });
    }
    if (features) {
      const fm = createFeatureModel(model, featureCfg);
      fm.pretrainedCfg = cfgForFeatures(cfg);
      return fm;
    }
  } catch (e) {
    model.dispose();
    throw e;
  }
  return model;
}

/** timm's `pretrained_cfg_for_features`: the cfg without classifier-related fields. */
export function cfgForFeatures(cfg: PretrainedCfg): PretrainedCfg {
  const out = { ...cfg };
  delete out.numClasses;
  delete out.classifier;
  delete out.globalPool;
  return out;
}

/** Loads a checkpoint strictly into a built model (timm's `load_checkpoint`, used for `checkpointPath`). */
export async function loadCheckpoint(
  model: { loadStateDict(sd: StateDict, o?: { strict?: boolean }): unknown; loadStateDictStream?(s: StateDictStream, o?: { strict?: boolean }): Promise<unknown> },
  src: CheckpointSource,
  strict = true,
): Promise<void> {
  // A local safetensors file streams in: each entry is converted while the next chunk is read.
  const path = typeof src === 'string' && isNode ? localCheckpointPath(src) : null;
  if (path !== null && model.loadStateDictStream) {
    const { openSafetensorsStream } = await import('../weights/stream.js');
    const stream = await openSafetensorsStream(path);
    if (stream) {
      await model.loadStateDictStream(stream, { strict });
      return;
    }
  }
  const sd = await loadCheckpointSource(src);
  model.loadStateDict(sd, { strict });
}

