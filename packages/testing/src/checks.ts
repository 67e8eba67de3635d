/**
 * The conformance checks, free of any test framework: each check throws a `ConformanceError` naming what differs.
 * `@zoo/testing` wraps them in vitest; `runModelConformance` runs them all for one model and reports.
 */
import * as tf from '@tensorflow/tfjs-core';
import {
  type BackendName, type CreateModelOptions, createModel, ensureBackend, type FeatureModel, fnmatch, getPretrainedCfg, listModels,
  modelEntrypoint, NotImplementedError, type PretrainedCfg, type StateDict, setBackend, type VisionModel,
} from '@zoo/core';

/** The checks, in the order they run. */
export const CHECKS = [
  'forward', 'forwardFeatures', 'forwardIntermediates', 'cfg', 'featuresOnly', 'pretrainedAdapt', 'classifier', 'dispose',
] as const;
export type CheckName = (typeof CHECKS)[number];

export interface ConformanceOptions {
  /** Square input size for the checks. Default: the smallest multiple of the model's largest reduction that is ≥ 2× it and ≥ the cfg's `minInputSize` (64 for a stride-32 CNN); the cfg size for fixed-size models. */
  imgSize?: number;
  /** Default batch (1) and a non-default one (2). */
  batchSize?: number;
  altBatchSize?: number;
  /** Skip architectures with more parameters than this. Default: `ZOO_CONFORMANCE_MAX_PARAMS` or 150e6. */
  maxParams?: number;
  /** fnmatch patterns of architectures to leave out, or a map pattern → reason. */
  exclude?: string[] | Record<string, string>;
  /** Run only these checks. */
  checks?: CheckName[];
  /** Checks to leave out, per fnmatch pattern of names (e.g. `{ 'vit_*': ['classifier'] }`), with the reason printed. */
  skipChecks?: Record<string, CheckName[]>;
  /** Apply timm's own test exclusions (`TIMM_SKIP_CHECKS`; on by default). */
  timmExclusions?: boolean;
  /** Architectures that pool inside the trunk (timm's EARLY_POOL_MODELS): no unpooled-output checks. */
  earlyPool?: string[];
  /** Extra kwargs for every createModel call. */
  createOptions?: CreateModelOptions;
  /** Backend to run on (default 'wasm'; 'cpu' needs @tensorflow/tfjs-backend-cpu). */
  backend?: BackendName;
  /** Absolute tolerance for "equal" tensors (forwardIntermediates final vs forwardFeatures, reloaded weights). */
  atol?: number;
  /**
   * forwardFeatures' spatial size at an input size, for trunks whose unpadded convs and pools do not give
   * `ceil(size / reduction)` (Inception-v3: 8 at 299). Checked at the checks' input and at the cfg's (its pool_size).
   */
  featureSize?: (imgSize: number) => number;
}

export class ConformanceError extends Error {
  override name = 'ConformanceError';
  constructor(readonly model: string, readonly check: CheckName | 'select', message: string) {
    super(`${model} [${check}]: ${message}`);
  }
}

export interface Selection {
  /** Architectures that will be checked. */
  names: string[];
  /** Architectures left out, with why. */
  skipped: { name: string; reason: string }[];
}

/** Default parameter cap: `ZOO_CONFORMANCE_MAX_PARAMS` (a number, e.g. `3e7`, or `Infinity`) or 150M. */
export function defaultMaxParams(): number {
  const env = typeof process !== 'undefined' ? process.env.ZOO_CONFORMANCE_MAX_PARAMS : undefined;
  const n = env ? Number(env) : Number.NaN;
  return Number.isNaN(n) ? 150e6 : n;
}

/** What a caller names: explicit names, an fnmatch filter, a predicate, or listModels options. */
export type ModelSelector = string | string[] | ((name: string) => boolean) | { filter?: string | string[]; module?: string | string[] };

function matchesAny(name: string, patterns: string[]): string | undefined {
  return patterns.find((p) => fnmatch(name, p));
}

/**
 * Resolves a selector to registered architectures and leaves out those excluded or above the parameter cap
 * (counted from the built model's parameter shapes: parameters are created lazily, so building costs no weights).
 */
