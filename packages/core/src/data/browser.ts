/**
 * Browser image sources → raw RGBA pixels. Every browser global is looked up with `typeof` checks, so this module
 * also loads (and does nothing) in Node.
 *
 * Note: pixels read back through a 2D canvas are those the browser decoded; semi-transparent pixels pass through the
 * canvas' premultiplied storage, and browsers may colour-manage images, so they can differ slightly from PIL's.
 */
import { checkPixelLimit, ImageDecodeError, type RawImage } from './image.js';

/** The browser inputs a transform accepts (besides raw images and ImageData, which are raw-image shaped). */
export type BrowserImageSource =
  | HTMLImageElement
  | HTMLCanvasElement
  | HTMLVideoElement
  | ImageBitmap
  | OffscreenCanvas
  | Blob;

function hasGlobal(name: string): boolean {
  return typeof (globalThis as Record<string, unknown>)[name] === 'function';
}

function isInstance(x: unknown, name: string): boolean {
  const ctor = (globalThis as Record<string, unknown>)[name];
  return typeof ctor === 'function' && x instanceof (ctor as new (...args: never[]) => unknown);
}

/** Whether `x` is a browser image source this module can read. */
export function isBrowserImageSource(x: unknown): x is BrowserImageSource {
  return (
    isInstance(x, 'HTMLImageElement') ||
    isInstance(x, 'HTMLCanvasElement') ||
    isInstance(x, 'HTMLVideoElement') ||
    isInstance(x, 'ImageBitmap') ||
    isInstance(x, 'OffscreenCanvas') ||
    isInstance(x, 'Blob')
  );
}

function sourceSize(src: Exclude<BrowserImageSource, Blob>): [number, number] {
  if (isInstance(src, 'HTMLImageElement')) {
    const im = src as HTMLImageElement;
    return [im.naturalWidth || im.width, im.naturalHeight || im.height];
  }
  if (isInstance(src, 'HTMLVideoElement')) {
    const v = src as HTMLVideoElement;
    return [v.videoWidth, v.videoHeight];
  }
  const s = src as { width: number; height: number };
  return [s.width, s.height];
}

type Ctx2D = CanvasRenderingContext2D | OffscreenCanvasRenderingContext2D;

function make2dContext(width: number, height: number): Ctx2D {
  if (hasGlobal('OffscreenCanvas')) {
    const ctx = new OffscreenCanvas(width, height).getContext('2d', { willReadFrequently: true });
    if (ctx) return ctx;
  }
  if (typeof document !== 'undefined' && typeof document.createElement === 'function') {
    const canvas = document.createElement('canvas');
    canvas.width = width;
    canvas.height = height;
    const ctx = canvas.getContext('2d', { willReadFrequently: true });
    if (ctx) return ctx;
  }
  throw new Error('no 2D canvas available to read image pixels');
}

/** What a browser source is called in messages: a File's name, else its kind. */
function describeSource(src: BrowserImageSource): string {
  const name = (src as { name?: unknown }).name;
  if (isInstance(src, 'Blob')) return typeof name === 'string' && name ? name : `image blob (${(src as Blob).size} bytes)`;
  const url = (src as { currentSrc?: unknown; src?: unknown }).currentSrc || (src as { src?: unknown }).src;
  return typeof url === 'string' && url ? url.slice(0, 200) : (src as object).constructor.name;
}

/**
 * Reads the pixels of a browser image source as an RGBA raw image. A source over `maxPixels` (default 100 MP) is
 * refused before a canvas is made for it; a Blob the browser cannot decode is an {@link ImageDecodeError}.
 */
export async function browserImageToRaw(src: BrowserImageSource, options: { maxPixels?: number } = {}): Promise<RawImage> {
  const what = describeSource(src);
  if (isInstance(src, 'Blob')) {
    if (!hasGlobal('createImageBitmap')) throw new Error('createImageBitmap is not available to decode a Blob');
    let bitmap: ImageBitmap;
    try {
      bitmap = await createImageBitmap(src as Blob, { premultiplyAlpha: 'none', colorSpaceConversion: 'none' });
    } catch (e) {
      throw new ImageDecodeError(`${what}: cannot decode the image (${e instanceof Error ? e.message : String(e)}); the file is corrupt, truncated or not an image`, what, { cause: e });
    }
    try {
      checkPixelLimit(bitmap.width, bitmap.height, what, options.maxPixels);
      return await browserImageToRaw(bitmap, options);
    } finally {
      bitmap.close();
    }
  }
  if (isInstance(src, 'HTMLImageElement')) {
    const im = src as HTMLImageElement;
    if (!im.complete && typeof im.decode === 'function') await im.decode();
  }
  const el = src as Exclude<BrowserImageSource, Blob>;
  const [width, height] = sourceSize(el);
  if (!width || !height) throw new Error('image source has no pixels (not loaded?)');
  checkPixelLimit(width, height, what, options.maxPixels);
  const ctx = make2dContext(width, height);
  ctx.drawImage(el as CanvasImageSource, 0, 0, width, height);
  const imageData = ctx.getImageData(0, 0, width, height);
  return { data: imageData.data, width, height, channels: 4 };
}
