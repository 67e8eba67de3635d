import * as tf from '@tensorflow/tfjs-core';
import type { TensorData } from '../weights/types.js';
import type { Pair } from './helpers.js';
import { sliceTensor } from './slice.js';

/**
 * Window machinery of the windowed-attention transformers (Swin, Swin-V2; the relative-position parts also for
 * BEiT-style tables): timm's `window_partition` / `window_reverse` over NHWC maps, the relative position index of
 * a window, the shifted-window attention mask (padded up to whole windows as timm pads), the log-spaced relative
 * coordinates SwinV2's continuous position bias reads, and `resize_rel_pos_bias_table` for loading a table trained
 * with another window size.
 */

/** timm's `window_partition`: `[B, H, W, C]` → `[B·(H/wh)·(W/ww), wh, ww, C]`, windows in row-major order. H, W must be multiples of the window. */
export function windowPartition(x: tf.Tensor, windowSize: Pair): tf.Tensor4D {
  const [B, H, W, C] = x.shape as [number, number, number, number];
  const [wh, ww] = windowSize;
  if (H % wh || W % ww) throw new Error(`windowPartition: a ${H}x${W} map is not a whole number of ${wh}x${ww} windows`);
  // [B·H/wh, wh, W/ww, ww·C] → [B·H/wh, W/ww, wh, ww·C]: the window's columns and channels stay together.
  const t = tf.transpose(tf.reshape(x, [B * (H / wh), wh, W / ww, ww * C]), [0, 2, 1, 3]);
  return tf.reshape(t, [-1, wh, ww, C]);
}

/** timm's `window_reverse`: windows `[B·nW, wh, ww, C]` back to the `[B, H, W, C]` map they were cut from. */
export function windowReverse(windows: tf.Tensor, windowSize: Pair, H: number, W: number): tf.Tensor4D {
  const [wh, ww] = windowSize;
  const C = windows.shape[windows.rank - 1]!;
  const nw = W / ww;
  const t = tf.transpose(tf.reshape(windows, [-1, nw, wh, ww * C]), [0, 2, 1, 3]);
  return tf.reshape(t, [-1, H, W, C]);
}

/** `torch.roll(x, shift, axis)` for one axis of a tensor (positive shifts move elements to higher indices). */
export function rollAxis(x: tf.Tensor, shift: number, axis: number): tf.Tensor {
  const n = x.shape[axis]!;
  const s = ((shift % n) + n) % n;
  if (s === 0) return x;
  const begin = x.shape.map(() => 0);
  const size = x.shape.map(() => -1);
  const tailBegin = [...begin];
  tailBegin[axis] = n - s;
  const headSize = [...size];
  headSize[axis] = n - s;
  return tf.concat([sliceTensor(x, tailBegin, size), sliceTensor(x, begin, headSize)], axis);
}

/**
 * timm's `get_relative_position_index` for a `winH × winW` window: for each (query, key) token pair of the window,
 * the row of a `(2·winH−1)(2·winW−1)` relative position table holding their offset. Row-major `[N, N]`, N = winH·winW.
 */
export function relativePositionIndex(winH: number, winW: number): Int32Array {
  const n = winH * winW;
  const out = new Int32Array(n * n);
  for (let i = 0; i < n; i++) {
    const yi = Math.floor(i / winW);
    const xi = i % winW;
    for (let j = 0; j < n; j++) {
      const dy = yi - Math.floor(j / winW) + winH - 1;
      const dx = xi - (j % winW) + winW - 1;
      out[i * n + j] = dy * (2 * winW - 1) + dx;
    }
  }
  return out;
}

/**
 * The additive attention mask of timm's shifted windows (SW-MSA): for an `H × W` map (padded up to whole windows,
 * as timm's Swin pads), cyclically shifted by `shift`, token pairs of one window that came from different regions
 * get -100 and the rest 0. Returns `[nW, N, N]` row-major (nW windows of N = wh·ww tokens), or null when there is no
 * shift.
 */