export async function selectModels(selector: ModelSelector, options: ConformanceOptions = {}): Promise<Selection> {
  let names: string[];
  if (Array.isArray(selector)) names = [...selector];
  else if (typeof selector === 'function') names = listModels().filter(selector);
  else if (typeof selector === 'string') names = listModels(selector);
  else names = listModels({ filter: selector.filter, module: selector.module });
  // Building a model may touch the backend (e.g. a pool validating its type), so have one.
  if (options.backend) await setBackend(options.backend);
  else await ensureBackend();
  if (!names.length) throw new ConformanceError(String(selector), 'select', 'no registered architecture matches; import the package that registers them');
  const maxParams = options.maxParams ?? defaultMaxParams();
  const exclude = options.exclude ?? [];
  const excl: Record<string, string> = Array.isArray(exclude) ? Object.fromEntries(exclude.map((p) => [p, 'excluded'])) : exclude;
  const out: Selection = { names: [], skipped: [] };
  for (const name of names) {
    const hit = matchesAny(name, Object.keys(excl));
    if (hit) {
      out.skipped.push({ name, reason: `${excl[hit]} (pattern '${hit}')` });
      continue;
    }
    if (Number.isFinite(maxParams)) {
      const n = await countParams(name, options.createOptions);
      if (n > maxParams) {
        out.skipped.push({ name, reason: `${formatCount(n)} parameters > cap ${formatCount(maxParams)} (raise ZOO_CONFORMANCE_MAX_PARAMS to include it)` });
        continue;
      }
    }
    out.names.push(name);
  }
  return out;
}

/** Learnable parameters of an architecture, from a built (never initialised) model. */
export async function countParams(name: string, createOptions: CreateModelOptions = {}): Promise<number> {
  const m = (await modelEntrypoint(name)({ ...createOptions })) as VisionModel;
  const n = m.numParams();
  m.dispose();
  return n;
}

export function formatCount(n: number): string {
  return n >= 1e6 ? `${(n / 1e6).toFixed(1)}M` : n >= 1e3 ? `${(n / 1e3).toFixed(1)}K` : String(n);
}

/** Everything the checks of one architecture share. Built by `prepareModel`, freed by `dispose`. */
export interface ModelContext {
  name: string;
  model: VisionModel;
  cfg: PretrainedCfg;
  imgSize: number;
  batch: number;
  altBatch: number;
  inChans: number;
  /** Largest feature reduction (output stride of forwardFeatures). */
  reduction: number;
  /** Rank of forwardFeatures' output: 4 for NHWC maps, 3 for tokens. */
  featRank: number;
  /** Expected [h, w] of forwardFeatures at imgSize. */
  featSize: [number, number] | null;
  /** The model's own weights, captured before any check changed it. */
  stateDict: StateDict;
  options: ConformanceOptions;
  /** Live tensors before the model was built (the `dispose` check returns to this). */
  tensorsAtStart: number;
  x: tf.Tensor;
  xAlt: tf.Tensor;
  dispose(): void;
}

const fail = (c: ModelContext, check: CheckName, msg: string): never => {
  throw new ConformanceError(c.name, check, msg);
};

function expectEq(c: ModelContext, check: CheckName, what: string, got: unknown, want: unknown): void {
  if (JSON.stringify(got) !== JSON.stringify(want)) fail(c, check, `${what}: got ${JSON.stringify(got)}, expected ${JSON.stringify(want)}`);
}

function expectFinite(c: ModelContext, check: CheckName, what: string, t: tf.Tensor): void {
  const bad = tf.tidy(() => tf.any(tf.logicalNot(tf.isFinite(t))).dataSync()[0]);
  if (bad) fail(c, check, `${what} has NaN or Inf values`);
}

function maxAbsDiff(a: tf.Tensor, b: tf.Tensor): number {
  return tf.tidy(() => tf.max(tf.abs(tf.sub(a, b))).dataSync()[0]!);
}

function countTensors(r: unknown): number {
  if (r instanceof tf.Tensor) return 1;
  if (Array.isArray(r)) return r.reduce((n: number, v) => n + countTensors(v), 0);
  if (r && typeof r === 'object') return Object.values(r).reduce((n: number, v) => n + countTensors(v), 0);
  return 0;
}

/** Runs `fn` and fails when it leaves tensors behind beyond those it returns. */
function noLeak<T>(c: ModelContext, check: CheckName, what: string, fn: () => T): T {
  const before = tf.memory().numTensors;
  const r = fn();
  const leaked = tf.memory().numTensors - before - countTensors(r);
  if (leaked !== 0) {
    tf.dispose(r as tf.TensorContainer);
    fail(c, check, `${what} leaked ${leaked} tensor(s)`);
  }
  return r;
}

