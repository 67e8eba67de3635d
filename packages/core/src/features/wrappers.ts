import * as tf from '@tensorflow/tfjs-core';
import type { PretrainedCfg } from '../config/pretrained.js';
import { NotImplementedError } from '../errors.js';
import { checkInput, type VisionModel, type WarmupOptions, warmupForward } from '../model.js';
import { modelSteps } from '../model-steps.js';
import { installHook, Module, Sequential } from '../module.js';
import { FeatureInfo, type OutIndices } from './feature-info.js';

/** Output of a features model: a list (timm's FeatureListNet) or a dict keyed as timm keys it. */
export type FeatureOutput = tf.Tensor[] | Record<string, tf.Tensor>;

export type FeatureCls = 'list' | 'dict' | 'hook' | 'getter';

export interface FeatureCfg {
  featureCls?: FeatureCls;
  outIndices?: OutIndices;
  /** Flatten the model's first-level Sequential children into this wrapper (timm's `flatten_sequential`). */
  flattenSequential?: boolean;
  /** Names for dict outputs, one per out index (timm's `out_map`). */
  outMap?: (string | number)[];
  /** Hook wrappers: return a dict keyed by module name. */
  returnDict?: boolean;
  /** Hook wrappers: keep the model whole instead of re-writing it (default: not `flattenSequential`). */
  noRewrite?: boolean;
  /** Getter wrappers: apply the model's final norm to every level. */
  norm?: boolean;
  /** Hook wrappers: 'forward' (module output) or 'forward_pre' (module input) when feature_info does not say. */
  defaultHookType?: 'forward' | 'forward_pre';
}

/**
 * A model built with `featuresOnly`: maps in, NHWC feature maps out: a list (`featureCls` 'list', 'hook', 'getter',
 * the default) or a dict keyed as timm keys it ('dict'). `createModel` types `O` from the options.
 */
export abstract class FeatureModel<O extends FeatureOutput = FeatureOutput> extends Module<O> {
  abstract readonly featureInfo: FeatureInfo;
  pretrainedCfg: PretrainedCfg = {};
  modelName = '';
  constructor(readonly inChans: number) {
    super();
  }
  protected abstract collect(x: tf.Tensor): FeatureOutput;
  /** Feature maps for an NHWC batch, every one NHWC. No tensor but the outputs is left behind. */
  /** One forward on zeros at the cfg's input size, so the first real call is not the slow one (see VisionModel.warmup). */
  warmup(options: WarmupOptions = {}): Promise<number> {
    return warmupForward(this, this.inChans, this.pretrainedCfg, options);
  }

  override forward(x: tf.Tensor): O {
    checkInput(x, this.inChans, this.modelName || this.constructor.name);
    return tf.tidy(() => this.collect(x) as tf.TensorContainer) as O;
  }
}

/** timm's `_module_list`: the model's children, with Sequential children flattened one level when asked. */
export function moduleList(model: Module, flattenSequential: boolean): [string, string, Module][] {
  const out: [string, string, Module][] = [];
  for (const [name, m] of model.namedChildren()) {
    if (flattenSequential && m instanceof Sequential) {
      for (const [cn, cm] of m.namedChildren()) out.push([`${name}_${cn}`, `${name}.${cn}`, cm]);
    } else out.push([name, name, m]);
  }
  return out;
}

/**
 * timm's FeatureDictNet / FeatureListNet: the model's modules re-run in registration order up to the last
 * feature level, collecting the outputs of the feature modules. Dict keys are the out indices (or `outMap`).
 */
