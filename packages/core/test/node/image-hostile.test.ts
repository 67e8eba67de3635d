/**
 * Hostile images: a 138-byte PNG whose header claims 20000×20000, a JPEG and a PNG cut short, bytes that are not an
 * image. Each is an ImageDecodeError naming the file, quickly and before any large allocation; the pixel limit is
 * an option.
 */
import { mkdtempSync, readFileSync, rmSync, writeFileSync } from 'node:fs';
import { tmpdir } from 'node:os';
import { dirname, join } from 'node:path';
import { fileURLToPath } from 'node:url';
import { crc32, deflateSync } from 'node:zlib';
import { afterAll, describe, expect, it } from 'vitest';
import { browserImageToRaw, DEFAULT_MAX_PIXELS, ImageDecodeError } from '../../src/data/index.js';
import { createNodeTransform, decodeImage } from '../../src/node/index.js';

const FIX = join(dirname(fileURLToPath(import.meta.url)), '..', 'fixtures', 'preprocess');
const dir = mkdtempSync(join(tmpdir(), 'zoo-img-hostile-'));
afterAll(() => rmSync(dir, { recursive: true, force: true }));

function chunk(type: string, data: Uint8Array): Buffer {
  const head = Buffer.alloc(8);
  head.writeUInt32BE(data.byteLength, 0);
  head.write(type, 4, 'latin1');
  const crc = Buffer.alloc(4);
  crc.writeUInt32BE(crc32(Buffer.concat([head.subarray(4), data])) >>> 0, 0);
  return Buffer.concat([head, data, crc]);
}

/** A valid-looking RGB PNG header of `w`×`h` with one tiny IDAT (a few hundred bytes in all). */
function pngClaiming(w: number, h: number): Uint8Array {
  const ihdr = Buffer.alloc(13);
  ihdr.writeUInt32BE(w, 0);
  ihdr.writeUInt32BE(h, 4);
  ihdr.set([8, 2, 0, 0, 0], 8); // 8 bit, RGB
  const idat = deflateSync(Buffer.alloc(64));
  return new Uint8Array(
    Buffer.concat([Buffer.from([0x89, 0x50, 0x4e, 0x47, 0x0d, 0x0a, 0x1a, 0x0a]), chunk('IHDR', ihdr), chunk('IDAT', idat), chunk('IEND', new Uint8Array(0))]),
  );
}

function write(name: string, bytes: Uint8Array): string {
  const p = join(dir, name);
  writeFileSync(p, bytes);
  return p;
}

async function decodeError(input: string | Uint8Array, options?: { maxPixels?: number }): Promise<ImageDecodeError> {
  const e = await decodeImage(input, options).catch((err) => err);
  expect(e).toBeInstanceOf(ImageDecodeError);
  return e as ImageDecodeError;
}

describe('hostile images (Node, sharp)', () => {
  it('a PNG header claiming 20000x20000 is refused from its header: fast, no big allocation', async () => {
    const bytes = pngClaiming(20000, 20000);
    expect(bytes.byteLength).toBeLessThan(200);
    const path = write('huge.png', bytes);
    const rss0 = process.memoryUsage().rss;
    const t0 = performance.now();
    const e = await decodeError(path);
    expect(performance.now() - t0).toBeLessThan(2000);
    expect(process.memoryUsage().rss - rss0).toBeLessThan(200e6);
    expect(e.message).toContain(path);
    expect(e.message).toMatch(/20000x20000 \(400\.0 megapixels\), over the limit of 100\.0 megapixels/);
    expect(e.source).toBe(path);
    // the same through a transform
    await expect(createNodeTransform({ inputSize: [3, 32, 32] })(path)).rejects.toThrow(ImageDecodeError);
  });

  it('the limit is an option: maxPixels lowers (or raises) it', async () => {
    const chelsea = join(FIX, 'chelsea.png');
    const img = await decodeImage(chelsea);
    expect(img.width * img.height).toBeLessThan(DEFAULT_MAX_PIXELS);
    const e = await decodeError(chelsea, { maxPixels: 1000 });
    expect(e.message).toMatch(/over the limit of 0\.0 megapixels/);
    await expect(createNodeTransform({ inputSize: [3, 32, 32] }, { maxPixels: 1000 })(chelsea)).rejects.toThrow(/over the limit/);
    // a header within a raised limit passes the pixel check and then fails as the truncated file it is
    const big = await decodeError(pngClaiming(20000, 20000), { maxPixels: 5e8 });
    expect(big.message).toMatch(/cannot decode the image/);
  });

  it('a JPEG and a PNG cut short are errors naming the file, not a picture', async () => {
    for (const name of ['chelsea.jpg', 'chelsea.png']) {
      const full = readFileSync(join(FIX, name));
      const path = write(`cut-${name}`, full.subarray(0, Math.floor(full.byteLength / 3)));
      const e = await decodeError(path);
      expect(e.message).toContain(path);
      expect(e.message).toMatch(/cannot decode the image \(.*(premature end|read error).*\); the file is corrupt, truncated or not an image/i);
    }
  });

  it('bytes that are not an image', async () => {
    const e = await decodeError(new TextEncoder().encode('hello'));
    expect(e.message).toMatch(/^image bytes \(5 bytes\): cannot decode the image/);
  });
});

describe('hostile images (browser sources)', () => {
  it('a bitmap over the limit is refused before a canvas is made; a Blob that does not decode names itself', async () => {
    const g = globalThis as Record<string, unknown>;
    const saved = { ImageBitmap: g.ImageBitmap, OffscreenCanvas: g.OffscreenCanvas, createImageBitmap: g.createImageBitmap };
    let canvases = 0;
    class FakeBitmap {
      constructor(
        public width: number,
        public height: number,
      ) {}
      close() {}
    }
    g.ImageBitmap = FakeBitmap;
    g.OffscreenCanvas = class {
      constructor() {
        canvases++;
      }
    };
    g.createImageBitmap = async () => {
      throw new Error('The source image could not be decoded.');
    };
    try {
      const e = await browserImageToRaw(new FakeBitmap(20000, 20000) as unknown as ImageBitmap).catch((err) => err);
      expect(e).toBeInstanceOf(ImageDecodeError);
      expect(e.message).toMatch(/FakeBitmap: the image is 20000x20000/);
      expect(canvases).toBe(0);
      const small = await browserImageToRaw(new FakeBitmap(100, 100) as unknown as ImageBitmap, { maxPixels: 99 }).catch((err) => err);
      expect(small.message).toMatch(/100x100 .* over the limit/);
      const file = new File([new Uint8Array([1, 2, 3])], 'cat.jpg');
      const bad = await browserImageToRaw(file).catch((err) => err);
      expect(bad).toBeInstanceOf(ImageDecodeError);
      expect(bad.message).toMatch(/^cat\.jpg: cannot decode the image \(The source image could not be decoded\.\)/);
    } finally {
      Object.assign(g, saved);
      for (const [k, v] of Object.entries(saved)) if (v === undefined) delete g[k];
    }
  });
});
