import { hasWeights, PRETRAINED_CFG_DEFAULTS, type PretrainedCfg } from '../config/pretrained.js';
import { type ModelPackage, modelPackage } from './families.js';

/** What an entrypoint receives: timm's create_model kwargs in camelCase. */
export type ModelKwargs = Record<string, unknown>;

/** Builds a model (or a features wrapper) for one architecture; `kwargs` are the createModel options. */
export type ModelEntrypoint = (kwargs: ModelKwargs) => unknown | Promise<unknown>;

/** The pretrained cfgs of one architecture, tags in priority order (first is the default), as timm's DefaultCfg. */
export interface DefaultCfg {
  tags: string[];
  cfgs: Record<string, PretrainedCfg>;
  isPretrained: boolean;
}

export interface ModelRegistration {
  /** Architecture name, e.g. 'resnet50'. */
  name: string;
  /** timm's module name, e.g. 'resnet'. */
  module: string;
  create: ModelEntrypoint;
  /** This architecture's pretrained cfgs (from `generateDefaultCfgs`). */
  defaultCfg?: DefaultCfg;
  /** Replace an existing, different registration under the same name instead of failing. */
  override?: boolean;
}

interface RegistryState {
  entrypoints: Map<string, ModelRegistration>;
  modelToModule: Map<string, string>;
  moduleToModels: Map<string, Set<string>>;
  pretrainedCfgs: Map<string, PretrainedCfg>;
  hasPretrained: Set<string>;
  withTags: Map<string, string[]>;
  defaultCfgs: Map<string, DefaultCfg>;
  deprecated: Map<string, string | null>;
  moduleDeprecated: Map<string, Map<string, string | null>>;
}

const REGISTRY_KEY = Symbol.for('@zoo/core/registry/v1');

/** The process-wide registry, on a global symbol so that two copies of @zoo/core share one. */
function state(): RegistryState {
  const g = globalThis as unknown as Record<symbol, RegistryState | undefined>;
  let s = g[REGISTRY_KEY];
  if (!s) {
    s = {
      entrypoints: new Map(),
      modelToModule: new Map(),
      moduleToModels: new Map(),
      pretrainedCfgs: new Map(),
      hasPretrained: new Set(),
      withTags: new Map(),
      defaultCfgs: new Map(),
      deprecated: new Map(),
      moduleDeprecated: new Map(),
    };
    Object.defineProperty(g, REGISTRY_KEY, { value: s, enumerable: false, configurable: false, writable: false });
  }
  return s;
}

/** timm's `split_model_name_tag`: 'resnet50.a1_in1k' → ['resnet50', 'a1_in1k']. */
export function splitModelNameTag(modelName: string, noTag = ''): [string, string] {
  const i = modelName.indexOf('.');
  return i < 0 ? [modelName, noTag] : [modelName.slice(0, i), modelName.slice(i + 1)];
}

export function getArchName(modelName: string): string {
  return splitModelNameTag(modelName)[0];
}

/**
 * timm's `generate_default_cfgs`: groups `'arch.tag'` cfgs by architecture and orders tags so the default comes
 * first (an untagged cfg with weights, or the first tag marked with a trailing `*`, else the first with weights).
 * Each cfg is completed with PretrainedCfg's defaults.
 */
export function generateDefaultCfgs(cfgs: Record<string, PretrainedCfg>): Record<string, DefaultCfg> {
  const out: Record<string, DefaultCfg> = {};
  const defaultSet = new Set<string>();
  for (const [key, raw] of Object.entries(cfgs)) {
    // A field given as undefined keeps PretrainedCfg's default (as an omitted dataclass argument does).
    const v = { ...PRETRAINED_CFG_DEFAULTS } as PretrainedCfg;
    for (const [k, val] of Object.entries(raw)) if (val !== undefined) (v as Record<string, unknown>)[k] = val;
    const weights = hasWeights(v);
    let [model, tag] = splitModelNameTag(key);
    const priority = (weights && !tag) || (tag.endsWith('*') && !defaultSet.has(model));
    tag = tag.replace(/^\*+|\*+$/g, '');
    const dc = (out[model] ??= { tags: [], cfgs: {}, isPretrained: false });
    if (priority) {
      dc.tags.unshift(tag);
      defaultSet.add(model);
    } else if (weights && !dc.isPretrained) {
      dc.tags.unshift(tag);
    } else {
      dc.tags.push(tag);
    }
    if (weights) dc.isPretrained = true;
    dc.cfgs[tag] = v;
  }
  return out;
}

function sameRegistration(a: ModelRegistration, b: ModelRegistration): boolean {
  return a.create === b.create || (a.module === b.module && a.create.toString() === b.create.toString() && a.defaultCfg === b.defaultCfg);
}

