import * as tf from '@tensorflow/tfjs-core';

/** A backend to ask for: `'auto'` picks the best one available (see {@link setBackend}). */
export type BackendName = 'auto' | 'wasm' | 'webgpu' | 'webgl' | 'cpu';

/** What {@link setBackend} got. */
export interface BackendInfo {
  /** The active tfjs backend. */
  backend: string;
  /** Threads the backend computes with (wasm: XNNPACK's thread pool; 1 without threads; GPU backends: 1). */
  threads: number;
  /** wasm: whether the SIMD binary runs. */
  simd: boolean;
  /** Why this backend (and thread count): what was asked, what was skipped and why. */
  reason: string;
}

/** The three binaries of `@tensorflow/tfjs-backend-wasm`, by file name. */
export type WasmBinaryName = 'tfjs-backend-wasm.wasm' | 'tfjs-backend-wasm-simd.wasm' | 'tfjs-backend-wasm-threaded-simd.wasm';

export interface SetBackendOptions {
  /**
   * wasm: threads for XNNPACK's pool, passed to tfjs' `setThreadsCount` before wasm starts. Threads exist only in a
   * cross-origin isolated page (COOP/COEP headers); tfjs' default there is `hardwareConcurrency / 2`, 1 to 4, and
   * tfjs 4.22 does not go above it (tensorflow/tfjs#8513). In Node (where tfjs' own loader is single-threaded) core
   * starts the threaded build itself: default `ZOO_NUM_THREADS`, else the machine's cores (at most 8) on the main
   * thread and 1 inside a worker thread; `1` is the single-threaded build. See `setNodeBackend` in `@zoo/core/node`.
   */
  numThreads?: number;
  /**
   * wasm: where the `.wasm` binaries are, for bundled apps (tfjs looks next to its own script otherwise): a folder URL
   * ending in `/`, or a URL per binary (e.g. Vite `?url` imports). Passed to tfjs' `setWasmPaths`; must be given
   * before the wasm backend first starts.
   */
  wasmPaths?: string | Partial<Record<WasmBinaryName, string>>;
  /**
   * Loaders for the backend packages. Core imports `@tensorflow/tfjs-backend-*` itself by default; webgl and webgpu
   * are optional peers that bundlers cannot see through that import, so in a bundled app either import them yourself
   * (`import '@tensorflow/tfjs-backend-webgl'`, which registers them) or pass `{ webgl: () => import('@tensorflow/tfjs-backend-webgl') }`.
   */
  loaders?: Partial<Record<Exclude<BackendName, 'auto'>, () => Promise<unknown>>>;
  /** `'auto'` skips a software WebGPU adapter (SwiftShader, `isFallbackAdapter`) unless this is true. Default false. */
  allowSoftwareWebGPU?: boolean;
  /**
   * `'auto'` skips a software WebGL renderer (SwiftShader, llvmpipe, softpipe, Microsoft Basic Render: 20–40× slower
   * than wasm) unless this is true. Default false.
   */
  allowSoftwareWebGL?: boolean;
  /**
   * Browser: how long the threaded wasm binary may take to start (ms) before core gives up on it and starts the
   * single-threaded one. A threaded start that hangs is almost always a minified bundle: the minifier broke the
   * worker source tfjs-backend-wasm builds from its own code (docs/browser.md, Bundling). Default 10 000.
   */
  wasmStartTimeoutMs?: number;
}

const isNode = typeof process !== 'undefined' && !!process.versions?.node && typeof (globalThis as { window?: unknown }).window === 'undefined';

const BACKENDS: readonly Exclude<BackendName, 'auto'>[] = ['webgpu', 'webgl', 'wasm', 'cpu'];

async function importBackend(name: Exclude<BackendName, 'auto'>, loaders: SetBackendOptions['loaders']): Promise<void> {
  const loader = loaders?.[name];
  if (loader) {
    await loader();
    return;
  }
  // Already registered (the app imported the package): nothing to load.
  if (tf.findBackendFactory(name)) return;
  switch (name) {
    case 'wasm':
      await import('@tensorflow/tfjs-backend-wasm');
      return;
    case 'cpu':
      await import('@tensorflow/tfjs-backend-cpu');
      return;
    case 'webgl':
      await import(/* @vite-ignore */ '@tensorflow/tfjs-backend-webgl' as string);
      return;
    case 'webgpu':
      await import(/* @vite-ignore */ '@tensorflow/tfjs-backend-webgpu' as string);
      return;
  }
}

