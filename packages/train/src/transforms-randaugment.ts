/**
 * timm's RandAugment (`rand_augment_transform('rand-m9-mstd0.5', hparams)`, timm/data/auto_augment.py) on 8-bit RGB
 * images: timm's op set (`_RAND_TRANSFORMS`), its level → argument mappings, each op as PIL computes it (ImageOps,
 * ImageEnhance, affine transforms with bilinear/bicubic resampling and the mean colour as fill). Draws come from our
 * {@link Rng}: the same ops and arguments as timm's for the same draws, not for the same seed.
 */
import type { Interpolation, RgbImage } from '@zoo/core';
import type { Rng } from './data/random.js';
import { adjustBrightness, adjustContrast, adjustSaturation } from './transforms.js';

/** timm's `_RAND_TRANSFORMS`, in its order. */
export const RAND_TRANSFORMS = [
  'AutoContrast', 'Equalize', 'Invert', 'Rotate', 'Posterize', 'Solarize', 'SolarizeAdd', 'Color', 'Contrast', 'Brightness', 'Sharpness',
  'ShearX', 'ShearY', 'TranslateXRel', 'TranslateYRel',
] as const;
export type RandOpName = (typeof RAND_TRANSFORMS)[number];

const LEVEL_DENOM = 10;

/** What an op needs beyond its level: fill colour, resampling, and timm's translate_pct. */
export interface AugmentHparams {
  /** Fill for pixels an affine op uncovers: timm uses the data config's mean × 255, rounded. Default [128, 128, 128]. */
  imgMean?: readonly number[];
  /** Resampling of the affine ops: one, or timm's default random choice of bilinear / bicubic per op. */
  interpolation?: 'bilinear' | 'bicubic' | 'nearest' | 'random';
  /** TranslateX/YRel's largest shift as a fraction of the size. Default 0.45. */
  translatePct?: number;
}

const lut = (img: RgbImage, table: (c: number) => Uint8Array): RgbImage => {
  const t = [table(0), table(1), table(2)];
  const out = new Uint8Array(img.data.length);
  for (let k = 0; k < out.length; k++) out[k] = t[k % 3]![img.data[k]!]!;
  return { ...img, data: out };
};

function histogram(img: RgbImage, c: number): number[] {
  const h = new Array<number>(256).fill(0);
  for (let k = c; k < img.data.length; k += 3) h[img.data[k]!]!++;
  return h;
}

/** PIL's `ImageOps.autocontrast(img)` (no cutoff): each channel stretched from its min..max to 0..255. */
export function autoContrast(img: RgbImage): RgbImage {
  return lut(img, (c) => {
    const h = histogram(img, c);
    let lo = 0;
    while (lo < 256 && !h[lo]) lo++;
    let hi = 255;
    while (hi >= 0 && !h[hi]) hi--;
    const t = new Uint8Array(256);
    for (let i = 0; i < 256; i++) {
      if (hi <= lo) t[i] = i;
      else {
        const scale = 255 / (hi - lo);
        const v = Math.trunc(i * scale + -lo * scale);
        t[i] = Math.max(0, Math.min(255, v));
      }
    }
    return t;
  });
}

/** PIL's `ImageOps.equalize(img)`: per-channel histogram equalization. */
export function equalize(img: RgbImage): RgbImage {
  return lut(img, (c) => {
    const h = histogram(img, c);
    const t = new Uint8Array(256);
    const used = h.filter((v) => v);
    const step = used.length <= 1 ? 0 : Math.floor((used.reduce((a, b) => a + b, 0) - used[used.length - 1]!) / 255);
    let n = Math.floor(step / 2);
    for (let i = 0; i < 256; i++) {
      if (!step) t[i] = i;
      else {
        t[i] = Math.min(255, Math.floor(n / step));
        n += h[i]!;
      }
    }
    return t;
  });
}

export const invert = (img: RgbImage): RgbImage => lut(img, () => Uint8Array.from({ length: 256 }, (_, i) => 255 - i));

/** PIL's `ImageOps.posterize(img, bits)`: keep the top `bits` bits (timm leaves the image alone for bits >= 8). */
export function posterize(img: RgbImage, bits: number): RgbImage {
  if (bits >= 8) return img;
  const mask = ~(2 ** (8 - bits) - 1) & 0xff;
  return lut(img, () => Uint8Array.from({ length: 256 }, (_, i) => i & mask));
}

