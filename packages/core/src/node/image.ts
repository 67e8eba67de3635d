/**
 * Node-only image decoding with sharp (PNG, JPEG, WebP, … from a file path or encoded bytes) to raw 8-bit images.
 * Pixels are left as PIL would load them: no ICC colour conversion, no EXIF rotation; alpha is kept (conversion to
 * RGB, which drops alpha without blending, happens in `toRgb`).
 */
import { checkPixelLimit, DEFAULT_MAX_PIXELS, ImageDecodeError, type RawImage } from '../data/image.js';

type SharpFn = typeof import('sharp').default;
let sharpPromise: Promise<SharpFn> | undefined;

/** sharp is an optional dependency: imported on first use. */
async function loadSharp(): Promise<SharpFn> {
  sharpPromise ??= import('sharp')
    .then((m) => m.default)
    .catch((err: unknown) => {
      sharpPromise = undefined;
      throw new Error(`decoding images in Node needs the optional dependency 'sharp' (npm i sharp): ${String(err)}`);
    });
  return sharpPromise;
}

export interface DecodeImageOptions {
  /** Refuse images with more pixels (width × height) than this. Default {@link DEFAULT_MAX_PIXELS} (100 MP). */
  maxPixels?: number;
}

/**
 * Decodes an image file (path) or encoded bytes into a raw image (1–4 channels, 8 bit, HWC). A corrupt or
 * truncated image, or one over `maxPixels`, is an {@link ImageDecodeError} naming the file; nothing is decoded
 * past the header of an image that is too large.
 */
export async function decodeImage(input: string | Uint8Array | ArrayBuffer, options: DecodeImageOptions = {}): Promise<RawImage> {
  const sharp = await loadSharp();
  const src = input instanceof ArrayBuffer ? new Uint8Array(input) : input;
  const what = typeof src === 'string' ? src : `image bytes (${src.byteLength} bytes)`;
  const maxPixels = options.maxPixels ?? DEFAULT_MAX_PIXELS;
  if (!(maxPixels > 0)) throw new RangeError(`decodeImage: maxPixels must be a positive number, got ${maxPixels}`);
  try {
    // failOn 'truncated': a cut-off JPEG or PNG is an error, not a half-grey picture; limitInputPixels: libvips'
    // own check of the same limit, in case the header and the data disagree.
    // The header first (no pixels decoded), so that the limit is reported with the image's size.
    const meta = await sharp(src, { ignoreIcc: true, failOn: 'truncated', limitInputPixels: false }).metadata();
    if (meta.width !== undefined && meta.height !== undefined) checkPixelLimit(meta.width, meta.height, what, maxPixels);
    let pipeline = sharp(src, { ignoreIcc: true, failOn: 'truncated', limitInputPixels: Math.max(1, Math.floor(maxPixels)) });
    const gray = meta.space === 'b-w' || meta.space === 'grey16';
    // sharp outputs sRGB unless told otherwise. Gray images without alpha stay 1 channel (PIL's L); with alpha
    // libvips' b-w output would drop the alpha, so they come out as RGBA (gray replicated, alpha kept, nothing
    // premultiplied). 16-bit images are scaled to 8 bits by the colourspace conversion; CMYK goes to sRGB.
    pipeline = pipeline.toColourspace(gray && !meta.hasAlpha ? 'b-w' : 'srgb');
    const { data, info } = await pipeline.raw().toBuffer({ resolveWithObject: true });
    const channels = info.channels;
    if (channels !== 1 && channels !== 2 && channels !== 3 && channels !== 4) {
      throw new ImageDecodeError(`${what}: unsupported channel count ${channels}`, what);
    }
    const bytes = new Uint8Array(data.buffer, data.byteOffset, data.byteLength);
    if (bytes.length !== info.width * info.height * channels) {
      throw new ImageDecodeError(`${what}: expected 8-bit pixels, got ${bytes.length} bytes for ${info.width}x${info.height}x${channels}`, what);
    }
    return { data: bytes, width: info.width, height: info.height, channels };
  } catch (e) {
    if (e instanceof ImageDecodeError) throw e;
    const why = e instanceof Error ? e.message : String(e);
    throw new ImageDecodeError(`${what}: cannot decode the image (${why.trim()}); the file is corrupt, truncated or not an image`, what, { cause: e });
  }
}
