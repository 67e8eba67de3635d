import * as tf from '@tensorflow/tfjs-core';
import type { TensorData } from '../weights/types.js';
import type { Pair } from './helpers.js';
import { sliceTensor } from './slice.js';

export type ResampleMode = 'bicubic' | 'bilinear';

const cubic = (x: number, a: number) => {
  const ax = Math.abs(x);
  if (ax < 1) return ((a + 2) * ax - (a + 3)) * ax * ax + 1;
  if (ax < 2) return (((ax - 5) * ax + 8) * ax - 4) * a;
  return 0;
};
const triangle = (x: number) => {
  const ax = Math.abs(x);
  return ax < 1 ? 1 - ax : 0;
};

/**
 * The `[outSize, inSize]` matrix of torch's `F.interpolate(size=…, align_corners=False)` along one axis (scale
 * in/out). Without antialias: bicubic with A = -0.75 and taps clamped at the borders, or bilinear. With antialias
 * (torch's `_upsample_bicubic2d_aa` / `_upsample_bilinear2d_aa`): the PIL-style separable filter (bicubic a = -0.5),
 * support widened by the scale when downsampling, taps cut at the borders and weights normalised to sum 1.
 */
export function interpWeights(inSize: number, outSize: number, mode: ResampleMode = 'bicubic', antialias = false): Float64Array {
  const w = new Float64Array(outSize * inSize);
  const scale = inSize / outSize;
  for (let o = 0; o < outSize; o++) {
    if (antialias) {
      const support = (mode === 'bicubic' ? 2 : 1) * Math.max(scale, 1);
      const center = scale * (o + 0.5);
      const invscale = scale >= 1 ? 1 / scale : 1;
      const xmin = Math.max(Math.trunc(center - support + 0.5), 0);
      const xmax = Math.min(Math.trunc(center + support + 0.5), inSize);
      let total = 0;
      const ws: number[] = [];
      for (let j = xmin; j < xmax; j++) {
        const arg = (j - center + 0.5) * invscale;
        const v = mode === 'bicubic' ? cubic(arg, -0.5) : triangle(arg);
        ws.push(v);
        total += v;
      }
      for (let j = xmin; j < xmax; j++) w[o * inSize + j] = total !== 0 ? ws[j - xmin]! / total : ws[j - xmin]!;
    } else if (mode === 'bicubic') {
      const src = scale * (o + 0.5) - 0.5;
      const i0 = Math.floor(src);
      const t = src - i0;
      const coeffs = [cubic(t + 1, -0.75), cubic(t, -0.75), cubic(1 - t, -0.75), cubic(2 - t, -0.75)];
      for (let k = 0; k < 4; k++) {
        const idx = Math.min(Math.max(i0 - 1 + k, 0), inSize - 1);
        w[o * inSize + idx]! += coeffs[k]!;
      }
    } else {
      const src = Math.max(scale * (o + 0.5) - 0.5, 0);
      const i0 = Math.trunc(src);
      const i1 = i0 < inSize - 1 ? i0 + 1 : i0;
      const l1 = src - i0;
      w[o * inSize + i0]! += 1 - l1;
      w[o * inSize + i1]! += l1;
    }
  }
  return w;
}

/**
 * timm's `resample_abs_pos_embed` on a `[1, L, C]` array: the grid part (after `numPrefixTokens` tokens) is resized
 * from `oldSize` (default: square from L) to `newSize` (bicubic, antialiased by default as timm's default); prefix
 * tokens are kept as they are. Unchanged when the token count already matches a square `newSize`, as in timm.
 */
export function resampleAbsPosEmbed(
  posemb: TensorData, newSize: Pair, oldSize?: Pair | null, numPrefixTokens = 1,
  mode: ResampleMode = 'bicubic', antialias = true,
): TensorData {
  const [, L, C] = posemb.shape as [number, number, number];
  const numPos = L - numPrefixTokens;
  const old: Pair = oldSize ?? [Math.floor(Math.sqrt(numPos)), Math.floor(Math.sqrt(numPos))];
  if (old[0] * old[1] !== numPos) throw new Error(`resampleAbsPosEmbed: ${numPos} grid tokens do not form a ${old[0]}x${old[1]} grid`);
  const [nh, nw] = newSize;
  if (nh * nw + numPrefixTokens === L && nh === nw) return posemb;
  const src = posemb.data as Float32Array;
  const wy = interpWeights(old[0], nh, mode, antialias);
  const wx = interpWeights(old[1], nw, mode, antialias);
  const out = new Float32Array((numPrefixTokens + nh * nw) * C);
  out.set(src.subarray(0, numPrefixTokens * C));
  const base = numPrefixTokens * C;
  // rows first: tmp[nh, oldW, C]
  const tmp = new Float64Array(nh * old[1] * C);
  for (let y = 0; y < nh; y++) {
    for (let iy = 0; iy < old[0]; iy++) {
      const wv = wy[y * old[0] + iy]!;
      if (wv === 0) continue;
      for (let x = 0; x < old[1]; x++) {
        const so = base + (iy * old[1] + x) * C;
        const to = (y * old[1] + x) * C;
        for (let c = 0; c < C; c++) tmp[to + c]! += wv * src[so + c]!;
      }
    }
  }
  // then columns, accumulated in float64
  for (let y = 0; y < nh; y++) {
    for (let x = 0; x < nw; x++) {
      const oo = base + (y * nw + x) * C;
      for (let c = 0; c < C; c++) {
        let s = 0;
        for (let ix = 0; ix < old[1]; ix++) {
          const wv = wx[x * old[1] + ix]!;
          if (wv !== 0) s += wv * tmp[(y * old[1] + ix) * C + c]!;
        }
        out[oo + c] = s;
      }
    }
  }
  return { dtype: 'float32', shape: [1, numPrefixTokens + nh * nw, C], data: out };
}

/** `resampleAbsPosEmbed` on a tensor `[1, L, C]` (for dynamic image sizes at run time). */
export function resampleAbsPosEmbedTensor(
  posemb: tf.Tensor, newSize: Pair, oldSize?: Pair | null, numPrefixTokens = 1, mode: ResampleMode = 'bicubic', antialias = true,
): tf.Tensor {
  const [, L, C] = posemb.shape as [number, number, number];
  const numPos = L - numPrefixTokens;
  const old: Pair = oldSize ?? [Math.floor(Math.sqrt(numPos)), Math.floor(Math.sqrt(numPos))];
  const [nh, nw] = newSize;
  if (nh * nw + numPrefixTokens === L && nh === nw) return posemb;
  return tf.tidy(() => {
    const prefix = numPrefixTokens ? sliceTensor(posemb, [0, 0, 0], [1, numPrefixTokens, C]) : null;
    const grid = tf.reshape(sliceTensor(posemb, [0, numPrefixTokens, 0], [1, numPos, C]), [old[0], old[1] * C]);
    const wy = tf.tensor2d(Float32Array.from(interpWeights(old[0], nh, mode, antialias)), [nh, old[0]]);
    const wx = tf.tensor2d(Float32Array.from(interpWeights(old[1], nw, mode, antialias)), [nw, old[1]]);
    const rows = tf.reshape(tf.matMul(wy, grid), [nh, old[1], C]); // [nh, oldW, C]
    const cols = tf.matMul(tf.tile(tf.expandDims(wx, 0), [nh, 1, 1]) as tf.Tensor3D, rows as tf.Tensor3D); // [nh, nw, C]
    const g = tf.reshape(cols, [1, nh * nw, C]);
    return prefix ? tf.concat([prefix, g], 1) : g;
  });
}