/** PIL's `ImageOps.solarize(img, thresh)`: values at or above `thresh` inverted. */
export const solarize = (img: RgbImage, thresh: number): RgbImage => lut(img, () => Uint8Array.from({ length: 256 }, (_, i) => (i >= thresh ? 255 - i : i)));

/** timm's `solarize_add`: `add` added (capped at 255) to values below `thresh`. */
export const solarizeAdd = (img: RgbImage, add: number, thresh = 128): RgbImage =>
  lut(img, () => Uint8Array.from({ length: 256 }, (_, i) => (i < thresh ? Math.min(255, i + add) : i)));

/** PIL's `ImageEnhance.Sharpness(img).enhance(f)`: a blend with PIL's SMOOTH filter (3×3, 1s around a 5, /13; border kept). */
export function adjustSharpness(img: RgbImage, factor: number): RgbImage {
  const { width: W, height: H, data } = img;
  const smooth = new Uint8Array(data);
  const k1 = Math.fround(1 / 13);
  const k5 = Math.fround(5 / 13);
  const f = Math.fround;
  for (let y = 1; y < H - 1; y++) {
    for (let x = 1; x < W - 1; x++) {
      for (let c = 0; c < 3; c++) {
        const px = (yy: number, xx: number) => data[(yy * W + xx) * 3 + c]!;
        // Pillow: ss = offset + 0.5, then the row below, the row, the row above, each a float a·k0 + b·k1 + c·k2
        let ss = 0.5;
        for (const [yy, mid] of [[y + 1, k1], [y, k5], [y - 1, k1]] as const) {
          const row = f(f(f(px(yy, x - 1) * k1) + f(px(yy, x) * mid)) + f(px(yy, x + 1) * k1));
          ss = f(ss + row);
        }
        smooth[(y * W + x) * 3 + c] = ss <= 0 ? 0 : ss >= 255 ? 255 : Math.trunc(ss);
      }
    }
  }
  const a = Math.fround(factor);
  const out = new Uint8Array(data.length);
  for (let k = 0; k < out.length; k++) {
    const d = smooth[k]!;
    const v = f(d + f(a * (data[k]! - d)));
    out[k] = v <= 0 ? 0 : v >= 255 ? 255 : Math.trunc(v);
  }
  return { ...img, data: out };
}

/**
 * PIL's `img.transform(size, AFFINE, (a, b, c, d, e, f), resample, fillcolor)`: output pixel (x, y) samples the input at
 * (a·(x+½) + b·(y+½) + c, d·(x+½) + e·(y+½) + f) — nearest, bilinear or bicubic as PIL's filters (edges clamped,
 * results truncated) — or gets `fill` where that point is outside the image.
 */
export function affine(img: RgbImage, m: readonly number[], interpolation: 'nearest' | 'bilinear' | 'bicubic', fill: readonly number[]): RgbImage {
  const { width: W, height: H, data } = img;
  const out = new Uint8Array(data.length);
  const xc = (x: number) => (x < 0 ? 0 : x < W ? x : W - 1);
  const at = (y: number, x: number, c: number) => data[(y * W + x) * 3 + c]!;
  for (let y = 0; y < H; y++) {
    for (let x = 0; x < W; x++) {
      const o = (y * W + x) * 3;
      let xin = m[0]! * (x + 0.5) + m[1]! * (y + 0.5) + m[2]!;
      let yin = m[3]! * (x + 0.5) + m[4]! * (y + 0.5) + m[5]!;
      if (interpolation === 'nearest') {
        const xi = Math.floor(xin);
        const yi = Math.floor(yin);
        if (xi < 0 || xi >= W || yi < 0 || yi >= H) out.set(fill.slice(0, 3), o);
        else for (let c = 0; c < 3; c++) out[o + c] = at(yi, xi, c);
        continue;
      }
      if (xin < 0 || xin >= W || yin < 0 || yin >= H) {
        out.set(fill.slice(0, 3), o);
        continue;
      }
      xin -= 0.5;
      yin -= 0.5;
      const x0 = Math.floor(xin);
      const y0 = Math.floor(yin);
      const dx = xin - x0;
      const dy = yin - y0;
      for (let c = 0; c < 3; c++) {
        let v: number;
        if (interpolation === 'bilinear') {
          const row = (yy: number) => {
            const a = at(yy, xc(x0), c);
            return a + (at(yy, xc(x0 + 1), c) - a) * dx;
          };
          const v1 = row(y0 < 0 ? 0 : y0 < H ? y0 : H - 1);
          const v2 = y0 + 1 >= 0 && y0 + 1 < H ? row(y0 + 1) : v1;
          v = v1 + (v2 - v1) * dy;
          out[o + c] = Math.trunc(v);
        } else {
          const cubic = (v1: number, v2: number, v3: number, v4: number, d: number) => {
            const p1 = v2;
            const p2 = -v1 + v3;
            const p3 = 2 * (v1 - v2) + v3 - v4;
            const p4 = -v1 + v2 - v3 + v4;
            return p1 + d * (p2 + d * (p3 + d * p4));
          };
          const xs = [x0 - 1, x0, x0 + 1, x0 + 2].map(xc);
          const row = (yy: number) => cubic(at(yy, xs[0]!, c), at(yy, xs[1]!, c), at(yy, xs[2]!, c), at(yy, xs[3]!, c), dx);
          const yb = y0 - 1;
          const r1 = row(yb < 0 ? 0 : yb < H ? yb : H - 1);
          const r2 = yb + 1 >= 0 && yb + 1 < H ? row(yb + 1) : r1;
          const r3 = yb + 2 >= 0 && yb + 2 < H ? row(yb + 2) : r2;
          const r4 = yb + 3 >= 0 && yb + 3 < H ? row(yb + 3) : r3;
          v = cubic(r1, r2, r3, r4, dy);
          out[o + c] = v <= 0 ? 0 : v >= 255 ? 255 : Math.trunc(v);
        }
      }
    }
  }
  return { ...img, data: out };
}

