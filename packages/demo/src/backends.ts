/**
 * The demo's backends: every tfjs backend is imported (registered) here so the bundler includes it, and the wasm
 * binaries are bundled as assets (Vite `?url`) and handed to core's setBackend as `wasmPaths`.
 */
import '@tensorflow/tfjs-backend-cpu';
import '@tensorflow/tfjs-backend-wasm';
import '@tensorflow/tfjs-backend-webgl';
import '@tensorflow/tfjs-backend-webgpu';
import wasmPlain from '@tensorflow/tfjs-backend-wasm/dist/tfjs-backend-wasm.wasm?url';
import wasmSimd from '@tensorflow/tfjs-backend-wasm/dist/tfjs-backend-wasm-simd.wasm?url';
import wasmThreadedSimd from '@tensorflow/tfjs-backend-wasm/dist/tfjs-backend-wasm-threaded-simd.wasm?url';
import { type BackendInfo, type BackendName, setBackend } from '@zoo/core';

export const WASM_PATHS = {
  'tfjs-backend-wasm.wasm': wasmPlain,
  'tfjs-backend-wasm-simd.wasm': wasmSimd,
  'tfjs-backend-wasm-threaded-simd.wasm': wasmThreadedSimd,
};

export const BACKEND_NAMES: BackendName[] = ['auto', 'webgpu', 'webgl', 'wasm', 'cpu'];

/** Core's setBackend with the bundled wasm binaries. */
export function useBackend(name: BackendName, allowSoftwareWebGPU = false): Promise<BackendInfo> {
  // `?threads=N` sets the wasm thread count (it applies when wasm first starts in the page).
  const threads = Number(new URLSearchParams(globalThis.location?.search ?? '').get('threads')) || undefined;
  return setBackend(name, { wasmPaths: WASM_PATHS, allowSoftwareWebGPU, numThreads: threads });
}