interface WasmModule {
  setWasmPaths?: (p: string | Partial<Record<WasmBinaryName, string>>, usePlatformFetch?: boolean) => void;
  setThreadsCount?: (n: number) => void;
  getThreadsCount?: () => number;
}

async function wasmModule(): Promise<WasmModule> {
  return (await import('@tensorflow/tfjs-backend-wasm')) as unknown as WasmModule;
}

/**
 * Whether tfjs-backend-wasm's own loader can run threads here: in a browser page that is cross-origin isolated
 * (SharedArrayBuffer); never in Node, where it always loads its single-threaded binary (`setNodeBackend` from
 * `@zoo/core/node` starts the threaded build there).
 */
export function wasmThreadsAvailable(): { ok: boolean; why: string } {
  if (isNode) return { ok: false, why: "tfjs' wasm loader is single-threaded in Node (setNodeBackend from @zoo/core/node runs threads)" };
  const g = globalThis as { crossOriginIsolated?: boolean; SharedArrayBuffer?: unknown };
  if (typeof g.SharedArrayBuffer !== 'function') return { ok: false, why: 'no SharedArrayBuffer (the page is not cross-origin isolated: serve it with COOP/COEP headers)' };
  if (g.crossOriginIsolated === false) return { ok: false, why: 'the page is not cross-origin isolated (serve it with COOP/COEP headers)' };
  return { ok: true, why: 'cross-origin isolated' };
}

/** The first WebGPU adapter's description, or why there is none; `software` for SwiftShader / fallback adapters. */
async function probeWebGPU(): Promise<{ ok: boolean; software: boolean; why: string }> {
  const gpu = (globalThis as { navigator?: { gpu?: { requestAdapter(o?: unknown): Promise<any> } } }).navigator?.gpu;
  if (!gpu) return { ok: false, software: false, why: 'navigator.gpu is missing (no WebGPU in this browser or not a secure context)' };
  let adapter: any;
  try {
    adapter = await gpu.requestAdapter({ powerPreference: 'high-performance' });
  } catch (e) {
    return { ok: false, software: false, why: `requestAdapter failed: ${(e as Error).message}` };
  }
  if (!adapter) return { ok: false, software: false, why: 'no WebGPU adapter' };
  const info = adapter.info ?? {};
  const text = [info.vendor, info.architecture, info.device, info.description].filter(Boolean).join(' ');
  const software = adapter.isFallbackAdapter === true || info.isFallbackAdapter === true || /swiftshader/i.test(text);
  return { ok: true, software, why: software ? `software WebGPU adapter (${text || 'fallback'})` : text };
}

/** The WebGL renderer's name (unmasked where the browser allows), and whether it renders in software. */
function probeWebGL(): { ok: boolean; software: boolean; why: string } {
  const g = globalThis as { OffscreenCanvas?: new (w: number, h: number) => { getContext(t: string): unknown }; document?: { createElement(t: string): { getContext(t: string): unknown } } };
  let canvas: { getContext(t: string): unknown } | undefined;
  try {
    canvas = g.OffscreenCanvas ? new g.OffscreenCanvas(1, 1) : g.document?.createElement('canvas');
  } catch {
    canvas = undefined;
  }
  const gl = (canvas?.getContext('webgl2') ?? canvas?.getContext('webgl')) as
    | { getExtension(n: string): any; getParameter(p: number): unknown; RENDERER: number }
    | null
    | undefined;
  if (!gl) return { ok: false, software: false, why: 'no WebGL context' };
  const ext = gl.getExtension('WEBGL_debug_renderer_info');
  const renderer = String(gl.getParameter(ext ? ext.UNMASKED_RENDERER_WEBGL : gl.RENDERER) ?? '');
  gl.getExtension('WEBGL_lose_context')?.loseContext();
  const software = /swiftshader|llvmpipe|softpipe|software rasterizer|basic render/i.test(renderer);
  return { ok: true, software, why: software ? `software WebGL renderer (${renderer})` : renderer };
}

const WASM_START_TIMEOUT_MS = 10_000;

/** `tf.setBackend(name)` then `tf.ready()`: whether it started. */
async function startBackend(name: string): Promise<boolean> {
  if (!(await tf.setBackend(name))) return false;
  await tf.ready();
  return true;
}

/** Resolves to `'timeout'` when `p` takes longer than `ms`. */
function deadline<T>(p: Promise<T>, ms: number): Promise<T | 'timeout'> {
  let timer: ReturnType<typeof setTimeout> | undefined;
  return Promise.race([p, new Promise<'timeout'>((r) => (timer = setTimeout(() => r('timeout'), ms)))]).finally(() => clearTimeout(timer));
}

