/** Unit tests against independent math (not against timm fixtures): filters, rounding rules, plans, RGB conversion. */
import * as tf from '@tensorflow/tfjs-core';
import '@tensorflow/tfjs-backend-wasm';
import { beforeAll, describe, expect, it } from 'vitest';
import {
  centerCropOrPad,
  createTransform,
  evalPlan,
  IMAGENET_1K_LABELS,
  IMAGENET_1K_SYNSETS,
  resizeImage,
  resolveDataConfig,
  toRgb,
} from '../../src/data/index.js';
import { roundHalfEven } from '../../src/layers/rounding.js';

beforeAll(async () => {
  await tf.setBackend('wasm');
  await tf.ready();
});

/** deterministic pseudo-random bytes */
function bytes(n: number, seed: number): Uint8Array {
  const out = new Uint8Array(n);
  let x = seed >>> 0;
  for (let i = 0; i < n; i++) {
    x = (Math.imul(x, 1664525) + 1013904223) >>> 0;
    out[i] = x >>> 24;
  }
  return out;
}

function row(values: number[]) {
  return { data: Uint8Array.from(values), width: values.length, height: 1, channels: 1 };
}

describe('resampling vs independent formulas', () => {
  it('bilinear upsampling of a row is linear interpolation at (x + 0.5) * in / out - 0.5, edges clamped', () => {
    const src = Array.from(bytes(9, 1));
    for (const outW of [10, 18, 31, 64]) {
      const out = resizeImage(row(src), outW, 1, 'bilinear');
      for (let x = 0; x < outW; x++) {
        const p = Math.min(Math.max((x + 0.5) * (src.length / outW) - 0.5, 0), src.length - 1);
        const i = Math.floor(p);
        const f = p - i;
        const exact = src[i]! * (1 - f) + src[Math.min(i + 1, src.length - 1)]! * f;
        expect(Math.abs(out.data[x]! - exact)).toBeLessThanOrEqual(0.5 + 1e-6);
      }
    }
  });

  it('box downsampling by an integer factor averages blocks (2-D, within 1 after two rounded passes)', () => {
    const w = 12;
    const h = 9;
    const src = bytes(w * h, 2);
    const out = resizeImage({ data: src, width: w, height: h, channels: 1 }, 4, 3, 'box');
    for (let y = 0; y < 3; y++) {
      for (let x = 0; x < 4; x++) {
        let s = 0;
        for (let dy = 0; dy < 3; dy++) for (let dx = 0; dx < 3; dx++) s += src[(y * 3 + dy) * w + x * 3 + dx]!;
        expect(Math.abs(out.data[y * 4 + x]! - s / 9)).toBeLessThanOrEqual(1);
      }
    }
  });

  it('bicubic (a = -0.5) 2x upsampling of a row: interior pixels are the Keys-kernel weighted sums', () => {
    const keys = (t: number) => {
      const a = -0.5;
      const x = Math.abs(t);
      if (x < 1) return (a + 2) * x ** 3 - (a + 3) * x ** 2 + 1;
      if (x < 2) return a * x ** 3 - 5 * a * x ** 2 + 8 * a * x - 4 * a;
      return 0;
    };
    const src = Array.from(bytes(16, 3));
    const out = resizeImage(row(src), 32, 1, 'bicubic');
    for (let x = 4; x < 28; x++) {
      const p = (x + 0.5) / 2 - 0.5;
      let s = 0;
      for (let i = Math.floor(p) - 1; i <= Math.floor(p) + 2; i++) s += src[i]! * keys(p - i);
      const exact = Math.min(255, Math.max(0, s));
      expect(Math.abs(out.data[x]! - exact)).toBeLessThanOrEqual(0.5 + 1e-6);
    }
  });

  it('every filter keeps a constant image constant, up and down, non-square', () => {
    for (const interp of ['nearest', 'bilinear', 'bicubic', 'box', 'hamming', 'lanczos']) {
      const img = { data: new Uint8Array(17 * 11 * 3).fill(201), width: 17, height: 11, channels: 3 };
      for (const [w, h] of [[40, 7], [5, 30], [3, 2], [17, 23]] as const) {
        const out = resizeImage(img, w, h, interp);
        expect([out.width, out.height]).toEqual([w, h]);
        expect(out.data.every((v) => v === 201)).toBe(true);
      }
    }
  });

  it('nearest picks source pixel floor((x + 0.5) * in / out)', () => {
    const src = Array.from(bytes(10, 4));
    const up = resizeImage(row(src), 20, 1, 'nearest');
    expect(Array.from(up.data)).toEqual(src.flatMap((v) => [v, v]));
    const down = resizeImage(row(src), 5, 1, 'nearest');
    expect(Array.from(down.data)).toEqual([1, 3, 5, 7, 9].map((i) => src[i]));
    const odd = resizeImage(row(src), 3, 1, 'nearest');
    expect(Array.from(odd.data)).toEqual([0, 1, 2].map((x) => src[Math.floor(((x + 0.5) * 10) / 3)]));
  });

  it('same size is an identity copy; bad arguments throw', () => {
    const img = { data: bytes(6 * 4 * 3, 5), width: 6, height: 4, channels: 3 };
    const out = resizeImage(img, 6, 4, 'bicubic');
    expect(Array.from(out.data)).toEqual(Array.from(img.data));
    expect(out.data).not.toBe(img.data);
    expect(() => resizeImage(img, 0, 4, 'bicubic')).toThrow();
    expect(() => resizeImage(img, 3, 4, 'cubic-spline')).toThrow(/interpolation/);
  });
});