/** Default square input size for a model: see `ConformanceOptions.imgSize`. */
export function defaultImgSize(cfg: PretrainedCfg, reduction: number): number {
  if (cfg.fixedInputSize && cfg.inputSize) return cfg.inputSize[1];
  const min = Math.max(cfg.minInputSize?.[1] ?? 0, 2 * reduction);
  return Math.ceil(min / reduction) * reduction;
}

/** Builds the model and the inputs for the checks. */
export async function prepareModel(name: string, options: ConformanceOptions = {}): Promise<ModelContext> {
  if (options.backend) await setBackend(options.backend);
  else await ensureBackend();
  const tensorsAtStart = tf.memory().numTensors;
  const model = (await createModel(name, { ...options.createOptions })) as VisionModel;
  const cfg = model.pretrainedCfg;
  const reduction = model.featureInfo.length ? Math.max(...model.featureInfo.map((f) => f.reduction)) : 32;
  const imgSize = options.imgSize ?? defaultImgSize(cfg, reduction);
  const batch = options.batchSize ?? 1;
  const altBatch = options.altBatchSize ?? 2;
  const inChans = model.inChans;
  let featSize: [number, number] | null = null;
  const side = options.featureSize ?? ((size: number) => Math.ceil(size / reduction));
  if (cfg.poolSize && model.featureInfo.length) featSize = [side(imgSize), side(imgSize)];
  const x = tf.randomUniform([batch, imgSize, imgSize, inChans], -1, 1, 'float32', 7);
  const xAlt = tf.randomUniform([altBatch, imgSize, imgSize, inChans], -1, 1, 'float32', 8);
  // Parameters initialise on first use; a first forward also derives any folded weights. Count tensors after it.
  tf.dispose(model.forward(x));
  const feats = model.forwardFeatures(x);
  const featRank = feats.rank;
  feats.dispose();
  const stateDict = model.stateDict();
  const ctx: ModelContext = {
    name, model, cfg, imgSize, batch, altBatch, inChans, reduction, featSize, featRank, stateDict, options, tensorsAtStart, x, xAlt,
    dispose: () => {
      model.dispose();
      x.dispose();
      xAlt.dispose();
    },
  };
  return ctx;
}

/** The width of `forward`'s output: the classes, or with no classifier (numClasses 0) the pre-logits (timm's Identity head). */
const outWidth = (m: VisionModel) => m.numClasses || m.headHiddenSize;

/** Forward with the default and a non-default batch: `[B, numClasses]` (`[B, headHiddenSize]` without a classifier), finite, no leak. */
export function checkForward(c: ModelContext): void {
  const m = c.model;
  if (!(m.numClasses >= 0)) fail(c, 'forward', `numClasses is ${m.numClasses}`);
  if (!(m.numFeatures > 0)) fail(c, 'forward', `numFeatures is ${m.numFeatures}`);
  if (!(m.headHiddenSize > 0)) fail(c, 'forward', `headHiddenSize is ${m.headHiddenSize}`);
  for (const [x, b] of [[c.x, c.batch], [c.xAlt, c.altBatch]] as const) {
    const y = noLeak(c, 'forward', `forward (batch ${b})`, () => m.forward(x));
    try {
      expectEq(c, 'forward', `forward output shape (batch ${b})`, y.shape, [b, outWidth(m)]);
      expectFinite(c, 'forward', `forward output (batch ${b})`, y);
    } finally {
      y.dispose();
    }
  }
}

