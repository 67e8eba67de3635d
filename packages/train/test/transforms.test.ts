import { readFileSync } from 'node:fs';
import { join } from 'node:path';
import type { RgbImage } from '@zoo/core';
import { describe, expect, it } from 'vitest';
import { adjustBrightness, adjustContrast, adjustSaturation, createEvalTransform, createTrainTransform, hflip, Rng, randomResizedCropBox, resizedCrop } from '../src/index.js';

// transforms.json: torchvision 0.14 / Pillow 9.4 / timm numbers (gen_transforms.py beside it)
interface Facts {
  rrc_boxes: { width: number; height: number; scale: [number, number]; ratio: [number, number]; draws: ['u' | 'i', number, number, number][]; box: number[] }[];
  image: { width: number; height: number; rgb: string };
  ops: Record<string, { rgb: string; factor?: number; box?: number[]; size?: number[] }>;
}
const facts = JSON.parse(readFileSync(join(import.meta.dirname, 'fixtures', 'transforms.json'), 'utf8')) as Facts;
const bytes = (b64: string) => new Uint8Array(Buffer.from(b64, 'base64'));
const img: RgbImage = { data: bytes(facts.image.rgb), width: facts.image.width, height: facts.image.height, channels: 3 };

describe('RandomResizedCrop', () => {
  for (const [k, c] of facts.rrc_boxes.entries()) {
    it(`box ${k} (${c.width}x${c.height}, scale [${c.scale.join(', ')}], ratio [${c.ratio.map((r) => r.toFixed(3)).join(', ')}]) equals torchvision's for the same draws`, () => {
      // replay torch's draws; the bounds asked for must be torch's too (its log-ratio bounds are float32)
      let n = 0;
      const next = (kind: 'u' | 'i', lo: number, hi: number) => {
        const d = c.draws[n++];
        expect(d, `draw ${n}`).toBeDefined();
        expect(d![0]).toBe(kind);
        expect(Math.fround(lo)).toBe(Math.fround(d![1]));
        expect(Math.fround(hi)).toBe(Math.fround(d![2]));
        return d![3];
      };
      const box = randomResizedCropBox(c.width, c.height, c.scale, c.ratio, { uniform: (lo, hi) => next('u', lo, hi), int: (lo, hi) => next('i', lo, hi) });
      expect(n).toBe(c.draws.length);
      expect([box.i, box.j, box.h, box.w]).toEqual(c.box);
    });
  }
});

describe("pixel ops equal torchvision's on PIL images", () => {
  for (const interp of ['bilinear', 'bicubic'] as const) {
    it(`resized_crop (${interp})`, () => {
      const f = facts.ops[`resized_crop_${interp}`]!;
      const [i, j, h, w] = f.box!;
      const [oh, ow] = f.size!;
      expect(Array.from(resizedCrop(img, { i: i!, j: j!, h: h!, w: w! }, ow!, oh!, interp).data)).toEqual(Array.from(bytes(f.rgb)));
    });
  }
  it('hflip', () => expect(Array.from(hflip(img).data)).toEqual(Array.from(bytes(facts.ops.hflip!.rgb))));
  for (const [name, fn] of [['brightness', adjustBrightness], ['contrast', adjustContrast], ['saturation', adjustSaturation]] as const) {
    for (const f of [0.65, 1.37]) {
      it(`${name} ${f}`, () => {
        const want = facts.ops[`${name}_${f}`]!;
        expect(Array.from(fn(img, want.factor!).data)).toEqual(Array.from(bytes(want.rgb)));
      });
    }
  }
});

describe('createTrainTransform', () => {
  const cfg = { inputSize: [3, 16, 16] as [number, number, number], interpolation: 'bicubic', mean: [0.5, 0.5, 0.5], std: [0.25, 0.25, 0.25], cropPct: 1 };

  it('is deterministic per seed, varies across seeds, and normalizes into the config range', () => {
    const t = createTrainTransform(cfg, { interpolation: 'random' });
    const a = t(img, new Rng(3, 1));
    expect(a.length).toBe(16 * 16 * 3);
    expect(Array.from(t(img, new Rng(3, 1)))).toEqual(Array.from(a));
    expect(Array.from(t(img, new Rng(4, 1)))).not.toEqual(Array.from(a));
    for (const v of a) expect(v >= -2 - 1e-6 && v <= 2 + 1e-6).toBe(true);
  });

  it('without augmentation (scale and ratio 1, no flip, no jitter) equals a full-image resize', () => {
    const t = createTrainTransform(cfg, { scale: [1, 1], ratio: [23 / 17, 23 / 17], hflip: 0, colorJitter: 0 });
    const e = resizedCrop(img, { i: 0, j: 0, h: 17, w: 23 }, 16, 16, 'bicubic');
    const out = t(img, new Rng(0));
    expect(out[5]).toBeCloseTo((e.data[5]! / 255 - 0.5) / 0.25, 6);
  });

  it("with timm's RandAugment ('rand-m9-mstd0.5'): seeded, and a bad string throws when the transform is made", () => {
    const t = createTrainTransform(cfg, { autoAugment: 'rand-m9-mstd0.5' });
    const a = t(img, new Rng(11));
    expect(Array.from(t(img, new Rng(11)))).toEqual(Array.from(a));
    expect(Array.from(createTrainTransform(cfg)(img, new Rng(11)))).not.toEqual(Array.from(a));
    expect(() => createTrainTransform(cfg, { autoAugment: 'rand-x9' })).toThrow(/unknown section 'x9'/);
  });

  it('gives one channel (PIL L of the pixels) for 1-channel configs; bad options throw naming them', () => {
    const gray = createEvalTransform({ ...cfg, inputSize: [1, 16, 16], mean: [0.5], std: [0.25] });
    expect(gray(img, new Rng(0)).length).toBe(256);
    expect(() => createTrainTransform(cfg, { scale: [0.5, 0.1] })).toThrow(/scale must be \[lo, hi\]/);
    expect(() => createTrainTransform({ ...cfg, inputSize: [2, 8, 8], mean: [0.5], std: [0.5] })).toThrow(/1 or 3 channels, got 2/);
    expect(() => createTrainTransform(cfg, { interpolation: 'cubic' as never })).toThrow(/unknown interpolation 'cubic'/);
  });
});
