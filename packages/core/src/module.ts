import * as tf from '@tensorflow/tfjs-core';
import { recordingGradients } from './layers/portable.js';
import { escapeControl, formatShape, numel, type StateDict, type TensorData } from './weights/types.js';

/**
 * How a parameter is held inside (tfjs layout) relative to its PyTorch layout in the state dict.
 * - `plain`: same shape and order.
 * - `linear`: PyTorch `[out, in]` held as `[in, out]`.
 * - `conv`: PyTorch `[out, in/groups, kh, kw]` held as HWIO `[kh, kw, in/groups, out]`.
 * - `dwconv`: PyTorch `[C*m, 1, kh, kw]` held as tfjs depthwise `[kh, kw, C, m]`.
 */
export type ParamLayout = 'plain' | 'linear' | 'conv' | 'dwconv';

/** Initialisers for weights that do not come from a checkpoint. Values are drawn lazily on first use. */
export type ParamInit =
  | { kind: 'zeros' }
  | { kind: 'ones' }
  | { kind: 'const'; value: number }
  | { kind: 'normal'; std: number; mean?: number }
  | { kind: 'uniform'; bound: number }
  | { kind: 'truncnormal'; std: number };

export interface ParamOptions {
  layout?: ParamLayout;
  init?: ParamInit;
  /** A buffer (running stats, …): in the state dict but not a learnable parameter. */
  buffer?: boolean;
  /** Element type; `int64` buffers (e.g. `num_batches_tracked`) are held as a JS bigint, not a tensor. */
  dtype?: 'float32' | 'int64';
  /** Depthwise channel multiplier, for `dwconv` layout. */
  multiplier?: number;
  /** Missing from a checkpoint is fine (e.g. `num_batches_tracked`). */
  optional?: boolean;
}

let initSeed = 42;

/** Entries up to this many elements are transposed in JS by {@link Param.convert} whatever their kernel size. */
const JS_TRANSPOSE_MAX = 1 << 18;

/**
 * `[O, I, S]` → `[S, I, O]` (S = kh·kw; S = 1 for a linear's `[out, in]` → `[in, out]`): PyTorch's conv layout to
 * tfjs' HWIO (and depthwise `[kh, kw, C, m]`, which has the same element order). Blocked over (I, O) so that reads
 * stay in cache while writes run along O.
 */
function transposeOIS(src: Float32Array, O: number, I: number, S: number): Float32Array {
  const dst = new Float32Array(src.length);
  const B = 16;
  const IS = I * S;
  for (let i0 = 0; i0 < I; i0 += B) {
    const i1 = Math.min(i0 + B, I);
    for (let o0 = 0; o0 < O; o0 += B) {
      const o1 = Math.min(o0 + B, O);
      for (let k = 0; k < S; k++) {
        for (let i = i0; i < i1; i++) {
          let d = (k * I + i) * O + o0;
          let r = o0 * IS + i * S + k;
          for (let o = o0; o < o1; o++) {
            dst[d++] = src[r]!;
            r += IS;
          }
        }
      }
    }
  }
  return dst;
}

/** A named tensor of a module: a parameter or a buffer. Holds its value in tfjs layout, created lazily. */
export class Param {
  readonly layout: ParamLayout;
  readonly isBuffer: boolean;
  readonly dtype: 'float32' | 'int64';
  readonly optional: boolean;
  /** Bumped on every assignment, so derived tensors (folded BN, …) know to recompute. */
  version = 0;
  /** Learnable and not frozen (see `freeze`): optimizers update it and gradients are taken for it. Buffers: false. */
  requiresGrad: boolean;
  private _value: tf.Tensor | null = null;
  private _int: bigint = 0n;
  private readonly init: ParamInit;
  private readonly multiplier: number;

  constructor(
    /** Shape in PyTorch layout, as in the state dict. */
    readonly shape: number[],
    options: ParamOptions = {},
  ) {
    this.layout = options.layout ?? 'plain';
    this.isBuffer = options.buffer ?? false;
    this.dtype = options.dtype ?? 'float32';
    this.init = options.init ?? { kind: 'zeros' };
    this.multiplier = options.multiplier ?? 1;
    this.optional = options.optional ?? false;
    this.requiresGrad = !this.isBuffer && this.dtype === 'float32';
  }

