/**
 * `createPool`: batch classification / feature extraction over many images with worker threads, each its own tfjs
 * instance and model. On a machine with n cores, n workers of one XNNPACK thread each keep every core busy on
 * whole images, which scales better than splitting each conv across threads.
 */
import { existsSync, readFileSync } from 'node:fs';
import { createRequire } from 'node:module';
import { availableParallelism, cpus } from 'node:os';
import { dirname, isAbsolute, join, resolve as resolvePath } from 'node:path';
import { fileURLToPath, pathToFileURL } from 'node:url';
import { Worker } from 'node:worker_threads';
import type { CreateModelOptions } from '../factory/build.js';

/** One image: preprocessed float32 HWC (`{ data, shape: [H, W, C] }`), or a file path / encoded bytes (decoded and transformed with the model's data config in the worker). */
export type PoolInput = { data: Float32Array; shape: number[] } | string | Uint8Array;

/** One result per image: logits `[numClasses]`, pre-logits `[numFeatures]`, or unpooled features (e.g. `[h, w, C]`). */
export interface PoolResult {
  data: Float32Array;
  shape: number[];
}

export type PoolOutputKind = 'logits' | 'preLogits' | 'features';

export interface PoolOptions {
  /** Model name as `createModel` takes it. */
  model: string;
  /** `createModel` options; must be structured-cloneable (a checkpoint as a path, not a function). */
  options?: CreateModelOptions;
  /** Worker threads. Default: `os.availableParallelism()`. */
  workers?: number;
  /** Module specifiers each worker imports before building the model, so the families register (e.g. `['@zoo/resnet']`). */
  modules?: string[];
  /** Where bare specifiers in `modules` are resolved from (a folder or file). Default: `process.cwd()`. */
  resolveFrom?: string;
  /** XNNPACK threads per worker. Default 1. */
  numThreads?: number;
  /** Images per forward inside a worker. Default 1. */
  batchSize?: number;
  /** What `run` returns by default. Default `'logits'`. */
  output?: PoolOutputKind;
}

export interface RunOptions {
  output?: PoolOutputKind;
}

export interface Pool {
  /** Runs every image through the model; results in input order. */
  run(images: readonly PoolInput[], options?: RunOptions): Promise<PoolResult[]>;
  /** Terminates the workers; pending runs reject. */
  close(): Promise<void>;
  readonly size: number;
}

/** What each worker is started with. */
export interface PoolWorkerData {
  model: string;
  options: CreateModelOptions;
  modules: string[];
  numThreads: number;
}

const here = import.meta.url;
/** Running from TypeScript sources (the workspace, through the `@zoo/source` condition) rather than dist. */
const fromSource = here.endsWith('.ts');

/** The folder of package `name` as Node's lookup finds it from `fromDir` (`node_modules` folders up the tree), or undefined. */
export function packageRoot(name: string, fromDir: string): string | undefined {
  for (let dir = fromDir; ; dir = dirname(dir)) {
    const candidate = join(dir, 'node_modules', name, 'package.json');
    if (existsSync(candidate)) return dirname(candidate);
    if (dirname(dir) === dir) return undefined;
  }
}

/** The target a package.json `exports` entry gives under `conditions` (strings, condition objects, fallback arrays). */
export function pickExport(entry: unknown, conditions: string[]): string | undefined {
  if (typeof entry === 'string') return entry;
  if (Array.isArray(entry)) {
    for (const e of entry) {
      const r = pickExport(e, conditions);
      if (r) return r;
    }
    return undefined;
  }
  if (entry && typeof entry === 'object') {
    for (const [k, v] of Object.entries(entry)) {
      if (conditions.includes(k)) {
        const r = pickExport(v, conditions);
        if (r) return r;
      }
    }
  }
  return undefined;
}

/**
 * Resolves a module specifier for a worker to import, as ESM `import` would from `from` (with the `@zoo/source`
 * condition when running from sources): relative and absolute paths, file URLs, and bare package names (root or
 * subpath exports, else `module`/`main`). Returns a file URL.
 */
