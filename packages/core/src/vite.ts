/**
 * `@zoo/core/vite`: a Vite (or Rollup / Rolldown) plugin that lets an app minify its bundle and keep
 * tfjs-backend-wasm's threads. tfjs starts its wasm thread workers from the source text of the emscripten factory
 * function (`wasmFactoryThreadedSimd.toString()`); a minifier rewrites that function so that the text no longer runs
 * on its own in a worker ("ReferenceError: e is not defined", and the backend never starts). The plugin replaces the
 * `.toString()` with the factory's original text, read from the package at build time, as a string literal, which
 * minifiers leave alone. Node only (build time); nothing of it reaches the page but that string.
 *
 *   import { tfjsWasmWorkerSource } from '@zoo/core/vite';
 *   export default defineConfig({ plugins: [tfjsWasmWorkerSource()] });
 */
import { readFileSync } from 'node:fs';
import { dirname, join } from 'node:path';

/** The factory's text exactly as `toString()` gives it unminified: the function the glue file's IIFE returns. */
export function threadedFactorySource(glue: string): string {
  const m = /\n {2}return \(\n(function\(WasmBackendModuleThreadedSimd\) \{[\s\S]*\n\})\n\);\n\}\)\(\);/.exec(glue);
  if (!m) throw new Error('tfjsWasmWorkerSource: the threaded factory was not found in tfjs-backend-wasm-threaded-simd.js (a tfjs-backend-wasm version this plugin does not know)');
  return m[1]!;
}

export interface VitePluginLike {
  name: string;
  enforce: 'pre';
  transform(code: string, id: string): { code: string; map: null } | null;
}

export function tfjsWasmWorkerSource(): VitePluginLike {
  return {
    name: 'zoo:tfjs-wasm-worker-source',
    enforce: 'pre',
    transform(code, id) {
      const file = id.split('?')[0]!.replace(/\\/g, '/');
      if (!/\/tfjs-backend-wasm\/dist\/backend_wasm\.js$/.test(file) || !code.includes('wasmFactoryThreadedSimd.toString()')) return null;
      const glue = readFileSync(join(dirname(file), '../wasm-out/tfjs-backend-wasm-threaded-simd.js'), 'utf8');
      return { code: code.replace('wasmFactoryThreadedSimd.toString()', JSON.stringify(threadedFactorySource(glue))), map: null };
    },
  };
}