/**
 * Registers an architecture (timm's `@register_model`). Registering the same entry again is a no-op; a different
 * entry under a taken name is an error unless `override` is set.
 */
export function registerModel(reg: ModelRegistration): void {
  const s = state();
  const existing = s.entrypoints.get(reg.name);
  if (existing) {
    if (existing === reg || sameRegistration(existing, reg)) return;
    if (!reg.override) {
      throw new Error(
        `Model '${reg.name}' is already registered by module '${existing.module}'; refusing to replace it with one from '${reg.module}'. ` +
          `Pick another name, or pass { override: true } to replace it deliberately.`,
      );
    }
    unregister(reg.name);
  }
  s.entrypoints.set(reg.name, reg);
  s.modelToModule.set(reg.name, reg.module);
  let mods = s.moduleToModels.get(reg.module);
  if (!mods) s.moduleToModels.set(reg.module, (mods = new Set()));
  mods.add(reg.name);
  const dc = reg.defaultCfg;
  if (!dc) return;
  const tagged: string[] = [];
  dc.tags.forEach((tag, i) => {
    const nameTag = tag ? `${reg.name}.${tag}` : reg.name;
    const cfg: PretrainedCfg = { ...dc.cfgs[tag]!, architecture: reg.name, tag: tag || undefined };
    if (cfg.hfHubId === 'timm/') cfg.hfHubId = `timm/${nameTag}`;
    if (i === 0) {
      s.pretrainedCfgs.set(reg.name, cfg);
      if (hasWeights(cfg)) s.hasPretrained.add(reg.name);
    }
    if (tag) {
      s.pretrainedCfgs.set(nameTag, cfg);
      if (hasWeights(cfg)) s.hasPretrained.add(nameTag);
    }
    tagged.push(nameTag);
  });
  s.withTags.set(reg.name, tagged);
  s.defaultCfgs.set(reg.name, dc);
}

function unregister(name: string): void {
  const s = state();
  const mod = s.modelToModule.get(name);
  if (mod) s.moduleToModels.get(mod)?.delete(name);
  s.entrypoints.delete(name);
  s.modelToModule.delete(name);
  for (const k of s.withTags.get(name) ?? []) {
    s.pretrainedCfgs.delete(k);
    s.hasPretrained.delete(k);
  }
  s.pretrainedCfgs.delete(name);
  s.hasPretrained.delete(name);
  s.withTags.delete(name);
  s.defaultCfgs.delete(name);
}

/**
 * timm's `register_model_deprecations`: each deprecated name builds its current target (`arch` or `arch.tag`) with a
 * warning. Deprecated names are models (`isModel`) but are left out of `listModels`.
 */
export function registerModelDeprecations(module: string, map: Record<string, string | null>): void {
  const s = state();
  for (const [deprecated, current] of Object.entries(map)) {
    if (s.deprecated.has(deprecated) && s.deprecated.get(deprecated) === current) continue;
    const create: ModelEntrypoint = (kwargs) => {
      if (!current) throw new Error(`Model '${deprecated}' has been removed with no replacement.`);
      const [arch, tag] = splitModelNameTag(current);
      const target = s.entrypoints.get(arch);
      if (!target) throw new Error(`Model '${deprecated}' maps to '${current}', which is not registered.`);
      console.warn(`Mapping deprecated model name ${deprecated} to current ${current}.`);
      return target.create({ ...kwargs, pretrainedCfg: kwargs.pretrainedCfg || tag || undefined });
    };
    s.entrypoints.set(deprecated, { name: deprecated, module, create });
    s.modelToModule.set(deprecated, module);
    let mods = s.moduleToModels.get(module);
    if (!mods) s.moduleToModels.set(module, (mods = new Set()));
    mods.add(deprecated);
    s.deprecated.set(deprecated, current);
    let md = s.moduleDeprecated.get(module);
    if (!md) s.moduleDeprecated.set(module, (md = new Map()));
    md.set(deprecated, current);
  }
}

/** timm's natural sort key: digits compare as numbers, text case-insensitively. */
export function naturalCompare(a: string, b: string): number {
  const ka = a.toLowerCase().split(/(\d+)/);
  const kb = b.toLowerCase().split(/(\d+)/);
  const n = Math.min(ka.length, kb.length);
  for (let i = 0; i < n; i++) {
    const x = ka[i]!;
    const y = kb[i]!;
    if (x === y) continue;
    // Odd positions of a split on a capturing group are the digit runs.
    if (i % 2 === 1) {
      const d = Number(x) - Number(y);
      if (d !== 0) return d;
      continue;
    }
    return x < y ? -1 : 1;
  }
  return ka.length - kb.length;
}