  /** Shape of the held tensor (tfjs layout). */
  get tfShape(): number[] {
    const s = this.shape;
    switch (this.layout) {
      case 'linear':
        return [s[1]!, s[0]!];
      case 'conv':
        return [s[2]!, s[3]!, s[1]!, s[0]!];
      case 'dwconv':
        return [s[2]!, s[3]!, s[0]! / this.multiplier, this.multiplier];
      default:
        return [...s];
    }
  }

  get initialized(): boolean {
    return this._value !== null;
  }

  /** The tensor in tfjs layout. Created from the initialiser on first access. */
  get value(): tf.Tensor {
    if (this.dtype === 'int64') throw new Error('int64 buffers have no tensor value; use intValue');
    if (this._value === null) {
      this._value = tf.tidy(() => makeInit(this.init, this.tfShape));
      tf.keep(this._value);
      this.version++;
    }
    return this._value;
  }

  get intValue(): bigint {
    return this._int;
  }

  /** Assigns from a PyTorch-layout entry (shape must already be checked). */
  assign(t: TensorData): void {
    if (this.dtype === 'int64') {
      this.assignInt(t);
      return;
    }
    this.setTensor(this.convert(t));
  }

  /**
   * The value as a `tf.Variable` (made on first call from the held tensor, sharing its data: no copy), so tfjs can
   * take gradients with respect to it. Later assignments write into the same variable.
   */
  variable(): tf.Variable {
    const v = this.value;
    if (v instanceof tf.Variable) return v;
    const variable = tf.variable(v, true);
    v.dispose();
    this._value = variable;
    return variable;
  }

  /** Adds one to an int64 buffer (`num_batches_tracked`). */
  incrementInt(): void {
    this._int += 1n;
    this.version++;
  }

  /** Sets an int64 buffer from an entry's first element. */
  assignInt(t: TensorData): void {
    const d = t.data;
    this._int = d.length ? BigInt(d[0] as number | bigint) : 0n;
    this.version++;
  }

  /**
   * A PyTorch-layout entry as a new tensor in this parameter's tfjs layout (HWIO, depthwise, `[in, out]`), without
   * assigning it: the caller owns the tensor (see {@link setTensor}). Float parameters only.
   */
  convert(t: TensorData): tf.Tensor {
    const data = t.data instanceof Float32Array ? t.data : Float32Array.from(t.data as ArrayLike<number>, Number);
    if (this.layout === 'plain') return tf.tensor(data, this.shape, 'float32');
    // Linears, 1×1 convs and small kernels are transposed here, while copying (no extra wasm kernel per entry);
    // tfjs-wasm's Transpose is faster only for large k×k kernels.
    const s = this.shape;
    const spatial = this.layout === 'linear' ? 1 : s[2]! * s[3]!;
    if (spatial === 1 || data.length <= JS_TRANSPOSE_MAX) {
      return tf.tensor(transposeOIS(data, s[0]!, s[1]!, spatial), this.tfShape, 'float32');
    }
    // A large k×k conv or depthwise kernel: OIHW → HWIO (the depthwise layout has the same element order).
    return tf.tidy(() => tf.reshape(tf.transpose(tf.tensor(data, this.shape, 'float32'), [2, 3, 1, 0]), this.tfShape));
  }

  /** Replaces the held tensor with one already in tfjs layout (takes ownership). */
  setTensor(t: tf.Tensor): void {
    const expect = this.tfShape;
    if (t.shape.length !== expect.length || t.shape.some((d, i) => d !== expect[i])) {
      throw new Error(`tensor of shape ${formatShape(t.shape)} does not fit a parameter held as ${formatShape(expect)}`);
    }
    if (this._value instanceof tf.Variable) {
      // Keep the variable (optimizers and gradient lists hold it); it takes over the new tensor's data.
      this._value.assign(t);
      t.dispose();
    } else {
      this._value?.dispose();
      this._value = tf.keep(t);
    }
    this.version++;
  }

  /** The value in PyTorch layout, as a state-dict entry. */
  toTorch(): TensorData {
    if (this.dtype === 'int64') return { dtype: 'int64', shape: [...this.shape], data: BigInt64Array.of(this._int) };
    return this.toTorchLayout(this.value);
  }