/** forwardFeatures: NHWC with `numFeatures` channels at the cfg's pool size (scaled to the input); forwardHead widths. */
export function checkForwardFeatures(c: ModelContext): void {
  const m = c.model;
  noLeak(c, 'forwardFeatures', 'forwardFeatures + forwardHead', () => {
    const f = m.forwardFeatures(c.x);
    try {
      if (f.rank === 4) {
        expectEq(c, 'forwardFeatures', 'forwardFeatures channels (numFeatures)', f.shape[3], m.numFeatures);
        if (c.featSize) expectEq(c, 'forwardFeatures', `forwardFeatures spatial size at ${c.imgSize}px (pool_size ${JSON.stringify(c.cfg.poolSize)} at ${c.cfg.inputSize?.[1]}px)`, f.shape.slice(1, 3), c.featSize);
      } else if (f.rank === 3) {
        expectEq(c, 'forwardFeatures', 'forwardFeatures token width (numFeatures)', f.shape[2], m.numFeatures);
      } else fail(c, 'forwardFeatures', `forwardFeatures has rank ${f.rank}`);
      expectFinite(c, 'forwardFeatures', 'forwardFeatures', f);
      const pre = m.forwardHead(f, { preLogits: true });
      const logits = m.forwardHead(f);
      try {
        expectEq(c, 'forwardFeatures', 'forwardHead(preLogits) shape (headHiddenSize)', pre.shape, [c.batch, m.headHiddenSize]);
        expectEq(c, 'forwardFeatures', 'forwardHead shape', logits.shape, [c.batch, outWidth(m)]);
      } finally {
        tf.dispose([pre, logits]);
      }
    } finally {
      f.dispose();
    }
  });
  // The cfg's pool size is what forwardFeatures gives at the cfg's input size.
  const { poolSize, inputSize } = c.cfg;
  if (poolSize && inputSize && c.featSize && !c.cfg.fixedInputSize) {
    const side = c.options.featureSize ?? ((size: number) => Math.ceil(size / c.reduction));
    expectEq(c, 'forwardFeatures', `cfg pool_size vs input_size ${inputSize[1]} / reduction ${c.reduction}`, poolSize, [side(inputSize[1]), side(inputSize[2])]);
  }
}

function hasIntermediates(m: VisionModel, x: tf.Tensor): boolean {
  try {
    tf.dispose(m.forwardIntermediates(x, { indices: 1, intermediatesOnly: true }));
    return true;
  } catch (e) {
    if (e instanceof NotImplementedError) return false;
    throw e;
  }
}

/** forwardIntermediates: one map per featureInfo level with its channels and reduction; final equals forwardFeatures. */
export function checkForwardIntermediates(c: ModelContext): 'not implemented' | undefined {
  const m = c.model;
  if (!hasIntermediates(m, c.x)) return 'not implemented';
  noLeak(c, 'forwardIntermediates', 'forwardIntermediates', () => {
    const { final, intermediates } = m.forwardIntermediates(c.x);
    const feats = m.forwardFeatures(c.x);
    try {
      expectEq(c, 'forwardIntermediates', 'number of intermediates (featureInfo levels)', intermediates.length, m.featureInfo.length);
      intermediates.forEach((t, i) => {
        const fi = m.featureInfo[i]!;
        expectEq(c, 'forwardIntermediates', `intermediate ${i} (${fi.module}) channels`, t.shape[t.rank - 1], fi.numChs);
        if (t.rank === 4) checkSpatial(c, 'forwardIntermediates', `intermediate ${i} (${fi.module})`, t, fi.reduction);
      });
      expectEq(c, 'forwardIntermediates', 'final shape vs forwardFeatures', final.shape, feats.shape);
      const d = maxAbsDiff(final, feats);
      const atol = c.options.atol ?? 1e-4;
      if (!(d <= atol * Math.max(1, tf.tidy(() => tf.max(tf.abs(feats)).dataSync()[0]!)))) fail(c, 'forwardIntermediates', `final differs from forwardFeatures by ${d.toExponential(3)}`);
      const only = m.forwardIntermediates(c.x, { intermediatesOnly: true });
      try {
        expectEq(c, 'forwardIntermediates', 'intermediatesOnly count', only.length, intermediates.length);
        // Every tensor handed back is the caller's, alive and separately owned: read each one.
        for (const [i, t] of only.entries()) readable(c, `intermediatesOnly[${i}]`, t);
      } finally {
        tf.dispose(only);
      }
      // Disposing `final` must leave every intermediate readable (none may be the same tensor object).
      final.dispose();
      for (const [i, t] of intermediates.entries()) readable(c, `intermediate ${i} after final.dispose()`, t);
    } finally {
      tf.dispose([final, ...intermediates, feats]);
    }
  });
  return undefined;
}

/** Reads a returned tensor's data: a disposed (or otherwise unreadable) result fails the check. */
function readable(c: ModelContext, what: string, t: tf.Tensor): void {
  try {
    t.dataSync();
  } catch (e) {
    fail(c, 'forwardIntermediates', `${what} cannot be read (${e instanceof Error ? e.message : String(e)}); returned tensors must be alive and owned by the caller`);
  }
}

/**
 * timm's bound: a level of reduction r at input s is at most ceil(s / r) + 1 wide. There is no lower bound: models
 * with unpadded ('valid') convs, such as legacy_xception's stem, shrink maps below s / r.
 */