/**
 * Browser: starts wasm with a deadline. When the threaded binary does not start in time (its workers died: a
 * minified worker source), the backend is re-registered and started single-threaded instead.
 */
async function startWasmBrowser(options: SetBackendOptions, notes: string[]): Promise<boolean> {
  const ms = options.wasmStartTimeoutMs ?? WASM_START_TIMEOUT_MS;
  if (!(Number.isFinite(ms) && ms > 0)) throw new RangeError(`wasmStartTimeoutMs must be a positive number, got ${ms}`);
  const engine = tf.engine() as unknown as { registryFactory: Record<string, { factory: () => unknown; priority: number }> };
  const entry = engine.registryFactory.wasm;
  const first = await deadline(startBackend('wasm'), ms);
  if (first !== 'timeout') return first;
  const threaded = (await tf.env().getAsync('WASM_HAS_MULTITHREAD_SUPPORT' as never)) as unknown as boolean;
  if (!threaded || !entry) throw new Error(`wasm did not start within ${ms} ms`);
  // Drop the hung start and start again on the single-threaded SIMD binary.
  tf.removeBackend('wasm');
  tf.registerBackend('wasm', entry.factory as never, entry.priority);
  tf.env().set('WASM_HAS_MULTITHREAD_SUPPORT' as never, false as never);
  notes.push(
    `threaded wasm did not start within ${ms} ms, so the single-threaded binary runs: its workers most likely died ` +
      "(\"ReferenceError: e is not defined\" in the console), which a minifier causes by rewriting the worker source tfjs-backend-wasm builds from its own code; " +
      'keep @tensorflow/tfjs-backend-wasm unminified (docs/browser.md, Bundling)',
  );
  const second = await deadline(startBackend('wasm'), ms);
  if (second === 'timeout') throw new Error(`wasm did not start within ${ms} ms, threaded or not`);
  return second;
}

async function describe(head: string, notes: string[]): Promise<BackendInfo> {
  const backend = tf.getBackend();
  let threads = 1;
  let simd = false;
  if (backend === 'wasm') {
    simd = (await tf.env().getAsync('WASM_HAS_SIMD_SUPPORT' as never)) as unknown as boolean;
    const threaded = (await tf.env().getAsync('WASM_HAS_MULTITHREAD_SUPPORT' as never)) as unknown as boolean;
    try {
      threads = (await wasmModule()).getThreadsCount?.() ?? 1;
    } catch {
      threads = 1;
    }
    const t = wasmThreadsAvailable();
    if (isNode) notes.push(threads > 1 ? `${threads} XNNPACK threads (threaded SIMD build started by @zoo/core)` : `single-threaded ${simd ? 'SIMD ' : ''}build (1 thread asked for, or a worker thread, or threads could not start)`);
    else if (threads > 1) notes.push(`${threads} XNNPACK threads${t.ok ? ` (threaded SIMD binary, ${t.why})` : ''}`);
    else if (threaded && simd) notes.push(`threaded SIMD binary (${t.why}), 1 XNNPACK thread (tfjs: hardwareConcurrency / 2, 1 to 4)`);
    else notes.push(`single-threaded ${simd ? 'SIMD ' : ''}binary: ${threaded ? 'no SIMD' : t.ok ? 'threads turned off' : t.why}`);
  }
  return { backend, threads, simd, reason: [head, ...notes].join('; ') };
}

let wasmPathsSet: string | undefined;

async function prepareWasm(options: SetBackendOptions, notes: string[]): Promise<void> {
  const wasm = await wasmModule();
  if (options.wasmPaths !== undefined) {
    const key = JSON.stringify(options.wasmPaths);
    if (wasmPathsSet !== key) {
      try {
        wasm.setWasmPaths?.(options.wasmPaths);
        wasmPathsSet = key;
      } catch (e) {
        // tfjs refuses once the wasm backend has started: the binaries already loaded are kept.
        notes.push(`wasmPaths ignored: ${(e as Error).message.split('\n')[0]}`);
      }
    }
  }
  if (options.numThreads) wasm.setThreadsCount?.(options.numThreads);
  if (isNode) {
    // Node: tfjs' own loader is single-threaded; @zoo/core/node starts the threaded SIMD build with numThreads,
    // ZOO_NUM_THREADS, or the machine's cores on the main thread (1 in a worker thread).
    const mod = await importNodeThreads();
    await mod.prepareNodeWasm({ numThreads: options.numThreads });
  }
}

