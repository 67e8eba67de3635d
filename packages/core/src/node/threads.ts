/**
 * Multi-threaded tfjs wasm backend in Node.
 *
 * tfjs-backend-wasm 4.22 ships a threaded SIMD build (`wasm-out/tfjs-backend-wasm-threaded-simd.{js,wasm}` and its
 * pthread worker script) but never uses it in Node: `WASM_HAS_MULTITHREAD_SUPPORT` is forced to false there, and
 * `init()` hands Emscripten blob URLs for the worker and glue script, which Node's `Worker` cannot load. Here the
 * same build is started with file paths instead — the glue script from the package, the worker script (exported
 * by the package as a string) written once to a file in the OS temp folder — and the result is handed to the
 * package's own `BackendWasm`, registered under the name `'wasm'` so every wasm kernel the package registered runs
 * on it. XNNPACK then uses a pthreadpool of `numThreads` threads. Nothing in node_modules is modified.
 *
 * If the threaded build cannot start, the package's single-threaded SIMD build is used and one line says so.
 */
import { createHash } from 'node:crypto';
import { EventEmitter } from 'node:events';
import { existsSync, mkdirSync, readFileSync, renameSync, writeFileSync } from 'node:fs';
import { createRequire } from 'node:module';
import os, { availableParallelism, cpus, tmpdir } from 'node:os';
import { dirname, join } from 'node:path';
import { runInThisContext } from 'node:vm';
import { isMainThread, Worker as RealWorker } from 'node:worker_threads';
import * as tf from '@tensorflow/tfjs-core';

export interface NodeBackendOptions {
  /**
   * Threads for XNNPACK in the wasm backend, 1 to 8. Default: `ZOO_NUM_THREADS` from the environment, else on the
   * main thread `os.availableParallelism()` (at most 8) and inside a worker thread 1. `1` uses the single-threaded
   * SIMD build (no worker threads at all).
   */
  numThreads?: number;
  /** Where the notice goes when the threaded build cannot start (default: console.warn). `null` silences it. */
  onNotice?: ((message: string) => void) | null;
  /** Give up on the threaded build after this long (ms) and fall back. Default 60 000. */
  timeoutMs?: number;
}

export interface NodeBackendInfo {
  backend: string;
  /** Threads XNNPACK actually runs with. */
  threads: number;
  simd: boolean;
  /** Whether the threaded build is the one running. */
  threaded: boolean;
  /** Why threads were not used, when they were asked for and are not. */
  fallbackReason?: string;
}

const WASM_PKG = '@tensorflow/tfjs-backend-wasm';
const THREADED = 'tfjs-backend-wasm-threaded-simd';

interface WasmPackage {
  BackendWasm: new (module: unknown) => tf.KernelBackend;
  setThreadsCount(n: number): void;
  getThreadsCount(): number;
}

interface EmscriptenModule {
  cwrap(name: string, ret: string | null, args: string[]): (...a: unknown[]) => unknown;
  PThread?: { unusedWorkers: NodeWorker[]; runningWorkers: NodeWorker[]; terminateAllThreads(): void };
  tfjs?: Record<string, unknown>;
}

interface NodeWorker {
  ref(): unknown;
  unref(): unknown;
}

type WasmFactory = (config: Record<string, unknown>) => Promise<EmscriptenModule>;

/** Resolves the thread count: explicit option, then `ZOO_NUM_THREADS`, then {@link defaultNumThreads}. */
export function resolveNumThreads(numThreads?: number, env: Record<string, string | undefined> = process.env): number {
  if (numThreads !== undefined) {
    if (!Number.isInteger(numThreads) || numThreads < 1) throw new RangeError(`numThreads must be a positive integer, got ${numThreads}`);
    if (numThreads > MAX_NODE_THREADS) throw new RangeError(`numThreads must be at most ${MAX_NODE_THREADS} (the threaded wasm build's worker count), got ${numThreads}`);
    return numThreads;
  }
  const raw = env.ZOO_NUM_THREADS;
  if (raw !== undefined && raw.trim() !== '') {
    const n = Number(raw);
    if (!Number.isInteger(n) || n < 1 || n > MAX_NODE_THREADS) throw new RangeError(`ZOO_NUM_THREADS must be an integer from 1 to ${MAX_NODE_THREADS}, got '${raw}'`);
    return n;
  }
  return defaultNumThreads();
}

/** Most threads the threaded build can run: Emscripten pre-creates 8 pthread workers. */
export const MAX_NODE_THREADS = 8;