export function shiftedWindowMask(H: number, W: number, windowSize: Pair, shiftSize: Pair): { data: Float32Array; shape: [number, number, number] } | null {
  const [wh, ww] = windowSize;
  const [sh, sw] = shiftSize;
  if (!sh && !sw) return null;
  const Hp = Math.ceil(H / wh) * wh;
  const Wp = Math.ceil(W / ww) * ww;
  // timm's slices (0, -w), (-w, -s), (-s, None) along each axis: which of the three bands a coordinate is in.
  const band = (v: number, size: number, w: number, s: number) => (v < size - w ? 0 : v < size - s ? 1 : 2);
  const region = new Int32Array(Hp * Wp);
  for (let y = 0; y < Hp; y++) for (let x = 0; x < Wp; x++) region[y * Wp + x] = band(y, Hp, wh, sh) * 3 + band(x, Wp, ww, sw);
  const nh = Hp / wh;
  const nw = Wp / ww;
  const N = wh * ww;
  const data = new Float32Array(nh * nw * N * N);
  const ids = new Int32Array(N);
  for (let r = 0; r < nh; r++) for (let c = 0; c < nw; c++) {
    for (let t = 0; t < N; t++) ids[t] = region[(r * wh + Math.floor(t / ww)) * Wp + c * ww + (t % ww)]!;
    const base = (r * nw + c) * N * N;
    for (let i = 0; i < N; i++) for (let j = 0; j < N; j++) data[base + i * N + j] = ids[i] === ids[j] ? 0 : -100;
  }
  return { data, shape: [nh * nw, N, N] };
}

/**
 * SwinV2's relative coordinates table (timm's `relative_coords_table`): for every offset (dy, dx) of a window, the
 * coordinates normalised by `pretrainedWindow − 1` (or the window's own size when 0), scaled to ±8 and log-spaced:
 * `sign(v)·log2(|v|+1)/log2(8)`. Row-major `[(2wh−1)·(2ww−1), 2]`.
 */
export function relativeLogCoordsTable(windowSize: Pair, pretrainedWindowSize: Pair = [0, 0]): Float32Array {
  const [wh, ww] = windowSize;
  const [ph, pw] = pretrainedWindowSize[0] > 0 ? pretrainedWindowSize : windowSize;
  const rows = 2 * wh - 1;
  const cols = 2 * ww - 1;
  const out = new Float32Array(rows * cols * 2);
  // torch computes in float32: each step is rounded as it is there.
  const f = Math.fround;
  const log = (v: number) => f(f(Math.sign(v) * f(Math.log2(f(Math.abs(v) + 1)))) / 3);
  for (let i = 0; i < rows; i++) for (let j = 0; j < cols; j++) {
    const dy = f(f((i - (wh - 1)) / (ph - 1)) * 8);
    const dx = f(f((j - (ww - 1)) / (pw - 1)) * 8);
    out[(i * cols + j) * 2] = log(dy);
    out[(i * cols + j) * 2 + 1] = log(dx);
  }
  return out;
}

/** The `[out, in]` weights of timm's `RegularGridInterpolator` along one axis: linear between the (uneven) `src` points, held at the ends. */
function gridInterpWeights(src: number[], dst: number[]): Float64Array {
  const n = src.length;
  const w = new Float64Array(dst.length * n);
  dst.forEach((x, o) => {
    let right = src.findIndex((p) => p >= x);
    if (right < 0) right = n - 1;
    const left = Math.max(right - 1, 0);
    let dl = Math.max(x - src[left]!, 0);
    let dr = Math.max(src[right]! - x, 0);
    if (dl === 0 && dr === 0) dl = dr = 1;
    w[o * n + left]! += dr / (dl + dr);
    w[o * n + right]! += dl / (dl + dr);
  });
  return w;
}