  /** A tensor held in this parameter's tfjs layout (its value, its gradient, …) as a PyTorch-layout state-dict entry. */
  toTorchLayout(v: tf.Tensor): TensorData {
    const data = tf.tidy(() => {
      switch (this.layout) {
        case 'linear':
          return tf.transpose(v, [1, 0]);
        case 'conv':
          return tf.transpose(v, [3, 2, 0, 1]);
        case 'dwconv':
          return tf.transpose(tf.reshape(v, [this.shape[2]!, this.shape[3]!, 1, this.shape[0]!]), [3, 2, 0, 1]);
        default:
          return tf.clone(v);
      }
    });
    const out = data.dataSync() as Float32Array;
    data.dispose();
    return { dtype: 'float32', shape: [...this.shape], data: Float32Array.from(out) };
  }

  dispose(): void {
    this._value?.dispose();
    this._value = null;
  }
}

function makeInit(init: ParamInit, shape: number[]): tf.Tensor {
  switch (init.kind) {
    case 'zeros':
      return tf.zeros(shape);
    case 'ones':
      return tf.ones(shape);
    case 'const':
      return tf.fill(shape, init.value);
    case 'normal':
      return tf.randomNormal(shape, init.mean ?? 0, init.std, 'float32', initSeed++);
    case 'truncnormal':
      return tf.truncatedNormal(shape, 0, init.std, 'float32', initSeed++);
    case 'uniform':
      return tf.randomUniform(shape, -init.bound, init.bound, 'float32', initSeed++);
  }
}

export interface LoadStateDictOptions {
  /** Fail on missing or unexpected keys (shape mismatches always fail). Default true. */
  strict?: boolean;
}

/**
 * A state dict delivered entry by entry: `entries` announces every key with its shape (and dtype) up front; `read`
 * calls `onEntry` once per entry as its data becomes available, and resolves when all were delivered (or rejects).
 */
export interface StateDictStream {
  entries: Record<string, { shape: number[]; dtype: TensorData['dtype'] }>;
  read(onEntry: (key: string, t: TensorData) => void): Promise<void>;
  /** Named in errors (a file path). */
  source?: string;
}

export interface LoadStateDictResult {
  missingKeys: string[];
  unexpectedKeys: string[];
}

/** Raised when a state dict does not fit a model; the message lists every offending key. */
export class StateDictError extends Error {
  override name = 'StateDictError';
  constructor(
    message: string,
    readonly missingKeys: string[] = [],
    readonly unexpectedKeys: string[] = [],
    readonly shapeMismatches: { key: string; expected: number[]; got: number[] }[] = [],
  ) {
    super(message);
  }
}

/**
 * Base of every layer and model: named child modules, parameters and buffers, with PyTorch's naming so that
 * `stateDict()` keys are exactly timm's. Modules start in eval mode (see {@link Module.train}). `Out` is what `forward`
 * returns: a tensor for layers and models, a list or dict of maps for feature models.
 */
export class Module<Out = tf.Tensor> {
  private readonly _children = new Map<string, Module | null>();
  private readonly _params = new Map<string, Param>();
  /** Values derived from parameters (e.g. BN folded into a conv), recomputed when a parameter changes. */
  private _derived = new Map<string, { versions: number[]; tensors: tf.Tensor[] }>();
  /** PyTorch's `training` flag: set by {@link train} / {@link eval} on a module and everything below it. */
  training = false;

  /**
   * PyTorch's `train(mode)`: puts this module and every module below it in training mode (BatchNorm normalises with
   * batch statistics and updates its running stats; dropout and drop path are active) or, with `false`, in eval
   * mode. Returns the module.
   */
  train(mode = true): this {
    for (const [, m] of this.namedModules()) m.training = mode;
    return this;
  }

  /** PyTorch's `eval()`: `train(false)`. */
  eval(): this {
    return this.train(false);
  }

