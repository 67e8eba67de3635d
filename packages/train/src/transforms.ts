/**
 * timm's training transform (`create_transform(is_training=True)` → `transforms_imagenet_train`) on raw 8-bit images:
 * RandomResizedCrop (scale, ratio, interpolation or timm's 'random' bilinear/bicubic), horizontal flip, color jitter
 * (torchvision's ColorJitter over PIL's ImageEnhance: brightness, contrast, saturation, in random order) or
 * RandAugment (`autoAugment: 'rand-m9-mstd0.5'`, see transforms-randaugment.ts), then
 * ToTensor + Normalize, as NHWC float32. Every random draw comes from the {@link Rng} passed in, so a seed fixes
 * the pipeline. The eval transform is core's (`resizeCropImage`), timm's `transforms_imagenet_eval`.
 */
import { type DataConfig, type DataConfigOverrides, type Interpolation, isInterpolation, type RawImageLike, type RgbImage, resizeCropImage, resizeImage, resolveDataConfig, roundHalfEven, toRgb } from '@zoo/core';
import type { Rng } from './data/random.js';
import { createRandAugment } from './transforms-randaugment.js';

/** A crop box: top row `i`, left column `j`, height `h`, width `w` (torchvision's order). */
export interface CropBox {
  i: number;
  j: number;
  h: number;
  w: number;
}

/** The draws RandomResizedCrop needs (an {@link Rng} has them); torch's `uniform_` and `randint` bounds. */
export interface CropDraws {
  uniform(lo: number, hi: number): number;
  int(lo: number, hi: number): number;
}

/**
 * torchvision's `RandomResizedCrop.get_params` (timm's RandomResizedCropAndInterpolation): up to ten tries of an
 * area fraction in `scale` and a log-uniform aspect ratio in `ratio`, the first box that fits placed uniformly;
 * else the whole image cut to the nearest allowed ratio, centred.
 */
export function randomResizedCropBox(width: number, height: number, scale: readonly [number, number], ratio: readonly [number, number], rng: CropDraws): CropBox {
  const area = width * height;
  // torchvision takes the log of the ratio bounds, and the exp of the draw, in float32
  const logRatio = [Math.fround(Math.log(Math.fround(ratio[0]))), Math.fround(Math.log(Math.fround(ratio[1])))] as const;
  for (let attempt = 0; attempt < 10; attempt++) {
    const targetArea = area * rng.uniform(scale[0], scale[1]);
    const aspect = Math.fround(Math.exp(rng.uniform(logRatio[0], logRatio[1])));
    const w = roundHalfEven(Math.sqrt(targetArea * aspect));
    const h = roundHalfEven(Math.sqrt(targetArea / aspect));
    if (w > 0 && w <= width && h > 0 && h <= height) {
      const i = rng.int(0, height - h + 1);
      const j = rng.int(0, width - w + 1);
      return { i, j, h, w };
    }
  }
  const inRatio = width / height;
  let w: number;
  let h: number;
  if (inRatio < Math.min(ratio[0], ratio[1])) {
    w = width;
    h = roundHalfEven(w / Math.min(ratio[0], ratio[1]));
  } else if (inRatio > Math.max(ratio[0], ratio[1])) {
    h = height;
    w = roundHalfEven(h * Math.max(ratio[0], ratio[1]));
  } else {
    w = width;
    h = height;
  }
  return { i: Math.trunc((height - h) / 2), j: Math.trunc((width - w) / 2), h, w };
}

/** PIL's `crop` + `resize` of a box (torchvision's `resized_crop` on a PIL image). Boxes past the edge read zeros. */
export function resizedCrop(img: RgbImage, box: CropBox, outW: number, outH: number, interpolation: Interpolation): RgbImage {
  const { i, j, h, w } = box;
  const crop = new Uint8Array(w * h * 3);
  for (let y = 0; y < h; y++) {
    const sy = i + y;
    if (sy < 0 || sy >= img.height) continue;
    for (let x = 0; x < w; x++) {
      const sx = j + x;
      if (sx < 0 || sx >= img.width) continue;
      const s = (sy * img.width + sx) * 3;
      const d = (y * w + x) * 3;
      crop[d] = img.data[s]!;
      crop[d + 1] = img.data[s + 1]!;
      crop[d + 2] = img.data[s + 2]!;
    }
  }
  const out = w === outW && h === outH ? { data: crop, width: w, height: h } : resizeImage({ data: crop, width: w, height: h, channels: 3 }, outW, outH, interpolation);
  return { data: out.data as Uint8Array, width: outW, height: outH, channels: 3 };
}