/** BEiT's geometric source positions for a table of `src` rows resized to `dst` (timm's `_calc` in `resize_rel_pos_bias_table`). */
function geometricPositions(src: number, dst: number): number[] {
  const half = Math.floor(src / 2);
  const gp = (r: number) => (1 - r ** half) / (1 - r);
  let left = 1.01;
  let right = 1.5;
  let q = 0;
  while (right - left > 1e-6) {
    q = (left + right) / 2;
    if (gp(q) > Math.floor(dst / 2)) right = q;
    else left = q;
  }
  const dis: number[] = [];
  let cur = 1;
  for (let i = 0; i < half; i++) {
    dis.push(cur);
    cur += q ** (i + 1);
  }
  return [...dis.map((d) => -d).reverse(), 0, ...dis];
}

/**
 * timm's `resize_rel_pos_bias_table` (its default, scipy-free path): a relative position bias table for another
 * window size, resampled per head on BEiT's geometric grid with timm's linear `RegularGridInterpolator`. Takes the
 * flat `[L, heads]` form (a square source, plus `L − (2h−1)(2w−1)` extra rows kept at the end, as BEiT's class-token
 * rows) or the `[heads, H, W]` form; returns the table unchanged when its size already fits `newWindowSize`.
 */
export function resizeRelPosBiasTable(table: TensorData, newWindowSize: Pair, newBiasShape: readonly number[]): TensorData {
  const dstH = 2 * newWindowSize[0] - 1;
  const dstW = 2 * newWindowSize[1] - 1;
  const src = table.data as Float32Array;
  const flat = table.shape.length === 2;
  let heads: number;
  let srcH: number;
  let srcW: number;
  let extra = 0;
  if (flat) {
    const [L, nH] = table.shape as [number, number];
    extra = newBiasShape[0]! - dstH * dstW;
    srcH = srcW = Math.trunc(Math.sqrt(L - extra));
    heads = nH;
    if (srcH < 1 || srcH * srcW + extra !== L) throw new Error(`resizeRelPosBiasTable: a table of ${L} rows is not a square grid plus ${extra} extra rows`);
    if (newBiasShape[1] !== undefined && newBiasShape[1] !== nH) throw new Error(`resizeRelPosBiasTable: the table has ${nH} heads, the model ${newBiasShape[1]}`);
  } else if (table.shape.length === 3) {
    [heads, srcH, srcW] = table.shape as [number, number, number];
    if (newBiasShape[1] !== dstH || newBiasShape[2] !== dstW) throw new Error(`resizeRelPosBiasTable: new shape [${newBiasShape}] does not fit window ${newWindowSize}`);
  } else {
    throw new Error(`resizeRelPosBiasTable: expected a [L, heads] or [heads, H, W] table, got shape [${table.shape}]`);
  }
  if (srcH === dstH && srcW === dstW) return table;
  const wy = gridInterpWeights(geometricPositions(srcH, dstH), centred(dstH));
  const wx = gridInterpWeights(geometricPositions(srcW, dstW), centred(dstW));
  const at = (h: number, y: number, x: number) => (flat ? src[(y * srcW + x) * heads + h]! : src[(h * srcH + y) * srcW + x]!);
  const rows = flat ? dstH * dstW + extra : dstH * dstW;
  const out = new Float32Array(rows * heads);
  for (let h = 0; h < heads; h++) {
    for (let oy = 0; oy < dstH; oy++) for (let ox = 0; ox < dstW; ox++) {
      let s = 0;
      for (let y = 0; y < srcH; y++) {
        const a = wy[oy * srcH + y]!;
        if (a === 0) continue;
        for (let x = 0; x < srcW; x++) {
          const b = wx[ox * srcW + x]!;
          if (b !== 0) s += a * b * at(h, y, x);
        }
      }
      if (flat) out[(oy * dstW + ox) * heads + h] = s;
      else out[(h * dstH + oy) * dstW + ox] = s;
    }
  }
  if (flat) out.set(src.subarray((srcH * srcW) * heads), dstH * dstW * heads);
  return { dtype: 'float32', shape: flat ? [rows, heads] : [heads, dstH, dstW], data: out };
}

/** The integer target positions −⌊n/2⌋ … ⌊n/2⌋ (timm's `torch.arange(-t, t + 0.1)`). */
function centred(n: number): number[] {
  const t = Math.floor(n / 2);
  return Array.from({ length: 2 * t + 1 }, (_, i) => i - t);
}
