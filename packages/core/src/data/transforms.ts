/**
 * timm's eval transform (`transforms_imagenet_eval`): resize (per crop mode), center crop or pad, then ToTensor +
 * Normalize, here giving NHWC float32 tfjs tensors. The resize/crop part is pure TypeScript on raw 8-bit images
 * and gives the pixels timm gets from PIL.
 */
import * as tf from '@tensorflow/tfjs-core';
import { browserImageToRaw, isBrowserImageSource, type BrowserImageSource } from './browser.js';
import { type DataConfig, type DataConfigOverrides, DEFAULT_CROP_PCT, resolveDataConfig } from './config.js';
import { roundHalfEven } from '../layers/rounding.js';
import { centerCropOrPad } from './crop.js';
import { isRawImageLike, type RawImage, type RawImageLike, type RgbImage, toRgb } from './image.js';
import { isInterpolation, resizeImage } from './resize.js';

/** What the eval pipeline does to an image of a given size. */
export interface EvalPlan {
  /** Size after the resize step, `[H, W]` (equal to the input size when the resize is a no-op). */
  resize: [number, number];
  interpolation: string;
  /** Output size, `[H, W]`. */
  crop: [number, number];
  /** Per-channel fill where the crop pads (0 except in `border` mode, where it is `round(255 * mean)`). */
  fill: number[];
}

/**
 * The resize and crop timm's eval transform applies to a `width` x `height` image:
 * scale size `floor(size / cropPct)` per edge; `squash` resizes to exactly that; `border` fits the longest edge
 * (ResizeKeepRatio longest=1) and pads with the mean colour; `center` resizes the shortest edge (torchvision Resize
 * with an int size when the scale size is square, otherwise timm's ResizeKeepRatio, which always uses bilinear),
 * then center crops.
 */
export function evalPlan(config: DataConfig, width: number, height: number): EvalPlan {
  const [, th, tw] = config.inputSize;
  const cropPct = config.cropPct || DEFAULT_CROP_PCT;
  const sh = Math.floor(th / cropPct);
  const sw = Math.floor(tw / cropPct);
  const interpolation = config.interpolation;
  const crop: [number, number] = [th, tw];
  const keepRatio = (longest: boolean): [number, number] => {
    const rh = height / sh;
    const rw = width / sw;
    const ratio = longest ? Math.max(rh, rw) : Math.min(rh, rw);
    return [roundHalfEven(height / ratio), roundHalfEven(width / ratio)];
  };
  if (config.cropMode === 'squash') {
    return { resize: [sh, sw], interpolation, crop, fill: [0, 0, 0] };
  }
  if (config.cropMode === 'border') {
    const fill = config.mean.map((v) => Math.min(255, Math.max(0, roundHalfEven(255 * v))));
    return { resize: keepRatio(true), interpolation, crop, fill };
  }
  if (sh === sw) {
    // torchvision Resize(int): shortest edge to `sh`, longest edge int(sh * long / short)
    const short = Math.min(width, height);
    const long = Math.max(width, height);
    const newLong = Math.trunc((sh * long) / short);
    const resize: [number, number] = width <= height ? [newLong, sh] : [sh, newLong];
    return { resize, interpolation, crop, fill: [0, 0, 0] };
  }
  return { resize: keepRatio(false), interpolation: 'bilinear', crop, fill: [0, 0, 0] };
}

/** Resize + center crop (or pad) of an image as timm's eval transform does it; the RGB uint8 result, HWC. */
export function resizeCropImage(image: RawImageLike, config: DataConfig): RgbImage {
  if (!isInterpolation(config.interpolation)) {
    throw new Error(`unsupported interpolation '${config.interpolation}'`);
  }
  const rgb = toRgb(image);
  const plan = evalPlan(config, rgb.width, rgb.height);
  const [rh, rw] = plan.resize;
  const resized = rh === rgb.height && rw === rgb.width ? rgb : resizeImage(rgb, rw, rh, plan.interpolation);
  const out = centerCropOrPad(resized, plan.crop[0], plan.crop[1], plan.fill);
  // never hand back the caller's own buffer
  const data = out.data === image.data ? out.data.slice() : out.data;
  return { data, width: out.width, height: out.height, channels: 3 };
}

/**
 * ToTensor + Normalize in float32, as torch computes them: `(x / 255 - mean) / std`, each step rounded to float32.
 * Writes HWC values into `out` at `offset`.
 */
