/**
 * Image resizing that gives Pillow's pixels (`Image.resize` on 8-bit images, Pillow's libImaging/Resample.c):
 * separable filters, horizontal pass then vertical pass, each rounded to 8 bits; on downscaling the filter support
 * grows with the scale factor (antialiasing); filter weights are normalized, then turned into fixed-point integers with
 * 22 fractional bits. `nearest` follows Pillow's affine nearest-neighbour scaling.
 */
import type { Interpolation } from './config.js';

interface Filter {
  fn: (x: number) => number;
  support: number;
}

const PRECISION_BITS = 22; // 32 - 8 - 2
const ONE = 1 << PRECISION_BITS;
const HALF = 1 << (PRECISION_BITS - 1);

const F054 = Math.fround(0.54);
const F046 = Math.fround(0.46);

function sinc(x: number): number {
  if (x === 0) return 1;
  const px = x * Math.PI;
  return Math.sin(px) / px;
}

const FILTERS: Record<Exclude<Interpolation, 'nearest'>, Filter> = {
  box: { fn: (x) => (x > -0.5 && x <= 0.5 ? 1 : 0), support: 0.5 },
  bilinear: {
    fn: (x) => {
      const ax = Math.abs(x);
      return ax < 1 ? 1 - ax : 0;
    },
    support: 1,
  },
  hamming: {
    fn: (x) => {
      const ax = Math.abs(x);
      if (ax === 0) return 1;
      if (ax >= 1) return 0;
      const px = ax * Math.PI;
      return (Math.sin(px) / px) * (F054 + F046 * Math.cos(px));
    },
    support: 1,
  },
  bicubic: {
    // cubic convolution with a = -0.5
    fn: (x) => {
      const a = -0.5;
      const ax = Math.abs(x);
      if (ax < 1) return ((a + 2) * ax - (a + 3)) * ax * ax + 1;
      if (ax < 2) return (((ax - 5) * ax + 8) * ax - 4) * a;
      return 0;
    },
    support: 2,
  },
  lanczos: { fn: (x) => (x >= -3 && x < 3 ? sinc(x) * sinc(x / 3) : 0), support: 3 },
};

export const INTERPOLATIONS: readonly Interpolation[] = ['nearest', 'bilinear', 'bicubic', 'box', 'hamming', 'lanczos'];

export function isInterpolation(s: string): s is Interpolation {
  return (INTERPOLATIONS as readonly string[]).includes(s);
}

interface Coeffs {
  ksize: number;
  /** per output index: first input index, number of taps */
  bounds: Int32Array;
  /** fixed-point weights, ksize per output index */
  kk: Int32Array;
}

/** Filter weights for resampling `inSize` samples to `outSize` (whole-image box), as Pillow computes them. */
export function precomputeCoeffs(inSize: number, outSize: number, filter: Filter): Coeffs {
  const scale = inSize / outSize;
  const filterscale = Math.max(scale, 1);
  const support = filter.support * filterscale;
  const ksize = Math.ceil(support) * 2 + 1;
  const bounds = new Int32Array(outSize * 2);
  const kk = new Int32Array(outSize * ksize);
  const w = new Float64Array(ksize);
  const ss = 1 / filterscale;
  for (let xx = 0; xx < outSize; xx++) {
    const center = (xx + 0.5) * scale;
    let xmin = Math.trunc(center - support + 0.5);
    if (xmin < 0) xmin = 0;
    let xmax = Math.trunc(center + support + 0.5);
    if (xmax > inSize) xmax = inSize;
    xmax -= xmin;
    let ww = 0;
    for (let x = 0; x < xmax; x++) {
      const v = filter.fn((x + xmin - center + 0.5) * ss);
      w[x] = v;
      ww += v;
    }
    for (let x = 0; x < xmax; x++) {
      const k = ww !== 0 ? w[x]! / ww : w[x]!;
      kk[xx * ksize + x] = k < 0 ? Math.trunc(-0.5 + k * ONE) : Math.trunc(0.5 + k * ONE);
    }
    bounds[xx * 2] = xmin;
    bounds[xx * 2 + 1] = xmax;
  }
  return { ksize, bounds, kk };
}

function clip8(ss: number): number {
  const v = Math.floor(ss / ONE);
  return v < 0 ? 0 : Math.min(v, 255);
}