function checkSpatial(c: ModelContext, check: CheckName, what: string, t: tf.Tensor, r: number): void {
  for (const [axis, s] of [[1, c.imgSize], [2, c.imgSize]] as const) {
    const got = t.shape[axis]!;
    if (got < 1 || got > Math.ceil(s / r) + 1) fail(c, check, `${what} is ${got} px along axis ${axis} at input ${s}; reduction ${r} allows at most ${Math.ceil(s / r) + 1}`);
  }
}

/**
 * A second model of the same architecture for a check that only needs some weights: loaded (through the pretrained
 * path, adapting the classifier) from the first model's own weights, which is much faster than a random init.
 */
function createFromOwnWeights(c: ModelContext, o: CreateModelOptions): Promise<VisionModel | FeatureModel> {
  return createModel(c.name, { ...c.options.createOptions, ...o, pretrained: true, pretrainedCfgOverlay: { stateDict: c.stateDict } });
}

function isEarlyPool(c: ModelContext): boolean {
  return !!matchesAny(c.name, c.options.earlyPool ?? []);
}

/** numClasses change, resetClassifier(0) (pre-logits width), resetClassifier(0, '') (unpooled map), and the same via createModel kwargs. */
export async function checkClassifier(c: ModelContext): Promise<void> {
  const m = c.model;
  const create = (o: CreateModelOptions) => createFromOwnWeights(c, o) as Promise<VisionModel>;
  // A different class count at creation.
  const m7 = await create({ numClasses: 7 });
  try {
    expectEq(c, 'classifier', 'numClasses with numClasses: 7', m7.numClasses, 7);
    const y = m7.forward(c.x);
    expectEq(c, 'classifier', 'forward shape with numClasses: 7', y.shape, [c.batch, 7]);
    y.dispose();
  } finally {
    m7.dispose();
  }
  const feats = m.forwardFeatures(c.x);
  const pre = m.forwardHead(feats, { preLogits: true });
  const preShape = pre.shape;
  tf.dispose([feats, pre]);
  m.resetClassifier(0);
  expectEq(c, 'classifier', 'numClasses after resetClassifier(0)', m.numClasses, 0);
  tf.dispose(m.forward(c.x));
  noLeak(c, 'classifier', 'forward after resetClassifier(0)', () => {
    const y = m.forward(c.x);
    expectEq(c, 'classifier', 'forward shape after resetClassifier(0) (headHiddenSize)', y.shape, [c.batch, m.headHiddenSize]);
    expectEq(c, 'classifier', 'forward shape after resetClassifier(0) vs forwardHead(preLogits)', y.shape, preShape);
    y.dispose();
  });
  m.resetClassifier(5);
  const y5 = m.forward(c.x);
  expectEq(c, 'classifier', 'forward shape after resetClassifier(5)', y5.shape, [c.batch, 5]);
  y5.dispose();
  if (isEarlyPool(c)) return;
  m.resetClassifier(0, '');
  const y = m.forward(c.x);
  try {
    expectEq(c, 'classifier', "forward rank after resetClassifier(0, '') (as forwardFeatures)", y.rank, c.featRank);
    if (c.featSize) expectEq(c, 'classifier', "unpooled map size after resetClassifier(0, '') (pool_size at this input)", y.shape.slice(1, 3), c.featSize);
  } finally {
    y.dispose();
  }
  if (c.name.includes('pruned')) return;
  const m0 = await create({ numClasses: 0, globalPool: '' });
  try {
    const y0 = m0.forward(c.x);
    expectEq(c, 'classifier', "forward rank with numClasses: 0, globalPool: '' (as forwardFeatures)", y0.rank, c.featRank);
    if (c.featSize) expectEq(c, 'classifier', "unpooled map size with numClasses: 0, globalPool: ''", y0.shape.slice(1, 3), c.featSize);
    y0.dispose();
  } finally {
    m0.dispose();
  }
}

