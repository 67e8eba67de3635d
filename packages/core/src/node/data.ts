/**
 * The data entry points of `@zoo/core` as Node resolves them (the `node` export condition): `createTransform` and
 * `classify` also take file paths and encoded image bytes (PNG, JPEG, WebP…), decoded with the optional peer `sharp`
 * on first use. Browsers resolve the plain entry and never load this file (or sharp).
 */
import { type ClassifierLike, type ClassifyOptions, type ClassPrediction, classify as classifyImages } from '../data/classify.js';
import { type DataConfig, type DataConfigOverrides, resolveDataConfig } from '../data/config.js';
import { isRawImageLike, type RawImageLike } from '../data/image.js';
import { type CreateTransformOptions, createTransform as createImageTransform, type ImageInput, type ImageTransform } from '../data/transforms.js';
import { type DecodeImageOptions, decodeImage } from './image.js';

/** Inputs of a Node transform: a file path, encoded image bytes (Uint8Array/Buffer, ArrayBuffer, Blob), or anything the browser transform takes. */
export type NodeImageInput = string | Uint8Array | ArrayBuffer | Blob | ImageInput;

/** Decodes paths and encoded bytes with sharp; raw images and browser sources pass through. */
export async function nodeDecode(input: unknown, options: DecodeImageOptions = {}): Promise<RawImageLike | undefined> {
  if (isRawImageLike(input)) return undefined;
  if (typeof input === 'string' || input instanceof Uint8Array || input instanceof ArrayBuffer) {
    return decodeImage(input, options);
  }
  if (typeof Blob !== 'undefined' && input instanceof Blob) return decodeImage(new Uint8Array(await input.arrayBuffer()), options);
  return undefined;
}

/** timm's eval transform (see the browser `createTransform`) that also takes file paths and encoded bytes. */
export function createTransform<I = NodeImageInput>(config: DataConfig | DataConfigOverrides, options: CreateTransformOptions = {}): ImageTransform<I> {
  return createImageTransform<I>(config, { ...options, decode: options.decode ?? ((input) => nodeDecode(input, { maxPixels: options.maxPixels })) });
}

/** `classify` whose default transform takes file paths and encoded bytes: `await classify(model, 'cat.jpg')`. */
export function classify<I = NodeImageInput>(model: ClassifierLike, images: I | readonly I[], options: ClassifyOptions<I> = {}): Promise<ClassPrediction[][]> {
  const transform = options.transform ?? createTransform<I>(resolveDataConfig({ model }));
  return classifyImages<I>(model, images, { ...options, transform });
}
