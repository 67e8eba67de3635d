/**
 * `@zoo/onnx` for Node: `exportOnnx` (any registered model → ONNX bytes) and `onnxModel` (run a model or an ONNX
 * file on onnxruntime-node, `model.forward`'s conventions). Browsers get `./index.browser.ts` (onnxruntime-web)
 * through the package's `browser` export condition.
 */
import * as ort from 'onnxruntime-node';
import { createOnnxModel, type OrtLike } from './engine.js';

export { type ExportableModel, type ExportOnnxOptions, exportOnnx, OnnxExportError } from './export.js';
export type { OnnxEngine, OnnxModelOptions } from './engine.js';
export { decodeModel } from './proto.js';

/** Runs `model` (exported first) or ONNX `bytes` on onnxruntime-node (CPU execution provider by default). */
export const onnxModel = createOnnxModel(ort as unknown as OrtLike, { executionProviders: ['cpu'] });