/** fnmatch as Python's `fnmatch.fnmatch` on POSIX (case-sensitive): `*`, `?`, `[seq]`, `[!seq]`. */
export function fnmatch(name: string, pattern: string): boolean {
  return fnmatchRegex(pattern).test(name);
}

const fnmatchCache = new Map<string, RegExp>();
function fnmatchRegex(pattern: string): RegExp {
  let re = fnmatchCache.get(pattern);
  if (re) return re;
  let out = '';
  for (let i = 0; i < pattern.length; i++) {
    const c = pattern[i]!;
    if (c === '*') out += '.*';
    else if (c === '?') out += '.';
    else if (c === '[') {
      const j = pattern.indexOf(']', i + 2);
      if (j < 0) out += '\\[';
      else {
        let body = pattern.slice(i + 1, j).replace(/\\/g, '\\\\');
        if (body.startsWith('!')) body = `^${body.slice(1)}`;
        out += `[${body}]`;
        i = j;
      }
    } else out += c.replace(/[.*+?^${}()|[\]\\/]/g, '\\$&');
  }
  re = new RegExp(`^${out}$`, 's');
  fnmatchCache.set(pattern, re);
  return re;
}

export interface ListModelsOptions {
  filter?: string | string[];
  module?: string | string[];
  pretrained?: boolean;
  excludeFilters?: string | string[];
  nameMatchesCfg?: boolean;
  /** Include pretrained tags (`arch.tag`); defaults to `pretrained`. */
  includeTags?: boolean;
}

function expandFilter(f: string): string[] {
  const [base, tag] = splitModelNameTag(f);
  return tag ? [f] : [`${base}.*`, f];
}

const asList = (v: string | string[] | undefined): string[] => (v === undefined || v === '' ? [] : Array.isArray(v) ? v : [v]);

/** timm's `list_models`: registered names (optionally with tags), filtered with fnmatch wildcards, naturally sorted. */
export function listModels(filterOrOptions: string | string[] | ListModelsOptions = {}, maybeOptions: ListModelsOptions = {}): string[] {
  const opts: ListModelsOptions =
    typeof filterOrOptions === 'string' || Array.isArray(filterOrOptions) ? { ...maybeOptions, filter: filterOrOptions } : filterOrOptions;
  const s = state();
  let include = asList(opts.filter);
  let exclude = asList(opts.excludeFilters);
  const includeTags = opts.includeTags ?? opts.pretrained ?? false;
  let all: Set<string>;
  const modules = asList(opts.module);
  if (!modules.length) all = new Set(s.entrypoints.keys());
  else {
    all = new Set();
    for (const m of modules) for (const n of s.moduleToModels.get(m) ?? []) all.add(n);
  }
  for (const d of s.deprecated.keys()) all.delete(d);
  if (includeTags) {
    const withTags = new Set<string>();
    for (const m of all) for (const t of s.withTags.get(m) ?? [m]) withTags.add(t);
    all = withTags;
    include = include.flatMap(expandFilter);
    exclude = exclude.flatMap(expandFilter);
  }
  let models: Set<string>;
  if (include.length) {
    models = new Set();
    for (const f of include) for (const m of all) if (fnmatch(m, f)) models.add(m);
  } else models = all;
  for (const xf of exclude) for (const m of [...models]) if (fnmatch(m, xf)) models.delete(m);
  let out = [...models];
  if (opts.pretrained) out = out.filter((m) => s.hasPretrained.has(m));
  if (opts.nameMatchesCfg) out = out.filter((m) => s.pretrainedCfgs.has(m));
  return out.sort(naturalCompare);
}

/** timm's `list_pretrained`: tagged names with weights. */
export function listPretrained(filter: string | string[] = '', excludeFilters: string | string[] = ''): string[] {
  return listModels({ filter, excludeFilters, pretrained: true, includeTags: true });
}

export function listModules(): string[] {
  return [...state().moduleToModels.keys()].sort();
}

export function isModel(modelName: string): boolean {
  return state().entrypoints.has(getArchName(modelName));
}

export function modelEntrypoint(modelName: string, moduleFilter?: string): ModelEntrypoint {
  const s = state();
  const arch = getArchName(modelName);
  if (moduleFilter && !s.moduleToModels.get(moduleFilter)?.has(arch)) {
    throw new Error(`Model '${modelName}' not found in module '${moduleFilter}'.`);
  }
  const e = s.entrypoints.get(arch);
  if (!e) throw unknownModelError(modelName);
  return e.create;
}

export function isModelInModules(modelName: string, modules: string[]): boolean {
  const arch = getArchName(modelName);
  return modules.some((m) => state().moduleToModels.get(m)?.has(arch));
}