  /** Registers (or replaces) a child module under `name`; `null` keeps the slot without a module. */
  addModule<M extends Module | null>(name: string, module: M): M {
    if (name.includes('.')) throw new Error(`module name '${name}' must not contain '.'`);
    const old = this._children.get(name);
    // The replaced module's tensors go, except those of modules the new one still holds (a container rebuilt
    // around some of the old children, as pruneIntermediateLayers does).
    if (old && old !== module) old.disposeExcept(new Set<object>(module ? module.namedModules().map(([, m]) => m) : []));
    this._children.set(name, module);
    return module;
  }

  /** Declares a parameter (or buffer, with `{ buffer: true }`) of PyTorch shape `shape`. */
  addParam(name: string, shape: number[], options: ParamOptions = {}): Param {
    const p = new Param(shape, options);
    this._params.get(name)?.dispose();
    this._params.set(name, p);
    return p;
  }

  /** Removes a parameter (e.g. a bias dropped by a variant). */
  removeParam(name: string): void {
    this._params.get(name)?.dispose();
    this._params.delete(name);
  }

  getParam(name: string): Param | undefined {
    return this._params.get(name);
  }

  /** Direct children in registration order. */
  namedChildren(): [string, Module][] {
    const out: [string, Module][] = [];
    for (const [n, m] of this._children) if (m) out.push([n, m]);
    return out;
  }

  /** This module as a child of others sees it (children are held as plain modules whatever their output). */
  private asModule(): Module {
    return this as unknown as Module;
  }

  getChild(name: string): Module | undefined {
    return this._children.get(name) ?? undefined;
  }

  /** Every module below (and including) this one, with dotted names, in registration order. */
  namedModules(prefix = ''): [string, Module][] {
    const out: [string, Module][] = [[prefix, this.asModule()]];
    for (const [n, m] of this._children) {
      if (m) out.push(...m.namedModules(prefix ? `${prefix}.${n}` : n));
    }
    return out;
  }

  /** Every parameter and buffer below this module, with dotted state-dict names, in timm's order. */
  namedParams(prefix = ''): [string, Param][] {
    const out: [string, Param][] = [];
    for (const [n, p] of this._params) out.push([prefix ? `${prefix}.${n}` : n, p]);
    for (const [n, m] of this._children) {
      if (m) out.push(...m.namedParams(prefix ? `${prefix}.${n}` : n));
    }
    return out;
  }

  /** The module at a dotted path (`layer1.0.conv1`). */
  getSubmodule(path: string): Module {
    if (path === '') return this.asModule();
    let m: Module | undefined = this.asModule();
    for (const part of path.split('.')) {
      m = m?.getChild(part);
      if (!m) throw new Error(`no submodule '${path}' (stopped at '${part}')`);
    }
    return m;
  }

  /** Number of learnable parameter elements (buffers excluded). */
  numParams(): number {
    let n = 0;
    for (const [, p] of this.namedParams()) if (!p.isBuffer) n += numel(p.shape);
    return n;
  }

  /** timm's `state_dict()`: PyTorch keys, shapes and layouts. */
  stateDict(): StateDict {
    const sd: StateDict = {};
    for (const [k, p] of this.namedParams()) sd[k] = p.toTorch();
    return sd;
  }

  /**
   * Loads a timm state dict. Shape mismatches always fail, naming the key and both shapes; with `strict` (default)
   * missing or unexpected keys fail too. Nothing is assigned unless the whole dict fits.
   */
  loadStateDict(sd: StateDict, options: LoadStateDictOptions = {}): LoadStateDictResult {
    const { params, missingKeys, unexpectedKeys } = this.checkStateDict(sd, options);
    for (const [k, p] of params) {
      const t = sd[k];
      if (t) p.assign(t);
    }
    this.onLoad();
    return { missingKeys, unexpectedKeys };
  }