export function resolveModuleSpecifier(spec: string, from: string = process.cwd(), conditions: string[] = fromSource ? ['@zoo/source', 'node', 'import', 'default'] : ['node', 'import', 'default']): string {
  if (spec.startsWith('file:') || spec.startsWith('node:') || spec.startsWith('data:')) return spec;
  const fromDir = existsSync(from) && !from.endsWith('.js') && !from.endsWith('.ts') ? from : dirname(from);
  if (spec.startsWith('.') || isAbsolute(spec)) return pathToFileURL(resolvePath(fromDir, spec)).href;
  const parts = spec.split('/');
  const name = spec.startsWith('@') ? parts.slice(0, 2).join('/') : parts[0]!;
  const sub = spec.slice(name.length);
  const root = packageRoot(name, resolvePath(fromDir));
  if (!root) throw new Error(`pool: cannot find package '${name}' from ${fromDir} (pass resolveFrom, or a path / file URL)`);
  const pkg = JSON.parse(readFileSync(join(root, 'package.json'), 'utf8')) as { exports?: unknown; module?: string; main?: string };
  let target: string | undefined;
  if (pkg.exports !== undefined) {
    const map = typeof pkg.exports === 'object' && pkg.exports && !Array.isArray(pkg.exports) && Object.keys(pkg.exports).some((k) => k.startsWith('.'))
      ? (pkg.exports as Record<string, unknown>)
      : { '.': pkg.exports };
    target = pickExport(map[`.${sub}`], conditions);
    if (!target) throw new Error(`pool: package '${name}' exports no '.${sub}' for conditions ${conditions.join(', ')}`);
  } else {
    target = sub ? `.${sub}` : (pkg.module ?? pkg.main ?? 'index.js');
  }
  return pathToFileURL(join(root, target)).href;
}

/** How a worker is started: dist runs the compiled entry; sources run the .ts entry under tsx's loader. */
function startWorker(data: PoolWorkerData): Worker {
  if (!fromSource) return new Worker(new URL('./pool-worker.js', here), { workerData: data });
  const require = createRequire(here);
  const pj = require.resolve('tsx/package.json');
  const tsxPkg = JSON.parse(readFileSync(pj, 'utf8')) as { exports: Record<string, any> };
  const apiRel = pickExport(tsxPkg.exports['./esm/api'], ['import', 'default']) ?? './dist/esm/api/index.mjs';
  const api = pathToFileURL(join(dirname(pj), apiRel)).href;
  const entry = new URL('./pool-worker.ts', here).href;
  const code = `import(${JSON.stringify(api)}).then((m) => { m.register(); return import(${JSON.stringify(entry)}); })` +
    `.catch((e) => require('node:worker_threads').parentPort.postMessage({ fatal: String(e && e.stack || e) }));`;
  return new Worker(code, { eval: true, workerData: data, execArgv: ['--conditions=@zoo/source'] });
}

interface Slot {
  worker: Worker;
  ready: boolean;
  /** Tasks posted to this worker and not answered yet. */
  inflight: number;
}

/**
 * Tasks a worker holds at once: the one it computes and the next, already in its inbox, so it never waits for this
 * thread to hand it work (with every core busy, that thread may not be scheduled for a while).
 */
const TASKS_PER_WORKER = 2;

interface Task {
  id: number;
  inputs: PoolInput[];
  output: PoolOutputKind;
  resolve(r: PoolResult[]): void;
  reject(e: Error): void;
}

/**
 * Starts `workers` worker threads, each importing `modules` and building `model` with `options`, and resolves once
 * all are ready (or rejects with the first worker's error, closing the rest).
 */
