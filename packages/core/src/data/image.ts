/** Raw 8-bit images (HWC, interleaved) and conversion to RGB as PIL's `Image.convert('RGB')` does it. */

export type ImageChannels = 1 | 2 | 3 | 4;

/**
 * The default cap on decoded pixels (width × height): 100 megapixels, as sharp's `limitInputPixels` default is
 * about 268 MP and PIL warns at 89 MP. A header claiming more is refused before anything is decoded; pass
 * `maxPixels` to the decoder or transform to change it.
 */
export const DEFAULT_MAX_PIXELS = 100_000_000;

/** An image that could not be decoded (corrupt, truncated, unsupported) or is over the pixel limit; names its source. */
export class ImageDecodeError extends Error {
  override name = 'ImageDecodeError';
  constructor(
    message: string,
    readonly source: string,
    options?: { cause?: unknown },
  ) {
    super(message, options);
  }
}

/** Throws an {@link ImageDecodeError} when `width × height` is over `maxPixels` (default {@link DEFAULT_MAX_PIXELS}). */
export function checkPixelLimit(width: number, height: number, source: string, maxPixels = DEFAULT_MAX_PIXELS): void {
  if (width * height > maxPixels) {
    throw new ImageDecodeError(
      `${source}: the image is ${width}x${height} (${((width * height) / 1e6).toFixed(1)} megapixels), over the limit of ${(maxPixels / 1e6).toFixed(1)} megapixels; pass a larger maxPixels to decode it anyway`,
      source,
    );
  }
}

/** An 8-bit image, rows top to bottom, channels interleaved (HWC): 1 = L, 2 = LA, 3 = RGB, 4 = RGBA. */
export interface RawImage {
  data: Uint8Array | Uint8ClampedArray;
  width: number;
  height: number;
  channels: ImageChannels;
}

/** An RGB 8-bit image (HWC). */
export interface RgbImage {
  data: Uint8Array;
  width: number;
  height: number;
  channels: 3;
}

/** Something shaped like a raw image; `channels` may be left out (inferred from the data length, as for ImageData). */
export interface RawImageLike {
  data: Uint8Array | Uint8ClampedArray;
  width: number;
  height: number;
  channels?: number;
}

export function isRawImageLike(x: unknown): x is RawImageLike {
  if (typeof x !== 'object' || x === null) return false;
  const o = x as Record<string, unknown>;
  return (
    (o.data instanceof Uint8Array || o.data instanceof Uint8ClampedArray) &&
    typeof o.width === 'number' &&
    typeof o.height === 'number'
  );
}

/** Checks the shape of a raw image and fills in `channels` when absent. */
export function asRawImage(img: RawImageLike): RawImage {
  const { width, height, data } = img;
  if (!Number.isInteger(width) || !Number.isInteger(height) || width <= 0 || height <= 0) {
    throw new Error(`invalid image size ${width}x${height}`);
  }
  const channels = img.channels ?? data.length / (width * height);
  if (channels !== 1 && channels !== 2 && channels !== 3 && channels !== 4) {
    throw new Error(`unsupported channel count ${channels} (expected 1, 2, 3 or 4)`);
  }
  if (data.length !== width * height * channels) {
    throw new Error(`image data has ${data.length} bytes, expected ${width}*${height}*${channels}`);
  }
  return { data, width, height, channels };
}

/**
 * To RGB as PIL's `convert('RGB')`: L is replicated to three channels; alpha (LA, RGBA) is dropped, not blended.
 * An RGB `Uint8Array` image is returned as is (not copied).
 */
export function toRgb(img: RawImageLike): RgbImage {
  const { data, width, height, channels } = asRawImage(img);
  if (channels === 3 && data instanceof Uint8Array) return { data, width, height, channels: 3 };
  const n = width * height;
  const out = new Uint8Array(n * 3);
  if (channels === 3) {
    out.set(data);
  } else if (channels === 1 || channels === 2) {
    for (let i = 0, j = 0; i < n; i++, j += channels) {
      const v = data[j]!;
      out[i * 3] = v;
      out[i * 3 + 1] = v;
      out[i * 3 + 2] = v;
    }
  } else {
    for (let i = 0, j = 0; i < n; i++, j += 4) {
      out[i * 3] = data[j]!;
      out[i * 3 + 1] = data[j + 1]!;
      out[i * 3 + 2] = data[j + 2]!;
    }
  }
  return { data: out, width, height, channels: 3 };
}