/** Horizontal pass over rows [y0, y0 + rows) of the input. */
function resampleHorizontal(
  src: Uint8Array,
  width: number,
  channels: number,
  y0: number,
  rows: number,
  outW: number,
  c: Coeffs,
): Uint8Array {
  const out = new Uint8Array(outW * rows * channels);
  const { ksize, bounds, kk } = c;
  const rowStride = width * channels;
  for (let yy = 0; yy < rows; yy++) {
    const rowBase = (yy + y0) * rowStride;
    const outBase = yy * outW * channels;
    for (let xx = 0; xx < outW; xx++) {
      const xmin = bounds[xx * 2]!;
      const xmax = bounds[xx * 2 + 1]!;
      const kBase = xx * ksize;
      for (let ch = 0; ch < channels; ch++) {
        let ss = HALF;
        let p = rowBase + xmin * channels + ch;
        for (let x = 0; x < xmax; x++, p += channels) ss += src[p]! * kk[kBase + x]!;
        out[outBase + xx * channels + ch] = clip8(ss);
      }
    }
  }
  return out;
}

/** Vertical pass; `bounds` are relative to the first row of `src`. */
function resampleVertical(
  src: Uint8Array,
  width: number,
  channels: number,
  outH: number,
  c: Coeffs,
  rowOffset: number,
): Uint8Array {
  const out = new Uint8Array(width * outH * channels);
  const { ksize, bounds, kk } = c;
  const rowStride = width * channels;
  for (let yy = 0; yy < outH; yy++) {
    const ymin = bounds[yy * 2]! - rowOffset;
    const ymax = bounds[yy * 2 + 1]!;
    const kBase = yy * ksize;
    const outBase = yy * rowStride;
    for (let i = 0; i < rowStride; i++) {
      let ss = HALF;
      let p = ymin * rowStride + i;
      for (let y = 0; y < ymax; y++, p += rowStride) ss += src[p]! * kk[kBase + y]!;
      out[outBase + i] = clip8(ss);
    }
  }
  return out;
}

/** Pillow's nearest-neighbour scaling (ImagingScaleAffine): source index = floor(offset accumulated in doubles). */
function resizeNearest(
  src: Uint8Array,
  width: number,
  height: number,
  channels: number,
  outW: number,
  outH: number,
): Uint8Array {
  const out = new Uint8Array(outW * outH * channels);
  const a0 = width / outW;
  const a4 = height / outH;
  const xin = new Int32Array(outW);
  let xo = a0 * 0.5;
  for (let x = 0; x < outW; x++) {
    const v = xo < 0 ? -1 : Math.trunc(xo);
    xin[x] = v >= width ? width - 1 : v;
    xo += a0;
  }
  let yo = a4 * 0.5;
  for (let y = 0; y < outH; y++) {
    let yi = yo < 0 ? -1 : Math.trunc(yo);
    if (yi >= height) yi = height - 1;
    yo += a4;
    const inRow = yi * width * channels;
    const outRow = y * outW * channels;
    for (let x = 0; x < outW; x++) {
      const s = inRow + xin[x]! * channels;
      const d = outRow + x * channels;
      for (let ch = 0; ch < channels; ch++) out[d + ch] = src[s + ch]!;
    }
  }
  return out;
}

export interface PixelBuffer {
  data: Uint8Array;
  width: number;
  height: number;
  channels: number;
}

/**
 * Resize an 8-bit HWC image to `outW` x `outH` as Pillow's `Image.resize(size, resample)` does for modes L / RGB
 * (channels are independent). Same size returns a copy.
 */
export function resizeImage(img: PixelBuffer, outW: number, outH: number, interpolation: Interpolation | string): PixelBuffer {
  const { data, width, height, channels } = img;
  if (!Number.isInteger(outW) || !Number.isInteger(outH) || outW <= 0 || outH <= 0) {
    throw new Error(`invalid resize target ${outW}x${outH}`);
  }
  if (!isInterpolation(interpolation)) throw new Error(`unsupported interpolation '${interpolation}'`);
  if (outW === width && outH === height) return { data: data.slice(), width, height, channels };
  if (interpolation === 'nearest') {
    return { data: resizeNearest(data, width, height, channels, outW, outH), width: outW, height: outH, channels };
  }
  const filter = FILTERS[interpolation];
  const needH = outW !== width;
  const needV = outH !== height;
  const vert = precomputeCoeffs(height, outH, filter);
  let cur = data;
  let curRows = height;
  let rowOffset = 0;
  if (needH) {
    // only the rows the vertical pass reads
    const first = needV ? vert.bounds[0]! : 0;
    const last = needV ? vert.bounds[outH * 2 - 2]! + vert.bounds[outH * 2 - 1]! : height;
    const horiz = precomputeCoeffs(width, outW, filter);
    cur = resampleHorizontal(data, width, channels, first, last - first, outW, horiz);
    curRows = last - first;
    rowOffset = first;
  }
  const curW = needH ? outW : width;
  if (needV) {
    cur = resampleVertical(cur, curW, channels, outH, vert, rowOffset);
    curRows = outH;
  }
  return { data: cur, width: curW, height: curRows, channels };
}