describe('rounding and crop rules', () => {
  it("roundHalfEven is Python's round (halves to even)", () => {
    expect([0.5, 1.5, 2.5, 5.5, 6.5, -0.5, -1.5, 2.4999, 2.5001].map(roundHalfEven)).toEqual([0, 2, 2, 6, 6, -0, -2, 2, 3]); // -0: torch.round
  });

  it('crop offset uses round((size - crop) / 2), halves to even', () => {
    const w = 9;
    const img = { data: Uint8Array.from({ length: w }, (_, i) => i), width: w, height: 1, channels: 1 };
    expect(Array.from(centerCropOrPad(img, 1, 4).data)).toEqual([2, 3, 4, 5]); // (9-4)/2 = 2.5 -> 2
    expect(Array.from(centerCropOrPad(img, 1, 2).data)).toEqual([4, 5]); // 3.5 -> 4
    expect(Array.from(centerCropOrPad(img, 1, 6).data)).toEqual([2, 3, 4, 5, 6, 7]); // 1.5 -> 2
  });

  it('a crop larger than the image pads (left/top get the floor half) with the fill colour', () => {
    const img = { data: Uint8Array.from([1, 2, 3, 4, 5, 6]), width: 2, height: 1, channels: 3 };
    const out = centerCropOrPad(img, 4, 5, [7, 8, 9]);
    expect([out.width, out.height]).toEqual([5, 4]);
    const px = (x: number, y: number) => Array.from(out.data.subarray((y * 5 + x) * 3, (y * 5 + x) * 3 + 3));
    expect(px(1, 1)).toEqual([1, 2, 3]); // left = (5-2)//2 = 1, top = (4-1)//2 = 1
    expect(px(2, 1)).toEqual([4, 5, 6]);
    for (const [x, y] of [[0, 0], [0, 1], [3, 1], [4, 3], [1, 2]] as const) expect(px(x, y)).toEqual([7, 8, 9]);
    // default fill is black; pad one side and crop the other
    const mixed = centerCropOrPad({ data: bytes(4 * 2 * 3, 9), width: 4, height: 2, channels: 3 }, 3, 2);
    expect([mixed.width, mixed.height]).toEqual([2, 3]);
    expect(Array.from(mixed.data.subarray(12, 18))).toEqual([0, 0, 0, 0, 0, 0]); // bottom row padded
  });
});

describe('evalPlan: timm eval transform sizes', () => {
  const base = resolveDataConfig({ overrides: { inputSize: [3, 224, 224], cropPct: 0.95 } });

  it('center, square: shortest edge to floor(224 / 0.95) = 235, long edge int(235 * long / short)', () => {
    expect(evalPlan(base, 451, 300)).toMatchObject({ resize: [235, 353], crop: [224, 224] });
    expect(evalPlan(base, 300, 451)).toMatchObject({ resize: [353, 235] });
    expect(evalPlan(base, 512, 512)).toMatchObject({ resize: [235, 235] });
  });

  it('center, non-square target: ResizeKeepRatio on the shortest relative edge, always bilinear', () => {
    const cfg = { ...base, inputSize: [3, 160, 256] as [number, number, number], cropPct: 0.9 };
    // scale (177, 284); ratio = min(400/177, 600/284) = 600/284
    const p = evalPlan(cfg, 600, 400);
    expect(p.resize).toEqual([roundHalfEven(400 / (600 / 284)), 284]);
    expect(p.interpolation).toBe('bilinear');
  });

  it('squash resizes to the scale size; border fits the longest edge and fills with round(255 * mean)', () => {
    expect(evalPlan({ ...base, cropMode: 'squash' }, 451, 300)).toMatchObject({ resize: [235, 235], fill: [0, 0, 0] });
    const b = evalPlan({ ...base, cropMode: 'border' }, 451, 300);
    expect(b.resize).toEqual([roundHalfEven(300 / (451 / 235)), 235]);
    expect(b.fill).toEqual([124, 116, 104]);
  });
});

