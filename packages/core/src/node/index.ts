/** `@zoo/core/node`: Node-only helpers (image decoding with sharp) on top of the browser-safe data pipeline. */
import type { DataConfig, DataConfigOverrides } from '../data/config.js';
import { isRawImageLike, type RawImageLike } from '../data/image.js';
import { createTransform, type ImageInput, type ImageTransform } from '../data/transforms.js';
import { type DecodeImageOptions, decodeImage } from './image.js';

export { type DecodeImageOptions, decodeImage } from './image.js';

/** Inputs of a Node transform: a file path, encoded image bytes (Uint8Array/Buffer, ArrayBuffer, Blob), or anything `createTransform` accepts. */
export type NodeImageInput = string | Uint8Array | ArrayBuffer | ImageInput;

async function nodeDecode(input: unknown, options: DecodeImageOptions): Promise<RawImageLike | undefined> {
  if (isRawImageLike(input)) return undefined;
  if (typeof input === 'string' || input instanceof Uint8Array || input instanceof ArrayBuffer) {
    return decodeImage(input, options);
  }
  if (typeof Blob !== 'undefined' && input instanceof Blob) return decodeImage(new Uint8Array(await input.arrayBuffer()), options);
  return undefined;
}

/**
 * `createTransform` that also takes file paths and encoded bytes (PNG, JPEG, WebP…), decoded with sharp.
 * `maxPixels` caps decoded images (default 100 megapixels).
 */
export function createNodeTransform(config: DataConfig | DataConfigOverrides, options: DecodeImageOptions = {}): ImageTransform<NodeImageInput> {
  return createTransform<NodeImageInput>(config, { decode: (input) => nodeDecode(input, options), maxPixels: options.maxPixels });
}
export {
  defaultNumThreads, MAX_NODE_THREADS, type NodeBackendInfo, type NodeBackendOptions, nodeBackendInfo, prepareNodeWasm, resolveNumThreads, setNodeBackend,
} from './threads.js';
export { createPool, type Pool, type PoolInput, type PoolOptions, type PoolOutputKind, type PoolResult, resolveModuleSpecifier, type RunOptions } from './pool.js';