export function normalizeInto(img: RgbImage, mean: readonly number[], std: readonly number[], out: Float32Array, offset = 0): void {
  const m = [0, 1, 2].map((c) => Math.fround(mean[c] ?? mean[0]!));
  const s = [0, 1, 2].map((c) => Math.fround(std[c] ?? std[0]!));
  const { data } = img;
  const n = img.width * img.height;
  for (let i = 0; i < n; i++) {
    for (let c = 0; c < 3; c++) {
      const v = Math.fround(data[i * 3 + c]! / 255);
      out[offset + i * 3 + c] = Math.fround(v - m[c]!) / s[c]!;
    }
  }
}

/** Everything a transform accepts: raw images (incl. ImageData) and browser image sources, plus what a decoder takes. */
export type ImageInput = RawImageLike | BrowserImageSource;

/** Turns inputs a transform does not know (paths, encoded bytes…) into raw images; return undefined to pass. */
export type ImageDecoder = (input: unknown) => Promise<RawImageLike | undefined> | RawImageLike | undefined;

export interface CreateTransformOptions {
  /** Decoder tried first for inputs that are not raw images (e.g. the Node entry's `decodeImage`). */
  decode?: ImageDecoder;
  /** Refuse browser image sources with more pixels than this (default 100 megapixels). */
  maxPixels?: number;
}

export interface ImageTransform<I = ImageInput> {
  /** One image → `[1, H, W, 3]`; an array of n images → `[n, H, W, 3]`; float32, normalized. */
  (input: I | readonly I[]): Promise<tf.Tensor4D>;
  /** The RGB uint8 resize + crop of one image (before normalization), HWC. */
  resizeCrop(input: I): Promise<RgbImage>;
  /** The resolved data config the transform applies. */
  readonly config: DataConfig;
}

/** Converts any accepted input to a raw image. */
export async function toRawImage(input: unknown, decode?: ImageDecoder, maxPixels?: number): Promise<RawImage | RawImageLike> {
  if (isRawImageLike(input)) return input;
  if (decode) {
    const decoded = await decode(input);
    if (decoded) return decoded;
  }
  if (isBrowserImageSource(input)) return browserImageToRaw(input, { maxPixels });
  const what = typeof input === 'string' ? `the string '${input.length > 80 ? `${input.slice(0, 77)}...` : input}'` : input instanceof Uint8Array || input instanceof ArrayBuffer ? 'encoded bytes' : `a value of type ${typeof input}`;
  throw new Error(
    `unsupported image input (${what}): expected a raw image {data, width, height, channels}, ImageData or a browser image source. File paths and encoded bytes are decoded in Node by @zoo/core's node entry (with sharp installed); in a browser load them into an <img> or ImageBitmap first.`,
  );
}

function completeConfig(config: DataConfig | DataConfigOverrides): DataConfig {
  const c = config as Partial<DataConfig>;
  if (c.inputSize && c.interpolation && c.mean && c.std && c.cropPct && c.cropMode) return c as DataConfig;
  return resolveDataConfig({ overrides: { ...config }, pretrainedCfg: { inputSize: [3, 224, 224] } });
}

/**
 * timm's eval transform for a data config (see `resolveDataConfig`). Partial configs are completed with timm's defaults.
 */
export function createTransform<I = ImageInput>(
  config: DataConfig | DataConfigOverrides,
  options: CreateTransformOptions = {},
): ImageTransform<I> {
  const cfg = completeConfig(config);
  if (!isInterpolation(cfg.interpolation)) throw new Error(`unsupported interpolation '${cfg.interpolation}'`);
  if (cfg.inputSize[0] !== 3) throw new Error(`createTransform: only 3-channel (RGB) input sizes are supported, got ${cfg.inputSize[0]}`);
  const frozen: DataConfig = Object.freeze({ ...cfg, inputSize: [...cfg.inputSize], mean: [...cfg.mean], std: [...cfg.std] }) as DataConfig;
  const [, H, W] = frozen.inputSize;

  const resizeCrop = async (input: I): Promise<RgbImage> => {
    const raw = await toRawImage(input, options.decode, options.maxPixels);
    return resizeCropImage(raw, frozen);
  };

  const transform = async (input: I | readonly I[]): Promise<tf.Tensor4D> => {
    const list: readonly I[] = Array.isArray(input) ? (input as readonly I[]) : [input as I];
    if (list.length === 0) throw new Error('createTransform: empty batch');
    const crops = await Promise.all(list.map((x) => resizeCrop(x)));
    const per = H * W * 3;
    const buf = new Float32Array(list.length * per);
    for (let i = 0; i < crops.length; i++) normalizeInto(crops[i]!, frozen.mean, frozen.std, buf, i * per);
    return tf.tensor4d(buf, [list.length, H, W, 3], 'float32');
  };
  return Object.assign(transform, { resizeCrop, config: frozen }) as ImageTransform<I>;
}
