import { readFileSync } from 'node:fs';
import { join } from 'node:path';
import type { RgbImage } from '@zoo/core';
import { describe, expect, it } from 'vitest';
import { applyOp, createRandAugment, opArgument, parseRandAugment, RAND_TRANSFORMS, type RandOpName, Rng } from '../src/index.js';

// transforms.json's 'randaugment' part: timm's auto_augment ops on Pillow 9.4 (gen_transforms.py beside it)
interface Facts {
  image: { width: number; height: number; rgb: string };
  randaugment: { fill: number[]; ops: Record<string, string>; levels: [RandOpName, number, boolean, number | null][] };
}
const facts = JSON.parse(readFileSync(join(import.meta.dirname, 'fixtures', 'transforms.json'), 'utf8')) as Facts;
const bytes = (b64: string) => new Uint8Array(Buffer.from(b64, 'base64'));
const img: RgbImage = { data: bytes(facts.image.rgb), width: facts.image.width, height: facts.image.height, channels: 3 };

describe("RandAugment ops equal timm's on PIL images", () => {
  for (const [key, want] of Object.entries(facts.randaugment.ops)) {
    const [name, arg, resample] = key.split('|') as [RandOpName, string, 'bilinear' | 'bicubic' | 'nearest'];
    it(`${name}(${arg}) ${['Rotate', 'ShearX', 'ShearY', 'TranslateXRel', 'TranslateYRel'].includes(name) ? resample : ''}`, () => {
      const out = applyOp(img, name, arg === 'None' ? undefined : Number(arg), resample, facts.randaugment.fill);
      expect(Array.from(out.data)).toEqual(Array.from(bytes(want)));
    });
  }

  it('covers every op of timm\'s _RAND_TRANSFORMS', () => {
    expect(new Set(Object.keys(facts.randaugment.ops).map((k) => k.split('|')[0]))).toEqual(new Set(RAND_TRANSFORMS));
  });
});

describe('RandAugment levels and sampling', () => {
  it("maps magnitudes to timm's op arguments (with the random sign)", () => {
    for (const [name, m, negate, arg] of facts.randaugment.levels) {
      const got = opArgument(name, m, negate);
      if (arg === null) expect(got, `${name} m${m}`).toBeUndefined();
      else expect(got, `${name} m${m} negate ${negate}`).toBeCloseTo(arg, 12);
    }
  });

  it("parses timm's strings and refuses what it does not support", () => {
    expect(parseRandAugment('rand-m9-mstd0.5')).toEqual({ magnitude: 9, numLayers: 2, prob: 0.5, magnitudeStd: 0.5, magnitudeMax: 10 });
    expect(parseRandAugment('rand-m7-n3-p0.7-mstd101-mmax12')).toEqual({ magnitude: 7, numLayers: 3, prob: 0.7, magnitudeStd: Number.POSITIVE_INFINITY, magnitudeMax: 12 });
    expect(() => parseRandAugment('augmix-m5')).toThrow(/does not start with 'rand'/);
    expect(() => parseRandAugment('rand-m9-inc1')).toThrow(/inc1/);
    expect(() => parseRandAugment('rand-m9-q3')).toThrow(/unknown section 'q3'/);
    expect(() => parseRandAugment('rand-m9-tweights')).toThrow(/other op sets \('tweights'/);
  });

  it('is seeded: same draws, same image; other seeds give other images', () => {
    const ra = createRandAugment('rand-m9-mstd0.5', { imgMean: facts.randaugment.fill });
    const a = ra(img, new Rng(5));
    expect(Array.from(ra(img, new Rng(5)).data)).toEqual(Array.from(a.data));
    const differ = [6, 7, 8, 9, 10].some((s) => ra(img, new Rng(s)).data.some((v, i) => v !== a.data[i]));
    expect(differ).toBe(true);
  });
});
