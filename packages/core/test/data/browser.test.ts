/** The browser input path, with minimal stand-ins for the DOM globals (Node has none), and the no-sharp rule. */
import { readdirSync, readFileSync } from 'node:fs';
import { dirname, join } from 'node:path';
import { fileURLToPath } from 'node:url';
import * as tf from '@tensorflow/tfjs-core';
import '@tensorflow/tfjs-backend-wasm';
import { afterEach, beforeAll, describe, expect, it } from 'vitest';
import { browserImageToRaw, createTransform, isBrowserImageSource } from '../../src/data/index.js';

const g = globalThis as Record<string, unknown>;
const saved = new Map<string, unknown>();
function stub(name: string, value: unknown) {
  if (!saved.has(name)) saved.set(name, g[name]);
  g[name] = value;
}

afterEach(() => {
  for (const [k, v] of saved) {
    if (v === undefined) delete g[k];
    else g[k] = v;
  }
  saved.clear();
});

beforeAll(async () => {
  await tf.setBackend('wasm');
  await tf.ready();
});

/** A 2x2 "bitmap" whose pixels the fake canvas hands back when it was drawn. */
class FakeBitmap {
  width = 2;
  height = 2;
  closed = false;
  pixels = new Uint8ClampedArray([255, 0, 0, 255, 0, 255, 0, 255, 0, 0, 255, 128, 9, 9, 9, 0]);
  close() {
    this.closed = true;
  }
}

class FakeOffscreenCanvas {
  drawn: FakeBitmap | undefined;
  constructor(
    public width: number,
    public height: number,
  ) {}
  getContext() {
    return {
      drawImage: (src: FakeBitmap) => {
        this.drawn = src;
      },
      getImageData: (_x: number, _y: number, w: number, h: number) => ({ data: this.drawn!.pixels, width: w, height: h }),
    };
  }
}

describe('browser image sources', () => {
  it('is inert in Node: nothing counts as a browser image without the DOM classes', () => {
    expect(isBrowserImageSource({ width: 1, height: 1 })).toBe(false);
    expect(isBrowserImageSource(new Uint8Array(4))).toBe(false);
  });

  it('reads an ImageBitmap through an OffscreenCanvas, and a Blob through createImageBitmap', async () => {
    stub('ImageBitmap', FakeBitmap);
    stub('OffscreenCanvas', FakeOffscreenCanvas);
    const bmp = new FakeBitmap();
    expect(isBrowserImageSource(bmp)).toBe(true);
    const raw = await browserImageToRaw(bmp as unknown as ImageBitmap);
    expect([raw.width, raw.height, raw.channels]).toEqual([2, 2, 4]);

    let opts: unknown;
    const made: FakeBitmap[] = [];
    stub('createImageBitmap', async (_b: Blob, o: unknown) => {
      opts = o;
      const b = new FakeBitmap();
      made.push(b);
      return b;
    });
    const t = createTransform({ inputSize: [3, 2, 2], cropPct: 1 });
    const crop = await t.resizeCrop(new Blob([new Uint8Array([1, 2, 3])]) as never);
    expect(Array.from(crop.data)).toEqual([255, 0, 0, 0, 255, 0, 0, 0, 255, 9, 9, 9]); // alpha dropped, not blended
    expect(opts).toEqual({ premultiplyAlpha: 'none', colorSpaceConversion: 'none' });
    expect(made[0]!.closed).toBe(true);
    const before = tf.memory().numTensors;
    const x = await t([bmp as never, new Blob([]) as never]);
    expect(x.shape).toEqual([2, 2, 2, 3]);
    x.dispose();
    expect(tf.memory().numTensors).toBe(before);
  });
});

describe('module boundaries', () => {
  it('the browser entry (src/data) never imports sharp or node: modules', () => {
    const dir = join(dirname(fileURLToPath(import.meta.url)), '../../src/data');
    for (const f of readdirSync(dir).filter((n) => n.endsWith('.ts'))) {
      const src = readFileSync(join(dir, f), 'utf8');
      expect(src, f).not.toMatch(/from\s+['"](sharp|node:[^'"]+)['"]|import\(\s*['"]sharp['"]\s*\)/);
      expect(src, f).not.toMatch(/from\s+['"]\.\.\/node\//);
    }
  });
});