/** Python's `round(x, 15)`, which PIL's rotate applies to its cosines and sines. */
const round15 = (x: number) => Number(x.toFixed(15));

/** PIL's `img.rotate(degrees, resample, fillcolor=fill)` (no expand; about the centre). */
export function rotate(img: RgbImage, degrees: number, interpolation: 'nearest' | 'bilinear' | 'bicubic', fill: readonly number[]): RgbImage {
  const angle = ((degrees % 360) + 360) % 360;
  if (angle === 0) return { ...img, data: img.data.slice() };
  const r = (-angle * Math.PI) / 180;
  const m = [round15(Math.cos(r)), round15(Math.sin(r)), 0, round15(-Math.sin(r)), round15(Math.cos(r)), 0];
  const cx = img.width / 2;
  const cy = img.height / 2;
  m[2] = m[0]! * -cx + m[1]! * -cy + m[2]! + cx;
  m[5] = m[3]! * -cx + m[4]! * -cy + m[5]! + cy;
  return affine(img, m, interpolation, fill);
}

/** The argument timm's level function gives an op at `magnitude` (0..10); `negate` is the random sign draw. */
export function opArgument(name: RandOpName, magnitude: number, negate: boolean, hparams: AugmentHparams = {}): number | undefined {
  const level = magnitude / LEVEL_DENOM;
  const sign = (v: number) => (negate ? -v : v);
  switch (name) {
    case 'AutoContrast':
    case 'Equalize':
    case 'Invert':
      return undefined;
    case 'Rotate':
      return sign(level * 30);
    case 'Posterize':
      return Math.trunc(level * 4);
    case 'Solarize':
      return Math.min(256, Math.trunc(level * 256));
    case 'SolarizeAdd':
      return Math.min(128, Math.trunc(level * 110));
    case 'Color':
    case 'Contrast':
    case 'Brightness':
    case 'Sharpness':
      return level * 1.8 + 0.1;
    case 'ShearX':
    case 'ShearY':
      return sign(level * 0.3);
    case 'TranslateXRel':
    case 'TranslateYRel':
      return sign(level * (hparams.translatePct ?? 0.45));
  }
}

/** Applies one op with its argument (what timm's `NAME_TO_OP[name](img, arg, fillcolor, resample)` does). */
export function applyOp(img: RgbImage, name: RandOpName, arg: number | undefined, resample: 'nearest' | 'bilinear' | 'bicubic', fill: readonly number[]): RgbImage {
  const a = arg ?? 0;
  switch (name) {
    case 'AutoContrast':
      return autoContrast(img);
    case 'Equalize':
      return equalize(img);
    case 'Invert':
      return invert(img);
    case 'Rotate':
      return rotate(img, a, resample, fill);
    case 'Posterize':
      return posterize(img, a);
    case 'Solarize':
      return solarize(img, a);
    case 'SolarizeAdd':
      return solarizeAdd(img, a);
    case 'Color':
      return adjustSaturation(img, a);
    case 'Contrast':
      return adjustContrast(img, a);
    case 'Brightness':
      return adjustBrightness(img, a);
    case 'Sharpness':
      return adjustSharpness(img, a);
    case 'ShearX':
      return affine(img, [1, a, 0, 0, 1, 0], resample, fill);
    case 'ShearY':
      return affine(img, [1, 0, 0, a, 1, 0], resample, fill);
    case 'TranslateXRel':
      return affine(img, [1, 0, a * img.width, 0, 1, 0], resample, fill);
    case 'TranslateYRel':
      return affine(img, [1, 0, 0, 0, 1, a * img.height], resample, fill);
  }
}