/** The cfg has timm's fields, and first_conv / classifier name real state-dict keys. */
export function checkCfg(c: ModelContext): void {
  const cfg = c.cfg;
  const registered = getPretrainedCfg(c.name);
  if (!registered) fail(c, 'cfg', 'no pretrained cfg is registered for the architecture');
  const need: (keyof PretrainedCfg)[] = ['inputSize', 'interpolation', 'cropPct', 'mean', 'std', 'firstConv', 'numClasses', 'architecture'];
  const missing = need.filter((k) => cfg[k] === undefined || cfg[k] === null);
  if (missing.length) fail(c, 'cfg', `pretrainedCfg lacks ${missing.join(', ')}`);
  if (cfg.inputSize!.length !== 3) fail(c, 'cfg', `inputSize ${JSON.stringify(cfg.inputSize)} is not [C, H, W]`);
  const chans = cfg.inputSize![0];
  expectEq(c, 'cfg', 'mean length vs input channels', (cfg.mean as number[]).length, chans);
  expectEq(c, 'cfg', 'std length vs input channels', (cfg.std as number[]).length, chans);
  const keys = new Set(c.model.namedParams().map(([k]) => k));
  for (const fc of [cfg.firstConv].flat() as string[]) if (!keys.has(`${fc}.weight`)) fail(c, 'cfg', `first_conv '${fc}' is not a layer with a weight (no '${fc}.weight' in stateDict())`);
  if (cfg.numClasses) {
    if (!cfg.classifier) fail(c, 'cfg', 'pretrainedCfg has numClasses but no classifier');
    for (const cl of [cfg.classifier].flat() as string[]) if (!c.stateDict[`${cl}.weight`]) fail(c, 'cfg', `classifier '${cl}' is not a layer with a weight (no '${cl}.weight' in stateDict())`);
  }
}

/** featuresOnly: as many NHWC maps as featureInfo selects, with its channels and reductions; no leak. */
export async function checkFeaturesOnly(c: ModelContext): Promise<void> {
  const fm = (await createFromOwnWeights(c, { featuresOnly: true })) as unknown as FeatureModel;
  try {
    const info = fm.featureInfo;
    const chans = info.channels();
    const reds = info.reduction();
    if (chans.length < 3) fail(c, 'featuresOnly', `only ${chans.length} default feature levels (timm expects at least 3)`);
    // Levels match the model's own featureInfo at the same indices.
    const base = c.model.featureInfo;
    info.outIndices.forEach((oi, i) => {
      const b = base[oi < 0 ? base.length + oi : oi];
      if (b) {
        expectEq(c, 'featuresOnly', `featureInfo[${oi}] channels vs model.featureInfo`, chans[i], b.numChs);
        expectEq(c, 'featuresOnly', `featureInfo[${oi}] reduction vs model.featureInfo`, reds[i], b.reduction);
      }
    });
    tf.dispose(fm.forward(c.x));
    noLeak(c, 'featuresOnly', 'featuresOnly forward', () => {
      const out = fm.forward(c.x) as tf.Tensor[] | Record<string, tf.Tensor>;
      const list = Array.isArray(out) ? out : Object.values(out);
      try {
        expectEq(c, 'featuresOnly', 'number of feature maps', list.length, chans.length);
        list.forEach((t, i) => {
          expectEq(c, 'featuresOnly', `feature ${i} rank`, t.rank, 4);
          expectEq(c, 'featuresOnly', `feature ${i} channels`, t.shape[3], chans[i]);
          checkSpatial(c, 'featuresOnly', `feature ${i}`, t, reds[i]!);
        });
      } finally {
        tf.dispose(list);
      }
    });
  } finally {
    fm.dispose();
  }
}

function sumOverInputChannels(w: { shape: number[]; data: ArrayLike<number | bigint> }): Float32Array {
  const [o, i, kh, kw] = w.shape as [number, number, number, number];
  const out = new Float32Array(o * kh * kw);
  for (let a = 0; a < o; a++) for (let b = 0; b < i; b++) for (let k = 0; k < kh * kw; k++) out[a * kh * kw + k]! += Number(w.data[(a * i + b) * kh * kw + k]);
  return out;
}