  /**
   * Like {@link loadStateDict}, for a state dict whose entries arrive one by one (a file read in chunks): the keys
   * and shapes are checked first, against the same rules, before any data is read; each entry is converted to tfjs
   * layout as it arrives (so conversion overlaps the reading of later entries); nothing is assigned until every
   * entry has arrived. If reading fails, the converted tensors are freed and the model keeps its weights.
   */
  async loadStateDictStream(stream: StateDictStream, options: LoadStateDictOptions = {}): Promise<LoadStateDictResult> {
    const { params, missingKeys, unexpectedKeys } = this.checkStateDict(stream.entries, options);
    const staged = new Map<Param, tf.Tensor | TensorData>();
    try {
      await stream.read((key, t) => {
        const p = params.get(key);
        if (!p || staged.has(p)) return;
        staged.set(p, p.dtype === 'int64' ? t : p.convert(t));
      });
      for (const [k, p] of params) {
        if (k in stream.entries && !staged.has(p)) throw new Error(`${stream.source ?? 'state dict stream'}: entry '${k}' was announced but never delivered`);
      }
    } catch (e) {
      for (const v of staged.values()) if (v instanceof tf.Tensor) v.dispose();
      throw e;
    }
    for (const [p, v] of staged) {
      if (v instanceof tf.Tensor) p.setTensor(v);
      else p.assignInt(v);
    }
    this.onLoad();
    return { missingKeys, unexpectedKeys };
  }

  /**
   * Checks entries (only their shapes are read) against this model as {@link loadStateDict} would: throws a
   * {@link StateDictError} naming every shape mismatch, and with `strict` every missing or unexpected key. Returns
   * the parameters, by state-dict key.
   */
  checkStateDict(entries: Record<string, { shape: number[] }>, options: LoadStateDictOptions = {}): LoadStateDictResult & { params: Map<string, Param> } {
    const strict = options.strict ?? true;
    const params = new Map(this.namedParams());
    const missingKeys: string[] = [];
    const unexpectedKeys: string[] = [];
    const mismatches: { key: string; expected: number[]; got: number[] }[] = [];
    for (const [k, p] of params) {
      const t = entries[k];
      if (!t) {
        if (!p.optional) missingKeys.push(k);
        continue;
      }
      const sameShape = t.shape.length === p.shape.length && t.shape.every((d, i) => d === p.shape[i]);
      // A scalar int64 buffer may be stored as shape [] or [1].
      if (!sameShape && !(p.dtype === 'int64' && numel(t.shape) === 1)) mismatches.push({ key: k, expected: p.shape, got: t.shape });
    }
    for (const k of Object.keys(entries)) if (!params.has(k)) unexpectedKeys.push(k);
    if (mismatches.length) {
      const lines = keyLines(mismatches.map((m) => `${m.key}: checkpoint ${formatShape(m.got)}, model ${formatShape(m.expected)}`));
      throw new StateDictError(`size mismatch for ${mismatches.length} key(s) while loading the state dict:\n${lines}`, missingKeys, unexpectedKeys, mismatches);
    }
    if (strict && (missingKeys.length || unexpectedKeys.length)) {
      const counts: string[] = [];
      const lists: string[] = [];
      if (missingKeys.length) {
        counts.push(`${missingKeys.length} missing`);
        lists.push(`missing key(s):\n${keyLines(missingKeys)}`);
      }
      if (unexpectedKeys.length) {
        counts.push(`${unexpectedKeys.length} unexpected`);
        lists.push(`unexpected key(s):\n${keyLines(unexpectedKeys)}`);
      }
      throw new StateDictError(
        `error loading the state dict (strict): ${counts.join(', ')} key(s); load with { strict: false } to skip them\n${lists.join('\n')}`,
        missingKeys,
        unexpectedKeys,
      );
    }
    return { params, missingKeys, unexpectedKeys };
  }

  /** Called on every module after weights were loaded; the default drops derived tensors. */
  protected onLoadSelf(): void {
    this.clearDerived();
  }

  private onLoad(): void {
    for (const [, m] of this.namedModules()) m.onLoadSelf();
  }

  /**
   * A value computed from parameters once and kept until one of them changes (e.g. BatchNorm folded into the
   * preceding conv). `compute` runs outside any caller's tidy scope; its tensors are kept.
   */
  protected derived(key: string, params: Param[], compute: () => tf.Tensor[]): tf.Tensor[] {
    // While gradients are recorded a cached value would cut the path back to the parameters: compute it in place.
    if (recordingGradients()) return compute();
    const versions = params.map((p) => {
      if (p.dtype !== 'int64') void p.value;
      return p.version;
    });
    const hit = this._derived.get(key);
    if (hit?.versions.every((v, i) => v === versions[i])) return hit.tensors;
    if (hit) for (const t of hit.tensors) t.dispose();
    const tensors = tf.tidy(compute);
    for (const t of tensors) tf.keep(t);
    this._derived.set(key, { versions, tensors });
    return tensors;
  }