/**
 * The default thread count: on a process's main thread, the logical cores it may use (`os.availableParallelism()`,
 * at most {@link MAX_NODE_THREADS}); inside a worker thread 1, since whoever starts workers spreads work across them
 * (as `createPool` does) and extra XNNPACK threads per worker would only oversubscribe the cores.
 */
export function defaultNumThreads(): number {
  if (!isMainThread) return 1;
  const n = typeof availableParallelism === 'function' ? availableParallelism() : cpus().length;
  return Math.min(MAX_NODE_THREADS, Math.max(1, n || 1));
}

const require = createRequire(import.meta.url);

/** Paths of the threaded build's files inside the installed tfjs-backend-wasm package. */
export function threadedWasmFiles(): { glue: string; wasm: string; workerModule: string } {
  const pkgDir = dirname(require.resolve(`${WASM_PKG}/package.json`));
  return {
    glue: join(pkgDir, 'wasm-out', `${THREADED}.js`),
    wasm: join(pkgDir, 'wasm-out', `${THREADED}.wasm`),
    workerModule: join(pkgDir, 'wasm-out', `${THREADED}.worker.js`),
  };
}

/**
 * The pthread worker script as a file Node's Worker can start. The package exports it as a string
 * (`wasmWorkerContents`, the same text tfjs turns into a blob URL in browsers); it is written once per content hash
 * to the temp folder.
 */
function workerScriptFile(workerModule: string): string {
  const { wasmWorkerContents } = require(workerModule) as { wasmWorkerContents: string };
  // As tfjs does for the blob: the template literal turned the script's "\n" escapes into real newlines.
  const text = wasmWorkerContents.replace(/\n/g, '\\n');
  const hash = createHash('sha256').update(text).digest('hex').slice(0, 16);
  const dir = join(tmpdir(), 'zoo-tfjs-wasm');
  const file = join(dir, `${THREADED}.worker.${hash}.cjs`);
  if (existsSync(file) && readFileSync(file, 'utf8') === text) return file;
  mkdirSync(dir, { recursive: true });
  const tmp = `${file}.${process.pid}.${Math.random().toString(36).slice(2)}.tmp`;
  writeFileSync(tmp, text);
  renameSync(tmp, file);
  return file;
}

/**
 * Evaluates the Emscripten glue as CommonJS, as `require` would, but with a `require` of its own whose `os.cpus()`
 * reports `2 * numThreads` cores. The C++ side caps the pthreadpool at `emscripten_num_logical_cores() / 2`, which
 * the glue answers from `os.cpus().length` in Node (half the machine); this lets the requested count through.
 */
function loadGlue(file: string, numThreads: number): WasmFactory {
  const base = createRequire(file);
  const cores = 2 * numThreads;
  const fakeOs = { ...os, cpus: () => { const real = os.cpus(); return Array.from({ length: cores }, (_, i) => real[i % Math.max(1, real.length)]); } };
  const glueRequire = Object.assign((id: string) => (id === 'os' || id === 'node:os' ? fakeOs : base(id)), base);
  const mod = { exports: {} as unknown };
  // Emscripten's Node glue also installs process-wide 'uncaughtException' / 'unhandledRejection' handlers that
  // rethrow (printing the whole minified glue line); it sees a `process` whose `on` skips those two.
  const glueProcess: NodeJS.Process = new Proxy(process, {
    get(target, key) {
      if (key === 'on') {
        return (event: string, listener: (...a: unknown[]) => void) =>
          event === 'uncaughtException' || event === 'unhandledRejection' ? glueProcess : target.on(event, listener);
      }
      const v = Reflect.get(target, key, target) as unknown;
      return typeof v === 'function' ? (v as (...a: unknown[]) => unknown).bind(target) : v;
    },
  });
  const source = `(function (exports, require, module, __filename, __dirname, process, Worker) {${readFileSync(file, 'utf8')}\n})`;
  const wrapper = runInThisContext(source, { filename: file }) as (...args: unknown[]) => void;
  wrapper.call(mod.exports, mod.exports, glueRequire, mod, file, dirname(file), glueProcess, LazyPthreadWorker);
  if (typeof mod.exports !== 'function') throw new Error(`${file} did not export the Emscripten module factory`);
  return mod.exports as WasmFactory;
}

/**
 * What the glue gets as `Worker`. Emscripten pre-creates 8 pthread workers and loads the whole wasm module into
 * each before it resolves (≈ 2 s and ≈ 130 MB on a small machine), though XNNPACK uses `numThreads - 1` of them. A
 * LazyPthreadWorker answers the 'load' handshake itself and starts a real Node worker only when `start()` is called
 * (for the workers XNNPACK will take, before the pool is created) or a thread is actually run on it.
 */