/** Pretrained loading from the model's own state dict, adapted to inChans 1 and to numClasses 5 and 0 (timm's test_model_load_pretrained). */
export async function checkPretrainedAdapt(c: ModelContext): Promise<void> {
  const overlay = { stateDict: c.stateDict };
  const firstConv = ([c.cfg.firstConv].flat()[0] as string | undefined) ?? '';
  const atol = c.options.atol ?? 1e-4;
  const weightOf = (m: VisionModel, key: string) => m.getSubmodule(key).getParam('weight')!.toTorch();
  // in_chans = 1: the first conv's weights are summed over the input channels (timm keeps 3 for pruned models).
  const pruned = (c.options.timmExclusions ?? true) && c.name.includes('pruned');
  const m1 = pruned ? null : ((await createModel(c.name, { ...c.options.createOptions, pretrained: true, inChans: 1, pretrainedCfgOverlay: overlay })) as VisionModel);
  if (m1) try {
    expectEq(c, 'pretrainedAdapt', 'inChans with inChans: 1', m1.inChans, 1);
    const x1 = tf.randomUniform([c.batch, c.imgSize, c.imgSize, 1], -1, 1, 'float32', 9);
    const y = m1.forward(x1);
    x1.dispose();
    expectEq(c, 'pretrainedAdapt', 'forward shape with inChans: 1', y.shape, [c.batch, outWidth(m1)]);
    expectFinite(c, 'pretrainedAdapt', 'forward with inChans: 1', y);
    y.dispose();
    if (firstConv && c.stateDict[`${firstConv}.weight`]?.shape.length === 4) {
      const want = sumOverInputChannels(c.stateDict[`${firstConv}.weight`]!);
      const got = weightOf(m1, firstConv);
      expectEq(c, 'pretrainedAdapt', `${firstConv}.weight shape with inChans: 1`, got.shape[1], 1);
      let d = 0;
      want.forEach((v, i) => {
        d = Math.max(d, Math.abs(v - Number(got.data[i])));
      });
      if (d > atol) fail(c, 'pretrainedAdapt', `${firstConv}.weight with inChans: 1 is not the sum over input channels (max diff ${d.toExponential(3)})`);
    }
  } finally {
    m1.dispose();
  }
  // num_classes = 5: the classifier is dropped and re-initialised; every other weight is the checkpoint's.
  const m5 = (await createModel(c.name, { ...c.options.createOptions, pretrained: true, numClasses: 5, pretrainedCfgOverlay: overlay })) as VisionModel;
  try {
    const y = m5.forward(c.x);
    expectEq(c, 'pretrainedAdapt', 'forward shape with numClasses: 5', y.shape, [c.batch, 5]);
    expectFinite(c, 'pretrainedAdapt', 'forward with numClasses: 5', y);
    y.dispose();
    const cls = [c.cfg.classifier].flat()[0] as string | undefined;
    if (cls) expectEq(c, 'pretrainedAdapt', `${cls}.weight rows with numClasses: 5`, weightOf(m5, cls).shape[0], 5);
    if (firstConv) {
      const a = weightOf(m5, firstConv).data;
      const b = c.stateDict[`${firstConv}.weight`]!.data;
      for (let i = 0; i < a.length; i++) if (Number(a[i]) !== Number(b[i])) fail(c, 'pretrainedAdapt', `${firstConv}.weight was not loaded from the checkpoint with numClasses: 5`);
    }
  } finally {
    m5.dispose();
  }
  // num_classes = 0: the classifier is dropped; the output is the pre-logits features.
  const m0 = (await createModel(c.name, { ...c.options.createOptions, pretrained: true, numClasses: 0, pretrainedCfgOverlay: overlay })) as VisionModel;
  try {
    const y = m0.forward(c.x);
    try {
      expectEq(c, 'pretrainedAdapt', 'forward rank with numClasses: 0', y.rank, 2);
      // timm's test only builds pruned models here (their widths come from the pruned definition's classifier).
      if (!pruned) expectEq(c, 'pretrainedAdapt', 'forward width with numClasses: 0 (headHiddenSize)', y.shape[1], m0.headHiddenSize);
      expectFinite(c, 'pretrainedAdapt', 'forward with numClasses: 0', y);
    } finally {
      y.dispose();
    }
  } finally {
    m0.dispose();
  }
}

/** Disposing the model (and everything the checks built) frees every tensor it held: none is left behind. */
/**
 * A model with stochastic depth or dropout, on input `x`: two eval-mode forwards are equal, a train-mode forward
 * differs from them, and the model is left in eval mode. Throws a {@link ConformanceError} naming what differs.
 */
export function checkTrainModeStochastic(model: VisionModel, x: tf.Tensor, name: string = model.modelName || model.constructor.name): void {
  const maxDiff = (a: tf.Tensor, b: tf.Tensor) => tf.tidy(() => tf.max(tf.abs(tf.sub(a, b))).dataSync()[0]!);
  const a = model.forward(x) as tf.Tensor;
  const b = model.forward(x) as tf.Tensor;
  let c: tf.Tensor | null = null;
  try {
    if (maxDiff(a, b) !== 0) throw new ConformanceError(name, 'forward', 'two eval-mode forwards differ');
    model.train();
    c = model.forward(x) as tf.Tensor;
    if (!(maxDiff(a, c) > 0)) throw new ConformanceError(name, 'forward', 'a train-mode forward equals the eval-mode one (nothing stochastic ran)');
  } finally {
    model.eval();
    tf.dispose([a, b, ...(c ? [c] : [])]);
  }
}

