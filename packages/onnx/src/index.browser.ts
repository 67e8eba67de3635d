/**
 * `@zoo/onnx` for browsers: the same API as in Node, on onnxruntime-web (`wasm` by default; pass
 * `executionProviders: ['webgpu', 'wasm']` for WebGPU where the adapter exists). Where onnxruntime-web finds its
 * `.wasm` files is set with its own `env.wasm.wasmPaths` (re-exported here as `ortEnv`).
 */
import * as ort from 'onnxruntime-web';
import { createOnnxModel, type OrtLike } from './engine.js';

export { type ExportableModel, type ExportOnnxOptions, exportOnnx, OnnxExportError } from './export.js';
export type { OnnxEngine, OnnxModelOptions } from './engine.js';
export { decodeModel } from './proto.js';

/** onnxruntime-web's `env` (wasm paths, threads, proxy). */
export const ortEnv = ort.env;

/** Runs `model` (exported first) or ONNX `bytes` on onnxruntime-web. */
export const onnxModel = createOnnxModel(ort as unknown as OrtLike, {
  executionProviders: ['wasm'],
  configure: (o) => {
    if (o.threads) ort.env.wasm.numThreads = o.threads;
  },
});