export interface RandAugmentConfig {
  /** Magnitude (timm's `m`, default 10). */
  magnitude: number;
  /** Ops per image (`n`, default 2). */
  numLayers: number;
  /** Probability of each chosen op (`p`, default 0.5). */
  prob: number;
  /** Magnitude noise std (`mstd`, default 0; > 100 means uniform in [0, m]). */
  magnitudeStd: number;
  /** Upper clip of the magnitude (`mmax`, default 10). */
  magnitudeMax: number;
}

/** Parses timm's RandAugment string (`rand-m9-mstd0.5`, `rand-m7-n3-p0.7`…). Other transform sets (`t…`, `inc1`) are refused. */
export function parseRandAugment(spec: string): RandAugmentConfig {
  const parts = spec.split('-');
  if (parts[0] !== 'rand') throw new RangeError(`RandAugment: '${spec}' does not start with 'rand'`);
  const cfg: RandAugmentConfig = { magnitude: LEVEL_DENOM, numLayers: 2, prob: 0.5, magnitudeStd: 0, magnitudeMax: LEVEL_DENOM };
  for (const p of parts.slice(1)) {
    if (p.startsWith('t')) throw new RangeError(`RandAugment: other op sets ('${p}' in '${spec}') are not supported; timm's default _RAND_TRANSFORMS is`);
    const m = /^([a-z]+)(\d.*)$/.exec(p);
    if (!m) continue;
    const [, key, val] = m as unknown as [string, string, string];
    const v = Number(val);
    if (!Number.isFinite(v)) throw new RangeError(`RandAugment: bad value in '${p}' of '${spec}'`);
    if (key === 'm') cfg.magnitude = Math.trunc(v);
    else if (key === 'n') cfg.numLayers = Math.trunc(v);
    else if (key === 'p') cfg.prob = v;
    else if (key === 'mstd') cfg.magnitudeStd = v > 100 ? Number.POSITIVE_INFINITY : v;
    else if (key === 'mmax') cfg.magnitudeMax = Math.trunc(v);
    else if (key === 'inc' && v) throw new RangeError(`RandAugment: the 'increasing' op set (inc1) is not supported ('${spec}')`);
    else if (key !== 'inc') throw new RangeError(`RandAugment: unknown section '${p}' in '${spec}' (m, n, p, mstd, mmax)`);
  }
  return cfg;
}

/**
 * timm's RandAugment: `numLayers` ops chosen uniformly with replacement; each applied with probability `prob` at a
 * magnitude drawn around `magnitude` (normal with `magnitudeStd`, clipped to [0, magnitudeMax]).
 */
export function createRandAugment(spec: string, hparams: AugmentHparams = {}): (img: RgbImage, rng: Rng) => RgbImage {
  const cfg = parseRandAugment(spec);
  const fill = hparams.imgMean ?? [128, 128, 128];
  const interp = hparams.interpolation ?? 'random';
  return (img, rng) => {
    const ops = Array.from({ length: cfg.numLayers }, () => RAND_TRANSFORMS[rng.int(0, RAND_TRANSFORMS.length)]!);
    let out = img;
    for (const name of ops) {
      if (cfg.prob < 1 && rng.random() > cfg.prob) continue;
      let m = cfg.magnitude;
      if (cfg.magnitudeStd === Number.POSITIVE_INFINITY) m = rng.uniform(0, m);
      else if (cfg.magnitudeStd > 0) m = rng.normal(m, cfg.magnitudeStd);
      m = Math.max(0, Math.min(m, cfg.magnitudeMax));
      const negate = rng.random() > 0.5;
      const resample: Interpolation & ('nearest' | 'bilinear' | 'bicubic') = interp === 'random' ? (rng.random() < 0.5 ? 'bilinear' : 'bicubic') : interp;
      out = applyOp(out, name, opArgument(name, m, negate, hparams), resample, fill);
    }
    return out;
  };
}