  private clearDerived(): void {
    for (const { tensors } of this._derived.values()) for (const t of tensors) t.dispose();
    this._derived.clear();
  }

  /** Unary forward. Layers with other signatures override their own methods; containers call this. */
  forward(_x: tf.Tensor): Out {
    throw new Error(`${this.constructor.name} has no unary forward`);
  }

  /** Frees every tensor held by this module and its children. */
  dispose(): void {
    for (const [, p] of this._params) p.dispose();
    this.clearDerived();
    for (const [, m] of this._children) m?.dispose();
  }

  /** Disposes this module and its children, leaving `keep` (and what they hold) alive. */
  private disposeExcept(keep: ReadonlySet<object>): void {
    if (keep.has(this)) return;
    // A subtree that keeps nothing goes through dispose(), which a subclass may extend.
    if (!this.namedModules().some(([, m]) => keep.has(m))) {
      this.dispose();
      return;
    }
    for (const [, p] of this._params) p.dispose();
    this.clearDerived();
    for (const [, m] of this._children) m?.disposeExcept(keep);
  }
}

/** One key a line, indented (control characters escaped); past `max` lines, a count of the rest (the full lists are on the StateDictError). */
function keyLines(items: readonly string[], max = 20): string {
  const shown = items.length <= max ? items : items.slice(0, max);
  const more = items.length - shown.length;
  return shown.map((k) => `  ${escapeControl(k)}`).join('\n') + (more ? `\n  … and ${more} more (${items.length} in all)` : '');
}

/** PyTorch's nn.Sequential: children named '0', '1', … applied in order. */
export class Sequential extends Module {
  constructor(modules: Module[] = []) {
    super();
    modules.forEach((m, i) => {
      this.addModule(String(i), m);
    });
  }

  append(m: Module): this {
    this.addModule(String(this.namedChildren().length), m);
    return this;
  }

  get length(): number {
    return this.namedChildren().length;
  }

  at(i: number): Module {
    return this.getChild(String(i))!;
  }

  override forward(x: tf.Tensor): tf.Tensor {
    for (const [, m] of this.namedChildren()) x = m.forward(x);
    return x;
  }
}

/** nn.Identity. */
export class Identity extends Module {
  override forward(x: tf.Tensor): tf.Tensor {
    return x;
  }
}

const HOOKS = Symbol.for('zoo.forwardHooks');
type HookSets = { pre: Set<(t: tf.Tensor) => void>; post: Set<(t: tf.Tensor) => void> };

/**
 * Wraps `m.forward` so `fn` sees its output ('forward') or input ('forward_pre') on every call (timm's
 * `register_forward_hook` / `register_forward_pre_hook`, as FeatureHookNet uses them). Returns the remover.
 * Fused fast paths ({@link hasForwardHooks}) run a hooked module through its own `forward`, so a hook always fires.
 */
export function installHook(m: Module, type: 'forward' | 'forward_pre', fn: (t: tf.Tensor) => void): () => void {
  const host = m as unknown as { forward: (x: tf.Tensor, ...rest: unknown[]) => tf.Tensor; [HOOKS]?: HookSets };
  let hooks = host[HOOKS];
  if (!hooks) {
    const h: HookSets = { pre: new Set(), post: new Set() };
    hooks = h;
    host[HOOKS] = h;
    const original = host.forward;
    host.forward = function hooked(this: unknown, x: tf.Tensor, ...rest: unknown[]) {
      for (const f of h.pre) f(x);
      const y = original.call(this, x, ...rest);
      for (const f of h.post) f(y);
      return y;
    };
  }
  const set = type === 'forward_pre' ? hooks.pre : hooks.post;
  set.add(fn);
  return () => set.delete(fn);
}

/** Whether a forward hook is installed on `m` (fusing helpers then leave it unfused). */
export function hasForwardHooks(m: Module | null | undefined): boolean {
  const hooks = (m as { [HOOKS]?: HookSets } | null | undefined)?.[HOOKS];
  return !!hooks && hooks.pre.size + hooks.post.size > 0;
}