/** PIL's `transpose(FLIP_LEFT_RIGHT)`. */
export function hflip(img: RgbImage): RgbImage {
  const out = new Uint8Array(img.data.length);
  const { width: W, height: H } = img;
  for (let y = 0; y < H; y++) {
    for (let x = 0; x < W; x++) {
      const s = (y * W + x) * 3;
      const d = (y * W + (W - 1 - x)) * 3;
      out[d] = img.data[s]!;
      out[d + 1] = img.data[s + 1]!;
      out[d + 2] = img.data[s + 2]!;
    }
  }
  return { ...img, data: out };
}

/** PIL's RGB → L: `(19595 R + 38470 G + 7471 B + 0x8000) >> 16`. */
function luma(r: number, g: number, b: number): number {
  return (r * 19595 + g * 38470 + b * 7471 + 0x8000) >> 16;
}

/**
 * PIL's `Image.blend(degenerate, img, factor)` as ImageEnhance uses it: `degenerate + factor · (img − degenerate)` in
 * single precision, truncated (and clipped to 0…255 when `factor` is outside [0, 1]).
 */
function blend(degenerate: (k: number) => number, img: RgbImage, factor: number): RgbImage {
  const a = Math.fround(factor);
  const out = new Uint8Array(img.data.length);
  for (let k = 0; k < out.length; k++) {
    const d = degenerate(k);
    const v = Math.fround(d + Math.fround(a * (img.data[k]! - d)));
    out[k] = v <= 0 ? 0 : v >= 255 ? 255 : Math.trunc(v);
  }
  return { ...img, data: out };
}

/** PIL's `ImageEnhance.Brightness(img).enhance(f)`: a blend with black. */
export function adjustBrightness(img: RgbImage, factor: number): RgbImage {
  return blend(() => 0, img, factor);
}

/** PIL's `ImageEnhance.Contrast(img).enhance(f)`: a blend with the rounded mean of the image's L (gray) values. */
export function adjustContrast(img: RgbImage, factor: number): RgbImage {
  let sum = 0;
  const n = img.width * img.height;
  for (let p = 0; p < n; p++) sum += luma(img.data[p * 3]!, img.data[p * 3 + 1]!, img.data[p * 3 + 2]!);
  const mean = Math.trunc(sum / n + 0.5);
  return blend(() => mean, img, factor);
}

/** PIL's `ImageEnhance.Color(img).enhance(f)` (saturation): a blend with the image's gray (L) version. */
export function adjustSaturation(img: RgbImage, factor: number): RgbImage {
  const gray = new Uint8Array(img.width * img.height);
  for (let p = 0; p < gray.length; p++) gray[p] = luma(img.data[p * 3]!, img.data[p * 3 + 1]!, img.data[p * 3 + 2]!);
  return blend((k) => gray[Math.floor(k / 3)]!, img, factor);
}

export interface TrainTransformOptions {
  /** RandomResizedCrop area fraction range. Default [0.08, 1] (timm's). */
  scale?: [number, number];
  /** RandomResizedCrop aspect ratio range. Default [3/4, 4/3]. */
  ratio?: [number, number];
  /** Resize interpolation, or 'random' (bilinear or bicubic per image, timm's train default). Default: the config's. */
  interpolation?: Interpolation | 'random';
  /** Horizontal flip probability. Default 0.5. */
  hflip?: number;
  /** Color jitter strength (brightness, contrast, saturation; or the three separately); 0 for none. Default 0.4. */
  colorJitter?: number | [number, number, number];
  /**
   * timm's `auto_augment`: a RandAugment string such as `'rand-m9-mstd0.5'`, applied after the flip. As in timm, it
   * turns color jitter off (unless `forceColorJitter`).
   */
  autoAugment?: string;
  forceColorJitter?: boolean;
}

/** One training sample: image in, normalized HWC float32 out (channels = the config's `inputSize[0]`, 1 or 3). */
export interface SampleTransform {
  (image: RawImageLike, rng: Rng): Float32Array;
  readonly config: DataConfig;
}

function completeConfig(config: DataConfig | DataConfigOverrides): DataConfig {
  const c = config as Partial<DataConfig>;
  if (c.inputSize && c.interpolation && c.mean && c.std && c.cropPct && c.cropMode) return c as DataConfig;
  return resolveDataConfig({ overrides: { ...config }, pretrainedCfg: { inputSize: [3, 224, 224] } });
}