export class FeatureListNet extends FeatureModel {
  readonly featureInfo: FeatureInfo;
  private readonly returnLayers = new Map<string, string>();
  private readonly layers: [string, Module][] = [];
  constructor(model: VisionModel, cfg: FeatureCfg & { asDict?: boolean } = {}) {
    super(model.inChans);
    this.asDict = cfg.asDict ?? false;
    this.featureInfo = new FeatureInfo(model.featureInfo, cfg.outIndices ?? [0, 1, 2, 3, 4]);
    const names = this.featureInfo.moduleName();
    const wanted = new Map<string, string>();
    names.forEach((n, i) => {
      wanted.set(n, String(cfg.outMap?.[i] ?? this.featureInfo.outIndices[i]));
    });
    for (const [newName, oldName, m] of moduleList(model, cfg.flattenSequential ?? false)) {
      if (!wanted.size) break;
      this.layers.push([newName, m]);
      this.addModule(newName, m);
      const key = wanted.get(oldName);
      if (key !== undefined) {
        this.returnLayers.set(newName, key);
        wanted.delete(oldName);
      }
    }
    if (wanted.size) {
      throw new Error(`feature module(s) ${[...wanted.keys()].join(', ')} are not direct children of ${model.constructor.name}; use featureCls 'hook'`);
    }
    disposeUntaken(model, this);
  }
  readonly asDict: boolean;
  protected collect(x: tf.Tensor): FeatureOutput {
    const out: Record<string, tf.Tensor> = {};
    const list: tf.Tensor[] = [];
    let lastKey: string | undefined;
    for (const [name, m] of this.layers) {
      x = m.forward(x);
      const key = this.returnLayers.get(name);
      if (key !== undefined) {
        out[key] = x;
        list.push(x);
      } else if (lastKey !== undefined && isInplace(m)) {
        // An in-place PyTorch activation right after a returned layer rewrites the map timm already holds.
        out[lastKey] = x;
        list[list.length - 1] = x;
        continue;
      }
      lastKey = key;
    }
    return this.asDict ? out : list;
  }
}

/**
 * A module that stands for a PyTorch in-place op (`nn.SiLU(inplace=True)`): it declares `inplace: true`. In timm's
 * FeatureListNet such a module right after a returned layer modifies the returned tensor itself, so the map timm
 * returns is the activated one (NFNet's deep stems return `stem.conv3` after `act4`); {@link FeatureListNet} does the same.
 */
export function isInplace(m: Module): boolean {
  return (m as Module & { inplace?: unknown }).inplace === true;
}

/** Frees the model's parameters that a rewritten wrapper did not take (the head, later stages). */
function disposeUntaken(model: Module, wrapper: Module<unknown>): void {
  const kept = new Set(wrapper.namedModules().map(([, m]) => m));
  for (const [, m] of model.namedModules()) {
    if (kept.has(m)) continue;
    for (const [name, p] of m.namedParams()) if (!name.includes('.')) p.dispose();
  }
}

type HookSpec = { module: string; hookType: 'forward' | 'forward_pre' };

/**
 * timm's FeatureHookNet: an ordinary forward of the model (or of its re-written module list) while hooks on the
 * feature modules capture their outputs (or inputs, for `forward_pre`). Works for any module called through its
 * `forward` method, however deep.
 */
