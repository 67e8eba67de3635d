/** `@zoo/core/node`: Node-only helpers (image decoding with sharp) on top of the browser-safe data pipeline. */
import type { DataConfig, DataConfigOverrides } from '../data/config.js';
import type { ImageTransform } from '../data/transforms.js';
import type { DecodeImageOptions } from './image.js';
import { createTransform, type NodeImageInput, nodeDecode } from './data.js';

export type { NodeImageInput } from './data.js';
export { type DecodeImageOptions, decodeImage } from './image.js';

/**
 * `createTransform` that also takes file paths and encoded bytes (PNG, JPEG, WebP…), decoded with sharp.
 * `maxPixels` caps decoded images (default 100 megapixels).
 */
export function createNodeTransform(config: DataConfig | DataConfigOverrides, options: DecodeImageOptions = {}): ImageTransform<NodeImageInput> {
  return createTransform<NodeImageInput>(config, { decode: (input) => nodeDecode(input, options), maxPixels: options.maxPixels });
}
export { createPool, type Pool, type PoolInput, type PoolOptions, type PoolOutputKind, type PoolResult, type RunOptions, packageRoot, pickExport, resolveModuleSpecifier } from './pool.js';
export {
  defaultNumThreads, MAX_NODE_THREADS, type NodeBackendInfo, type NodeBackendOptions, nodeBackendInfo, prepareNodeWasm, resolveNumThreads, setNodeBackend,
} from './threads.js';