/** ToTensor + Normalize (as core's `normalizeInto`), to 3 channels or to 1 (PIL's L of the RGB pixels). */
function normalize(img: RgbImage, config: DataConfig): Float32Array {
  const chans = config.inputSize[0];
  const n = img.width * img.height;
  const out = new Float32Array(n * chans);
  const m = Array.from({ length: chans }, (_, c) => Math.fround(config.mean[c] ?? config.mean[0]!));
  const s = Array.from({ length: chans }, (_, c) => Math.fround(config.std[c] ?? config.std[0]!));
  const d = img.data;
  for (let p = 0; p < n; p++) {
    if (chans === 1) {
      out[p] = Math.fround(Math.fround(luma(d[p * 3]!, d[p * 3 + 1]!, d[p * 3 + 2]!) / 255) - m[0]!) / s[0]!;
      continue;
    }
    for (let c = 0; c < 3; c++) out[p * 3 + c] = Math.fround(Math.fround(d[p * 3 + c]! / 255) - m[c]!) / s[c]!;
  }
  return out;
}

function checkChannels(config: DataConfig, who: string): void {
  const c = config.inputSize[0];
  if (c !== 1 && c !== 3) throw new RangeError(`${who}: inputSize must have 1 or 3 channels, got ${c}`);
}

/**
 * timm's `transforms_imagenet_train` (no auto-augment, no random erasing): RandomResizedCrop to the config's input
 * size, horizontal flip, ColorJitter, normalize with the config's mean and std.
 */
export function createTrainTransform(config: DataConfig | DataConfigOverrides, options: TrainTransformOptions = {}): SampleTransform {
  const cfg = completeConfig(config);
  checkChannels(cfg, 'createTrainTransform');
  const scale = options.scale ?? [0.08, 1];
  const ratio = options.ratio ?? [3 / 4, 4 / 3];
  const interp = options.interpolation ?? cfg.interpolation;
  if (interp !== 'random' && !isInterpolation(interp)) throw new RangeError(`createTrainTransform: unknown interpolation '${interp}'`);
  const flipP = options.hflip ?? 0.5;
  const cj = options.autoAugment && !options.forceColorJitter ? 0 : (options.colorJitter ?? 0.4);
  const [jb, jc, js] = typeof cj === 'number' ? [cj, cj, cj] : cj;
  // timm's aa_params: the mean colour as fill, the train interpolation unless it is 'random'
  const randAugment = options.autoAugment
    ? createRandAugment(options.autoAugment, {
        imgMean: [0, 1, 2].map((c) => Math.min(255, roundHalfEven(255 * (cfg.mean[c] ?? cfg.mean[0]!)))),
        interpolation: interp === 'random' ? 'random' : interp === 'bicubic' || interp === 'nearest' ? interp : 'bilinear',
      })
    : undefined;
  for (const [k, v] of [['scale', scale], ['ratio', ratio]] as const) {
    if (!(v[0] > 0 && v[0] <= v[1])) throw new RangeError(`createTrainTransform: ${k} must be [lo, hi] with 0 < lo <= hi, got [${v.join(', ')}]`);
  }
  const [, H, W] = cfg.inputSize;
  const transform = (image: RawImageLike, rng: Rng): Float32Array => {
    let img = toRgb(image);
    const box = randomResizedCropBox(img.width, img.height, scale, ratio, rng);
    const method: Interpolation = interp === 'random' ? (rng.random() < 0.5 ? 'bilinear' : 'bicubic') : interp;
    img = resizedCrop(img, box, W, H, method);
    if (flipP > 0 && rng.random() < flipP) img = hflip(img);
    if (randAugment) img = randAugment(img, rng);
    if (jb || jc || js) {
      // torchvision's ColorJitter: the order of the adjustments is a random permutation, each factor uniform
      const factor = (x: number) => (x ? rng.uniform(Math.max(0, 1 - x), 1 + x) : undefined);
      const order = rng.permutation(4);
      const fb = factor(jb);
      const fc = factor(jc);
      const fs = factor(js);
      for (const op of order) {
        if (op === 0 && fb !== undefined) img = adjustBrightness(img, fb);
        else if (op === 1 && fc !== undefined) img = adjustContrast(img, fc);
        else if (op === 2 && fs !== undefined) img = adjustSaturation(img, fs);
      }
    }
    return normalize(img, cfg);
  };
  return Object.assign(transform, { config: cfg });
}

/** timm's eval transform (resize, center crop, normalize: core's `resizeCropImage`), for 1- or 3-channel inputs. */
export function createEvalTransform(config: DataConfig | DataConfigOverrides): SampleTransform {
  const cfg = completeConfig(config);
  checkChannels(cfg, 'createEvalTransform');
  const rgbCfg: DataConfig = { ...cfg, inputSize: [3, cfg.inputSize[1], cfg.inputSize[2]] };
  const transform = (image: RawImageLike): Float32Array => normalize(resizeCropImage(image, rgbCfg), cfg);
  return Object.assign(transform, { config: cfg });
}