/**
 * Core's Node thread loader, by a path in a variable so that browser bundlers never follow it into `node:` modules.
 * Run from TypeScript sources by a loader that maps `.js` to `.ts` only for static imports (vitest), the `.js` file
 * does not exist: the `.ts` one is taken then.
 */
async function importNodeThreads(): Promise<{ prepareNodeWasm(o: { numThreads?: number }): Promise<unknown> }> {
  const js = './node/threads.js';
  try {
    return await import(/* @vite-ignore */ js);
  } catch (e) {
    if (!import.meta.url.endsWith('.ts')) throw e;
    const ts = './node/threads.ts';
    return await import(/* @vite-ignore */ ts);
  }
}

/**
 * Selects the tfjs backend and says what it got: `{ backend, threads, simd, reason }`.
 *
 * - `'auto'`: in Node, wasm (SIMD, threads). In a browser the first that starts of webgpu (a hardware adapter; a
 *   software one such as SwiftShader is skipped unless `allowSoftwareWebGPU`), webgl (a hardware renderer; SwiftShader
 *   or llvmpipe is skipped unless `allowSoftwareWebGL`), wasm, then cpu.
 * - In a browser wasm has a start-up deadline (`wasmStartTimeoutMs`): a threaded start that hangs falls back to the
 *   single-threaded binary, and `reason` says why.
 * - A named backend is that one or an error saying why it could not start.
 *
 * wasm uses threads where it can (Node; a cross-origin isolated page), SIMD where the engine has it. In a bundled app
 * give `wasmPaths` (where the `.wasm` files are served) and import the GPU backends you want (see `loaders`).
 */
export async function setBackend(name: BackendName = 'auto', options: SetBackendOptions = {}): Promise<BackendInfo> {
  if (name !== 'auto' && !BACKENDS.includes(name)) {
    throw new RangeError(`unknown backend '${name}': expected one of auto, ${BACKENDS.join(', ')}`);
  }
  if (options.numThreads !== undefined && !(Number.isInteger(options.numThreads) && options.numThreads >= 1)) {
    throw new RangeError(`numThreads must be a positive integer, got ${options.numThreads}`);
  }
  const order: Exclude<BackendName, 'auto'>[] = name === 'auto' ? (isNode ? ['wasm'] : ['webgpu', 'webgl', 'wasm', 'cpu']) : [name];
  const skipped: string[] = [];
  for (const b of order) {
    const notes: string[] = [];
    try {
      if (b === 'webgpu' && !isNode) {
        const probe = await probeWebGPU();
        if (!probe.ok) {
          skipped.push(`webgpu: ${probe.why}`);
          continue;
        }
        if (probe.software && name === 'auto' && !options.allowSoftwareWebGPU) {
          skipped.push(`webgpu: ${probe.why} skipped (allowSoftwareWebGPU: true to use it)`);
          continue;
        }
        notes.push(`adapter: ${probe.why}`);
      }
      if (b === 'webgl' && !isNode && name === 'auto' && !options.allowSoftwareWebGL) {
        const probe = probeWebGL();
        if (probe.software) {
          skipped.push(`webgl: ${probe.why} skipped (allowSoftwareWebGL: true to use it)`);
          continue;
        }
      }
      await importBackend(b, options.loaders);
      if (!tf.findBackendFactory(b)) {
        skipped.push(`${b}: not registered (the package did not register it here${b === 'webgpu' ? ': no WebGPU' : ''})`);
        continue;
      }
      if (b === 'wasm') await prepareWasm(options, notes);
      const started = b === 'wasm' && !isNode ? await startWasmBrowser(options, notes) : await startBackend(b);
      if (started) {
        const head = name === 'auto' ? `auto: ${b}${isNode ? ' (Node default)' : ''}` : `requested ${b}`;
        return await describe(head, [...(skipped.length ? [`skipped ${skipped.join('; ')}`] : []), ...notes]);
      }
      skipped.push(`${b}: failed to initialise`);
    } catch (e) {
      skipped.push(`${b}: ${(e as Error).message.split('\n')[0]}`);
    }
  }
  throw new Error(`no backend could be started: ${skipped.join('; ')}`);
}

let defaultReady: Promise<void> | null = null;

/**
 * Makes sure a fast backend is active before the first forward: in Node, wasm unless the user already chose one
 * (the pure-JS cpu backend is never picked silently); in a browser `'auto'` unless one was chosen.
 */
export function ensureBackend(): Promise<void> {
  defaultReady ??= (async () => {
    const current = tf.engine().backendName;
    if (current && current !== 'cpu') return;
    if (isNode) await setBackend('wasm');
    else if (!current) await setBackend('auto');
  })();
  return defaultReady;
}