export async function createPool(options: PoolOptions): Promise<Pool> {
  const n = options.workers ?? Math.max(1, typeof availableParallelism === 'function' ? availableParallelism() : cpus().length);
  if (!Number.isInteger(n) || n < 1) throw new RangeError(`pool: workers must be a positive integer, got ${options.workers}`);
  const batchSize = options.batchSize ?? 1;
  if (!Number.isInteger(batchSize) || batchSize < 1) throw new RangeError(`pool: batchSize must be a positive integer, got ${options.batchSize}`);
  const from = options.resolveFrom ?? process.cwd();
  const data: PoolWorkerData = {
    model: options.model,
    options: options.options ?? {},
    modules: (options.modules ?? []).map((m) => resolveModuleSpecifier(m, from.startsWith('file:') ? fileURLToPath(from) : from)),
    numThreads: options.numThreads ?? 1,
  };
  const slots: Slot[] = [];
  const queue: Task[] = [];
  const inflight = new Map<number, { task: Task; slot: Slot }>();
  let nextId = 1;
  let closed = false;
  let fatal: Error | null = null;

  const failAll = (e: Error) => {
    for (const { task } of inflight.values()) task.reject(e);
    inflight.clear();
    for (const t of queue.splice(0)) t.reject(e);
  };

  // Idle workers first, then a second task for each, so a short run still spreads over every worker.
  const pump = () => {
    while (queue.length) {
      let slot: Slot | undefined;
      for (const s of slots) if (s.ready && s.inflight < TASKS_PER_WORKER && (!slot || s.inflight < slot.inflight)) slot = s;
      if (!slot) return;
      const task = queue.shift()!;
      slot.inflight++;
      inflight.set(task.id, { task, slot });
      slot.worker.postMessage({ id: task.id, inputs: task.inputs, output: task.output });
    }
  };

  const ready = Array.from({ length: n }, () => new Promise<void>((resolve, reject) => {
    const worker = startWorker(data);
    const slot: Slot = { worker, ready: false, inflight: 0 };
    slots.push(slot);
    worker.on('message', (msg: { ready?: boolean; fatal?: string; id?: number; results?: PoolResult[]; error?: string }) => {
      if (msg.ready) {
        slot.ready = true;
        resolve();
        pump();
        return;
      }
      if (msg.fatal !== undefined) {
        const e = new Error(`pool worker failed to start: ${msg.fatal}`);
        fatal ??= e;
        reject(e);
        return;
      }
      const entry = msg.id !== undefined ? inflight.get(msg.id) : undefined;
      if (!entry) return;
      inflight.delete(msg.id!);
      slot.inflight--;
      if (msg.error !== undefined) entry.task.reject(new Error(`pool worker: ${msg.error}`));
      else entry.task.resolve(msg.results!);
      pump();
    });
    worker.on('error', (e) => {
      const err = new Error(`pool worker crashed: ${e.message}`);
      fatal ??= err;
      reject(err);
      failAll(err);
    });
    worker.on('exit', (code) => {
      if (closed) return;
      const err = new Error(`pool worker exited (code ${code})`);
      fatal ??= err;
      reject(err);
      failAll(err);
    });
  }));

  const close = async () => {
    if (closed) return;
    closed = true;
    failAll(new Error('pool closed'));
    await Promise.all(slots.map((s) => s.worker.terminate()));
  };

  try {
    await Promise.all(ready);
  } catch (e) {
    await close();
    throw e;
  }

  const defaultOutput = options.output ?? 'logits';
  return {
    size: n,
    close,
    async run(images, runOptions = {}) {
      if (closed) throw new Error('pool is closed');
      if (fatal) throw fatal;
      const output = runOptions.output ?? defaultOutput;
      const chunks: Promise<PoolResult[]>[] = [];
      for (let i = 0; i < images.length; i += batchSize) {
        const inputs = images.slice(i, i + batchSize);
        chunks.push(new Promise<PoolResult[]>((resolve, reject) => {
          queue.push({ id: nextId++, inputs, output, resolve, reject });
        }));
      }
      pump();
      return (await Promise.all(chunks)).flat();
    },
  };
}
