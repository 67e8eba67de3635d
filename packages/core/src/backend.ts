import * as tf from '@tensorflow/tfjs-core';

export type BackendName = 'auto' | 'wasm' | 'webgpu' | 'webgl' | 'cpu';

export interface BackendInfo {
  backend: string;
  threads: number;
  simd: boolean;
  reason: string;
}

export interface SetBackendOptions {
  /** Threads for the wasm backend (where threads are available). */
  numThreads?: number;
}

const isNode = typeof process !== 'undefined' && !!process.versions?.node && typeof (globalThis as { window?: unknown }).window === 'undefined';

async function importBackend(name: Exclude<BackendName, 'auto'>): Promise<void> {
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

function info(reason: string): BackendInfo {
  const backend = tf.getBackend();
  let threads = 1;
  let simd = false;
  if (backend === 'wasm') {
    simd = tf.env().getBool('WASM_HAS_SIMD_SUPPORT' as never) as unknown as boolean;
    const b = tf.backend() as unknown as { wasm?: { _getThreadsCount?: () => number } };
    threads = b.wasm?._getThreadsCount?.() ?? 1;
  }
  return { backend, threads, simd, reason };
}

/**
 * Selects the tfjs backend. In Node the default is wasm (SIMD); `'auto'` picks webgpu, then webgl, then wasm in a
 * browser and wasm in Node. Returns what it got and why.
 */
export async function setBackend(name: BackendName = 'auto', options: SetBackendOptions = {}): Promise<BackendInfo> {
  const order: Exclude<BackendName, 'auto'>[] = name === 'auto' ? (isNode ? ['wasm'] : ['webgpu', 'webgl', 'wasm']) : [name];
  const failures: string[] = [];
  if (options.numThreads !== undefined && !(Number.isInteger(options.numThreads) && options.numThreads >= 1)) {
    throw new RangeError(`numThreads must be a positive integer, got ${options.numThreads}`);
  }
  for (const b of order) {
    try {
      await importBackend(b);
      if (b === 'wasm' && options.numThreads) {
        const wasm = (await import('@tensorflow/tfjs-backend-wasm')) as unknown as { setThreadsCount?: (n: number) => void };
        wasm.setThreadsCount?.(options.numThreads);
      }
      if (await tf.setBackend(b)) {
        await tf.ready();
        return info(name === 'auto' ? `auto: first available of ${order.join(', ')}${failures.length ? ` (${failures.join('; ')})` : ''}` : 'requested');
      }
      failures.push(`${b} failed to initialise`);
    } catch (e) {
      failures.push(`${b}: ${(e as Error).message.split('\n')[0]}`);
    }
  }
  throw new Error(`no backend could be started: ${failures.join('; ')}`);
}

let defaultReady: Promise<void> | null = null;

/**
 * Makes sure a fast backend is active before the first forward: in Node, wasm unless the user already chose one
 * (the pure-JS cpu backend is never picked silently).
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