export function isModelPretrained(modelName: string): boolean {
  return state().hasPretrained.has(modelName);
}

export function getModelModule(modelName: string): string | undefined {
  return state().modelToModule.get(getArchName(modelName));
}

/** timm's `get_pretrained_cfg`: the cfg for 'arch' (its default tag) or 'arch.tag'; an unknown tag is an error. */
export function getPretrainedCfg(modelName: string, allowUnregistered = true): PretrainedCfg | undefined {
  const s = state();
  const hit = s.pretrainedCfgs.get(modelName);
  if (hit) return structuredClone(hit);
  const [arch, tag] = splitModelNameTag(modelName);
  const dc = s.defaultCfgs.get(arch);
  if (dc) {
    throw new Error(`Invalid pretrained tag '${tag}' for ${arch}. Known tags: ${dc.tags.filter(Boolean).join(', ') || '(none)'}`);
  }
  if (allowUnregistered) return undefined;
  throw new Error(`Model architecture '${arch}' has no pretrained cfg registered.`);
}

export function getPretrainedCfgValue<K extends keyof PretrainedCfg>(modelName: string, key: K): PretrainedCfg[K] | undefined {
  return getPretrainedCfg(modelName, false)?.[key];
}

/** Every tagged cfg of an architecture, keyed 'arch.tag' (default first). */
export function getArchPretrainedCfgs(modelName: string): Record<string, PretrainedCfg> {
  const s = state();
  const arch = getArchName(modelName);
  const out: Record<string, PretrainedCfg> = {};
  for (const m of s.withTags.get(arch) ?? []) out[m] = structuredClone(s.pretrainedCfgs.get(m)!);
  return out;
}

/** The architecture's default tag ('' when it has none). */
export function getDefaultTag(modelName: string): string | undefined {
  return state().defaultCfgs.get(getArchName(modelName))?.tags[0];
}

export function getDeprecatedModels(module = ''): Record<string, string | null> {
  const s = state();
  const src = module ? (s.moduleDeprecated.get(module) ?? new Map()) : s.deprecated;
  return Object.fromEntries(src);
}

/** Levenshtein distance, for suggestions. */
function editDistance(a: string, b: string): number {
  const dp = Array.from({ length: b.length + 1 }, (_, j) => j);
  for (let i = 1; i <= a.length; i++) {
    let prev = dp[0]!;
    dp[0] = i;
    for (let j = 1; j <= b.length; j++) {
      const tmp = dp[j]!;
      dp[j] = Math.min(dp[j]! + 1, dp[j - 1]! + 1, prev + (a[i - 1] === b[j - 1] ? 0 : 1));
      prev = tmp;
    }
  }
  return dp[b.length]!;
}

/** Registered names closest to `name` (prefix matches first, then by edit distance). */
export function suggestModels(name: string, max = 5): string[] {
  const arch = getArchName(name);
  const all = listModels();
  const scored = all.map((m) => {
    let d = editDistance(arch, m);
    if (m.startsWith(arch)) d = Math.min(d, m.length - arch.length) - 0.5;
    return [d, m] as const;
  });
  const limit = Math.max(2, Math.ceil(arch.length / 3));
  return scored
    .filter(([d]) => d <= limit)
    .sort((a, b) => a[0] - b[0] || naturalCompare(a[1], b[1]))
    .slice(0, max)
    .map(([, m]) => m);
}

export class UnknownModelError extends Error {
  override name = 'UnknownModelError';
  /** The official package that registers this name when it is not installed here (from timm's module of it). */
  readonly package: ModelPackage | undefined;
  constructor(readonly modelName: string, readonly suggestions: string[]) {
    const found = modelPackage(modelName);
    const registered = new Set(state().moduleToModels.keys());
    const missing = found && !found.modules.some((m) => registered.has(m)) ? found : undefined;
    const hint = missing
      ? missing.planned
        ? ` It is a model of timm's ${missing.module}, which the planned package ${missing.pkg} will register (not built yet).`
        : ` It is a model of timm's ${missing.module}, registered by ${missing.pkg}, which is not loaded: install it (npm i ${missing.pkg}) and import it (import '${missing.pkg}').`
      : suggestions.length
        ? ` Did you mean: ${suggestions.join(', ')}?`
        : state().entrypoints.size === 0
          ? ' No models are registered: import a family package (e.g. `import \'@zoo/resnet\'`) first.'
          : ' Use listModels() to see what is registered.';
    super(`Unknown model '${modelName}'.${hint}`);
    this.package = missing;
  }
}

export function unknownModelError(modelName: string): UnknownModelError {
  return new UnknownModelError(modelName, suggestModels(modelName));
}