export function checkDispose(c: ModelContext): void {
  c.dispose();
  c.dispose = () => {};
  const left = tf.memory().numTensors - c.tensorsAtStart;
  if (left !== 0) fail(c, 'dispose', `${left} tensor(s) still live after model.dispose() (leaked by building, loading or running the model)`);
}

/** One check by name. Returns a note when the check does not apply to the model. */
export async function runCheck(c: ModelContext, check: CheckName): Promise<string | undefined> {
  switch (check) {
    case 'forward':
      await checkForward(c);
      return undefined;
    case 'forwardFeatures':
      await checkForwardFeatures(c);
      return undefined;
    case 'forwardIntermediates':
      return checkForwardIntermediates(c);
    case 'classifier':
      await checkClassifier(c);
      return undefined;
    case 'dispose':
      checkDispose(c);
      return undefined;
    case 'cfg':
      await checkCfg(c);
      return undefined;
    case 'featuresOnly':
      await checkFeaturesOnly(c);
      return undefined;
    case 'pretrainedAdapt':
      await checkPretrainedAdapt(c);
      return undefined;
  }
}

/**
 * What timm's own tests leave out: pruned models in the feature tests (`EXCLUDE_FEAT_FILTERS`: pruning does not
 * adapt feature_info). Pruned models also keep in_chans 3 in the pretrained-adapt check, as timm's test does.
 */
export const TIMM_SKIP_CHECKS: Record<string, { checks: CheckName[]; reason: string }> = {
  '*pruned*': { checks: ['featuresOnly', 'forwardIntermediates'], reason: "timm's tests exclude *pruned* from feature tests (pruning does not adapt feature_info)" },
};

/** The checks to run for `name` under `options`, and those skipped with why. */
export function checksFor(name: string, options: ConformanceOptions = {}): { run: CheckName[]; skipped: { check: CheckName; reason: string }[] } {
  const wanted = options.checks ?? [...CHECKS];
  const skipped: { check: CheckName; reason: string }[] = [];
  const skip = new Map<CheckName, string>();
  for (const [pattern, checks] of Object.entries(options.skipChecks ?? {})) {
    if (fnmatch(name, pattern)) for (const ch of checks) skip.set(ch, `skipChecks '${pattern}'`);
  }
  if (options.timmExclusions ?? true) {
    for (const [pattern, { checks, reason }] of Object.entries(TIMM_SKIP_CHECKS)) {
      if (fnmatch(name, pattern)) for (const ch of checks) if (!skip.has(ch)) skip.set(ch, reason);
    }
  }
  const run = wanted.filter((ch) => {
    const why = skip.get(ch);
    if (why) skipped.push({ check: ch, reason: why });
    return !why;
  });
  // `classifier` resets the head, so it runs after the checks that use the model as built.
  return { run: CHECKS.filter((ch) => run.includes(ch)), skipped };
}

export interface ConformanceResult {
  name: string;
  passed: CheckName[];
  failed: { check: CheckName; message: string }[];
  notes: string[];
}

/** Runs every check for one architecture without a test framework; never throws for a failed check. */
export async function runModelConformance(name: string, options: ConformanceOptions = {}): Promise<ConformanceResult> {
  const res: ConformanceResult = { name, passed: [], failed: [], notes: [] };
  const { run, skipped } = checksFor(name, options);
  for (const s of skipped) res.notes.push(`${s.check} skipped: ${s.reason}`);
  let c: ModelContext;
  try {
    c = await prepareModel(name, options);
  } catch (e) {
    res.failed.push({ check: run[0] ?? 'forward', message: `${name}: building the model or its first forward failed: ${e instanceof Error ? e.message : String(e)}` });
    return res;
  }
  try {
    for (const check of run) {
      try {
        const note = await runCheck(c, check);
        if (note) res.notes.push(`${check}: ${note}`);
        res.passed.push(check);
      } catch (e) {
        res.failed.push({ check, message: e instanceof Error ? e.message : String(e) });
      }
    }
  } finally {
    c.dispose();
  }
  return res;
}