class LazyPthreadWorker extends EventEmitter {
  private real: RealWorker | null = null;
  private loadMessage: unknown = null;
  private started: Promise<void> | null = null;
  private realLoaded = false;
  private refd = true;

  constructor(private readonly path: string) {
    super();
  }

  postMessage(message: { cmd?: string } | null, transfer?: readonly Transferable[]): void {
    if (!this.real && message?.cmd === 'load') {
      this.loadMessage = message;
      setImmediate(() => this.emit('message', { cmd: 'loaded' }));
      return;
    }
    void this.start();
    this.real!.postMessage(message, transfer as never);
  }

  /** Starts the real worker (once); resolves when it has loaded the module. */
  start(): Promise<void> {
    if (this.started) return this.started;
    const real = new RealWorker(this.path);
    this.real = real;
    if (!this.refd) real.unref();
    this.started = new Promise<void>((resolve, reject) => {
      real.on('message', (data: { cmd?: string }) => {
        if (!this.realLoaded && data?.cmd === 'loaded') {
          this.realLoaded = true;
          resolve();
          return;
        }
        this.emit('message', data);
      });
      real.on('error', (e) => {
        reject(e);
        this.emit('error', e);
      });
      real.on('exit', (code) => {
        if (!this.realLoaded) reject(new Error(`a wasm pthread worker exited (code ${code}) before loading`));
      });
    });
    this.started.catch(() => undefined);
    real.postMessage(this.loadMessage);
    return this.started;
  }

  ref(): void {
    this.refd = true;
    this.real?.ref();
  }

  unref(): void {
    this.refd = false;
    this.real?.unref();
  }

  terminate(): Promise<number> {
    return this.real ? this.real.terminate() : Promise.resolve(0);
  }
}

function withTimeout<T>(p: Promise<T>, ms: number, what: string): Promise<T> {
  let timer: NodeJS.Timeout | undefined;
  const t = new Promise<never>((_, reject) => {
    timer = setTimeout(() => reject(new Error(`${what} did not start within ${ms} ms`)), ms);
    timer.unref?.();
  });
  return Promise.race([p, t]).finally(() => clearTimeout(timer));
}

/** Starts the threaded SIMD build and wraps it in the package's BackendWasm. */
async function createThreadedBackend(pkg: WasmPackage, numThreads: number, timeoutMs: number): Promise<tf.KernelBackend> {
  if (typeof SharedArrayBuffer === 'undefined') throw new Error('SharedArrayBuffer is not available');
  const files = threadedWasmFiles();
  const workerFile = workerScriptFile(files.workerModule);
  const factory = loadGlue(files.glue, numThreads);
  let aborted: string | undefined;
  const config: Record<string, unknown> = {
    // File paths, not blob URLs: the worker script, the glue the workers import, and the binary.
    locateFile: (path: string, prefix: string) => {
      if (path.endsWith('.worker.js')) return workerFile;
      if (path.endsWith('.wasm')) return files.wasm;
      return prefix + path;
    },
    mainScriptUrlOrBlob: files.glue,
    onAbort: (what: unknown) => {
      aborted = String(what);
    },
  };
  const module = await withTimeout(factory(config), timeoutMs, 'the threaded wasm build');
  // Start, and wait for, the workers XNNPACK's pool will take (Emscripten pops them from the end of the list).
  const unused = module.PThread?.unusedWorkers ?? [];
  const needed = unused.slice(Math.max(0, unused.length - (numThreads - 1)));
  await withTimeout(Promise.all(needed.map((w) => (w instanceof LazyPthreadWorker ? w.start() : undefined))), timeoutMs, 'the wasm pthread workers');
  if (aborted) throw new Error(`the threaded wasm build aborted: ${aborted}`);
  // The bridge tfjs' own init() attaches (backend_wasm.js).
  module.tfjs = {
    init: module.cwrap('init', null, []),
    initWithThreadsCount: module.cwrap('init_with_threads_count', null, ['number']),
    getThreadsCount: module.cwrap('get_threads_count', 'number', []),
    registerTensor: module.cwrap('register_tensor', null, ['number', 'number', 'number']),
    disposeData: module.cwrap('dispose_data', null, ['number']),
    dispose: module.cwrap('dispose', null, []),
  };
  pkg.setThreadsCount(numThreads);
  // XNNPACK's threads park in their workers between ops; Emscripten ref()s a worker when it starts a thread, which
  // would keep Node alive forever. Work only runs while the main thread waits on it, so the workers stay unref'd.
  const pthread = module.PThread;
  const quiet = (w: NodeWorker) => {
    w.ref = () => w;
    w.unref();
  };
  for (const w of pthread?.unusedWorkers ?? []) quiet(w);
  const backend = new pkg.BackendWasm(module);
  for (const w of pthread?.runningWorkers ?? []) quiet(w);
  return backend;
}