export class FeatureHookNet extends FeatureModel {
  readonly featureInfo: FeatureInfo;
  private readonly layers: [string, Module][] = [];
  private readonly hooks: HookSpec[] = [];
  private readonly returnDict: boolean;
  private readonly ids: string[];
  private captured: Map<string, tf.Tensor> | null = null;
  constructor(model: VisionModel, cfg: FeatureCfg = {}) {
    super(model.inChans);
    this.featureInfo = new FeatureInfo(model.featureInfo, cfg.outIndices ?? [0, 1, 2, 3, 4]);
    this.returnDict = cfg.returnDict ?? false;
    const flatten = cfg.flattenSequential ?? false;
    const noRewrite = cfg.noRewrite ?? !flatten;
    const defaultType = cfg.defaultHookType ?? 'forward';
    const dicts = this.featureInfo.getDicts();
    if (noRewrite) {
      model.resetClassifier(0);
      this.layers.push(['body', model]);
      this.addModule('body', model);
      for (const f of dicts) this.hooks.push({ module: f.module, hookType: f.hookType ?? defaultType });
    } else {
      const remaining = new Map(dicts.map((f) => [f.module, f.hookType ?? defaultType] as const));
      for (const [newName, oldName, m] of moduleList(model, flatten)) {
        this.layers.push([newName, m]);
        this.addModule(newName, m);
        for (const [fn] of m.namedModules(oldName)) {
          const t = remaining.get(fn);
          if (t) {
            this.hooks.push({ module: fn, hookType: t });
            remaining.delete(fn);
          }
        }
        if (!remaining.size) break;
      }
      if (remaining.size) throw new Error(`feature module(s) ${[...remaining.keys()].join(', ')} are not present in the model`);
      disposeUntaken(model, this);
    }
    this.ids = this.hooks.map((h, i) => String(cfg.outMap?.[i] ?? h.module));
    const modules = new Map(model.namedModules());
    this.hooks.forEach((h, i) => {
      const m = modules.get(h.module);
      if (!m) throw new Error(`feature module '${h.module}' is not present in the model`);
      installHook(m, h.hookType, (t) => this.captured?.set(this.ids[i]!, t));
    });
    this.model = model;
  }
  private readonly model: VisionModel;
  protected collect(x: tf.Tensor): FeatureOutput {
    this.captured = new Map();
    try {
      for (const [, m] of this.layers) x = m === this.model ? this.runBody(x) : m.forward(x);
      const out = this.captured;
      if (this.returnDict) return Object.fromEntries(out);
      return [...out.values()];
    } finally {
      this.captured = null;
    }
  }
  private runBody(x: tf.Tensor): tf.Tensor {
    // The whole model, as timm calls it (its classifier was reset to 0, so this ends in pooled features).
    const steps = modelSteps();
    return steps.head(this.model, steps.features(this.model, x), false);
  }
}

/**
 * timm's FeatureGetterNet: features from the model's own `forwardIntermediates` (ViT-style models), pruning the
 * layers after the last level taken.
 */
export class FeatureGetterNet extends FeatureModel {
  readonly featureInfo: FeatureInfo;
  private readonly outIdx: OutIndices;
  private readonly norm: boolean;
  private readonly returnDict: boolean;
  private readonly model: VisionModel;
  constructor(model: VisionModel, cfg: FeatureCfg & { prune?: boolean } = {}) {
    super(model.inChans);
    let outIndices: OutIndices = cfg.outIndices ?? 4;
    this.norm = cfg.norm ?? false;
    if (cfg.prune ?? true) {
      try {
        outIndices = model.pruneIntermediateLayers(outIndices, !this.norm);
      } catch (e) {
        if (!(e instanceof NotImplementedError)) throw e;
      }
    }
    this.featureInfo = new FeatureInfo(model.featureInfo, outIndices);
    this.outIdx = outIndices;
    this.returnDict = cfg.returnDict ?? false;
    this.model = this.addModule('model', model);
  }
  protected collect(x: tf.Tensor): FeatureOutput {
    const { intermediates } = modelSteps().intermediates(this.model, x, { indices: this.outIdx, norm: this.norm, intermediatesOnly: true, outputFmt: 'NHWC' });
    if (this.returnDict) return Object.fromEntries(intermediates.map((t, i) => [String(this.featureInfo.outIndices[i]), t]));
    return intermediates;
  }
}

/** Builds the features wrapper timm's `build_model_with_cfg` would for `featureCls`. */
export function createFeatureModel(model: VisionModel, cfg: FeatureCfg): FeatureModel {
  const cls = (cfg.featureCls ?? 'list').toLowerCase();
  let fm: FeatureModel;
  if (cls.includes('hook')) fm = new FeatureHookNet(model, cfg);
  else if (cls === 'list') fm = new FeatureListNet(model, cfg);
  else if (cls === 'dict') fm = new FeatureListNet(model, { ...cfg, asDict: true });
  else if (cls === 'getter') fm = new FeatureGetterNet(model, cfg);
  else throw new Error(`Unknown featureCls '${cfg.featureCls}'. Use 'list', 'dict', 'hook' or 'getter'.`);
  fm.modelName = model.modelName;
  return fm;
}