describe('RGB conversion (PIL convert("RGB"))', () => {
  it('replicates L, drops alpha of LA / RGBA without blending, accepts ImageData-like input', () => {
    expect(Array.from(toRgb({ data: Uint8Array.from([7, 9]), width: 2, height: 1, channels: 1 }).data)).toEqual([7, 7, 7, 9, 9, 9]);
    expect(Array.from(toRgb({ data: Uint8Array.from([7, 0, 9, 255]), width: 2, height: 1, channels: 2 }).data)).toEqual([
      7, 7, 7, 9, 9, 9,
    ]);
    const rgba = new Uint8ClampedArray([10, 20, 30, 0, 40, 50, 60, 128]);
    expect(Array.from(toRgb({ data: rgba, width: 2, height: 1 }).data)).toEqual([10, 20, 30, 40, 50, 60]);
    expect(() => toRgb({ data: new Uint8Array(5), width: 2, height: 1 })).toThrow();
  });
});

describe('createTransform', () => {
  it('normalizes as (x / 255 - mean) / std in float32, NHWC', async () => {
    const cfg = resolveDataConfig({ overrides: { inputSize: [3, 4, 6], cropPct: 1 } });
    const px = [255, 0, 128];
    const data = new Uint8ClampedArray(6 * 4 * 4);
    for (let i = 0; i < 24; i++) data.set([...px, 255], i * 4);
    const t = createTransform(cfg);
    const before = tf.memory().numTensors;
    const x = await t({ data, width: 6, height: 4 });
    expect(x.shape).toEqual([1, 4, 6, 3]);
    const v = await x.data();
    x.dispose();
    expect(tf.memory().numTensors).toBe(before);
    for (let i = 0; i < 24; i++) {
      for (let c = 0; c < 3; c++) {
        expect(Math.abs(v[i * 3 + c]! - (px[c]! / 255 - cfg.mean[c]!) / cfg.std[c]!)).toBeLessThan(1e-6);
      }
    }
  });

  it('does not touch its input, completes partial configs, rejects what it cannot do', async () => {
    const src = { data: bytes(30 * 20 * 3, 11), width: 30, height: 20, channels: 3 as const };
    const copy = src.data.slice();
    const t = createTransform({ inputSize: [3, 20, 30], cropPct: 1 });
    expect(t.config).toMatchObject({ interpolation: 'bicubic', cropMode: 'center', mean: [0.485, 0.456, 0.406] });
    const crop = await t.resizeCrop(src);
    expect(crop.data).not.toBe(src.data);
    expect(Array.from(src.data)).toEqual(Array.from(copy));
    expect(() => createTransform({ inputSize: [1, 20, 20] })).toThrow(/3-channel/);
    expect(() => createTransform({ interpolation: 'random' })).toThrow(/interpolation/);
    await expect(t([])).rejects.toThrow(/empty/);
  });
});

describe('ImageNet-1k labels', () => {
  it('has timm descriptions in class order', () => {
    expect(IMAGENET_1K_LABELS).toHaveLength(1000);
    expect(IMAGENET_1K_SYNSETS).toHaveLength(1000);
    expect(new Set(IMAGENET_1K_SYNSETS).size).toBe(1000);
    expect(IMAGENET_1K_SYNSETS[0]).toBe('n01440764');
    expect(IMAGENET_1K_LABELS[0]).toBe('tench, Tinca tinca');
    expect(IMAGENET_1K_LABELS[281]).toBe('tabby, tabby cat');
    expect(IMAGENET_1K_LABELS[999]).toBe('toilet tissue, toilet paper, bathroom tissue');
  });
});