interface State {
  numThreads: number;
  info: Omit<NodeBackendInfo, 'backend'>;
}

let state: State | null = null;
let singleFactory: (() => tf.KernelBackend | Promise<tf.KernelBackend>) | null = null;

/**
 * Registers the `'wasm'` backend so that, when tfjs starts it, it is the threaded SIMD build with `numThreads`
 * threads (falling back to the single-threaded build with a one-line notice). Does not switch backends; call
 * `tf.setBackend('wasm')` (or core's `setBackend('wasm')`) after. Re-registering with another thread count while
 * wasm is running restarts it (tensors on it are lost), so call this before creating models.
 */
export async function prepareNodeWasm(options: NodeBackendOptions = {}): Promise<number> {
  // A thread count chosen earlier (setNodeBackend, or setBackend with numThreads) stays until one is asked for again.
  if (state && options.numThreads === undefined) return state.numThreads;
  const numThreads = resolveNumThreads(options.numThreads);
  const pkg = (await import(WASM_PKG)) as unknown as WasmPackage;
  // tfjs' own init() evaluates this async flag; code that reads it synchronously later (getBool) needs it settled.
  await tf.env().getAsync('WASM_HAS_SIMD_SUPPORT' as never);
  if (state && state.numThreads === numThreads) return numThreads;
  const running = tf.engine().registry.wasm as { wasm?: { tfjs?: { getThreadsCount?: () => number } } } | undefined;
  if (!state && running && options.numThreads === undefined) {
    // A wasm backend someone else started (tfjs' own loader): restarting it would drop its tensors. Leave it be.
    return running.wasm?.tfjs?.getThreadsCount?.() ?? 1;
  }
  singleFactory ??= tf.findBackendFactory('wasm');
  if (!singleFactory) throw new Error(`${WASM_PKG} did not register a 'wasm' backend`);
  const single = singleFactory;
  const wasActive = tf.engine().backendName === 'wasm';
  const notice = options.onNotice === undefined ? (m: string) => console.warn(m) : options.onNotice;
  const timeoutMs = options.timeoutMs ?? 60_000;
  const current: State = { numThreads, info: { threads: 1, simd: true, threaded: false } };
  state = current;
  const factory = async (): Promise<tf.KernelBackend> => {
    if (numThreads > 1) {
      try {
        const backend = await createThreadedBackend(pkg, numThreads, timeoutMs);
        current.info = { threads: pkg.getThreadsCount(), simd: true, threaded: true };
        return backend;
      } catch (e) {
        const reason = (e as Error).message?.split('\n')[0] ?? String(e);
        current.info = { threads: 1, simd: true, threaded: false, fallbackReason: reason };
        notice?.(`@zoo/core: wasm threads unavailable (${reason}); using the single-threaded SIMD build`);
      }
    }
    pkg.setThreadsCount(1);
    const backend = await single();
    current.info.threads = pkg.getThreadsCount();
    current.info.simd = tf.env().getBool('WASM_HAS_SIMD_SUPPORT' as never) as unknown as boolean;
    return backend;
  };
  if (tf.findBackendFactory('wasm')) tf.removeBackend('wasm');
  tf.registerBackend('wasm', factory, 2);
  if (wasActive) await tf.setBackend('wasm');
  return numThreads;
}

/**
 * Makes the wasm backend current in Node, multi-threaded by default: `numThreads` (or `ZOO_NUM_THREADS`, or
 * `os.availableParallelism()`) XNNPACK threads. Returns what is running.
 */
export async function setNodeBackend(options: NodeBackendOptions = {}): Promise<NodeBackendInfo> {
  await prepareNodeWasm(options);
  if (tf.engine().backendName !== 'wasm' && !(await tf.setBackend('wasm'))) throw new Error('the wasm backend failed to initialise');
  await tf.ready();
  return nodeBackendInfo();
}

/** What the Node wasm backend is running with (after `setNodeBackend` / `prepareNodeWasm`). */
export function nodeBackendInfo(): NodeBackendInfo {
  const backend = tf.getBackend();
  if (!state || backend !== 'wasm') return { backend, threads: 1, simd: false, threaded: false };
  return { backend, ...state.info };
}
