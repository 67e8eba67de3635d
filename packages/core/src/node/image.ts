/**
 * Node-only image decoding with sharp (PNG, JPEG, WebP, … from a file path or encoded bytes) to raw 8-bit images.
 * Pixels are left as PIL would load them: no ICC colour conversion, no EXIF rotation; alpha is kept (conversion to
 * RGB, which drops alpha without blending, happens in `toRgb`).
 */
import type { RawImage } from '../data/image.js';

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

/** Decodes an image file (path) or encoded bytes into a raw image (1–4 channels, 8 bit, HWC). */
export async function decodeImage(input: string | Uint8Array | ArrayBuffer): Promise<RawImage> {
  const sharp = await loadSharp();
  const src = input instanceof ArrayBuffer ? new Uint8Array(input) : input;
  let pipeline = sharp(src, { ignoreIcc: true, failOn: 'none', limitInputPixels: false });
  const meta = await pipeline.metadata();
  const gray = meta.space === 'b-w' || meta.space === 'grey16';
  // sharp outputs sRGB unless told otherwise. Gray images without alpha stay 1 channel (PIL's L); with alpha
  // libvips' b-w output would drop the alpha, so they come out as RGBA (gray replicated, alpha kept, nothing
  // premultiplied). 16-bit images are scaled to 8 bits by the colourspace conversion; CMYK goes to sRGB.
  pipeline = pipeline.toColourspace(gray && !meta.hasAlpha ? 'b-w' : 'srgb');
  const { data, info } = await pipeline.raw().toBuffer({ resolveWithObject: true });
  const channels = info.channels;
  if (channels !== 1 && channels !== 2 && channels !== 3 && channels !== 4) {
    throw new Error(`decodeImage: unsupported channel count ${channels}`);
  }
  const bytes = new Uint8Array(data.buffer, data.byteOffset, data.byteLength);
  if (bytes.length !== info.width * info.height * channels) {
    throw new Error(`decodeImage: expected 8-bit pixels, got ${bytes.length} bytes for ${info.width}x${info.height}x${channels}`);
  }
  return { data: bytes, width: info.width, height: info.height, channels };
}
