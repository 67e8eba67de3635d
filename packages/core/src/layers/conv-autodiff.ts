import * as tf from '@tensorflow/tfjs-core';
import { sliceTensor } from './slice.js';

/** How a conv slides: stride, dilation, explicit `[top, bottom, left, right]` padding and grouping. */
export interface ConvGeometry {
  stride: number;
  dilation: number;
  pads: [number, number, number, number];
  groups: number;
  depthwise: boolean;
}

/**
 * A conv (regular, grouped or depthwise) built from ops whose gradients every tfjs backend has: tfjs-backend-wasm
 * 4.22 registers no `Conv2DBackpropFilter` and no depthwise backprop kernels, so `tf.conv2d`'s filter gradient and
 * `tf.depthwiseConv2d`'s gradients fail there. The input's kernel taps are cut out with slices (a stride by a
 * reshape); a regular conv is then one matmul of the concatenated taps (im2col) with the HWIO kernel seen as
 * `[kh·kw·in, out]`, and a depthwise conv the sum of each tap times its per-channel weights. Autodiff through pads,
 * slices, reshapes, concat, matmul and products gives both the input and the filter gradient (the filter gradient
 * is the matmul of the taps with the output gradient). Used while gradients are recorded; same values as the conv
 * ops up to float32 rounding.
 */
export function differentiableConv2d(x: tf.Tensor4D, w: tf.Tensor4D, b: tf.Tensor | null, g: ConvGeometry): tf.Tensor4D {
  let y: tf.Tensor4D;
  if (g.depthwise) {
    y = depthwise(x, w, g);
  } else if (g.groups === 1) {
    y = regular(x, w, g);
  } else {
    const xs = tf.split(x, g.groups, 3) as tf.Tensor4D[];
    const ws = tf.split(w, g.groups, 3) as tf.Tensor4D[];
    y = tf.concat(xs.map((xi, i) => regular(xi, ws[i]!, g)), 3) as tf.Tensor4D;
  }
  return b ? (tf.add(y, b) as tf.Tensor4D) : y;
}

/** The input padded for cutting every kernel tap's window (see {@link tapWindow}), and the output size. */
function padForTaps(x: tf.Tensor4D, kh: number, kw: number, g: ConvGeometry): { xp: tf.Tensor4D; ho: number; wo: number } {
  const [, h, w] = x.shape;
  const { stride: s, dilation: d } = g;
  const [top, bottom, left, right] = g.pads;
  const ho = Math.floor((h + top + bottom - d * (kh - 1) - 1) / s) + 1;
  const wo = Math.floor((w + left + right - d * (kw - 1) - 1) / s) + 1;
  // Each window is cut as an [Ho·s, Wo·s] block (then every s-th row and column kept): zeros past the end make room.
  const extraH = Math.max(0, d * (kh - 1) + s * ho - (h + top + bottom));
  const extraW = Math.max(0, d * (kw - 1) + s * wo - (w + left + right));
  const xp = top || bottom || left || right || extraH || extraW ? tf.pad(x, [[0, 0], [top, bottom + extraH], [left, right + extraW], [0, 0]]) : x;
  return { xp, ho, wo };
}

/** Tap (i, j)'s window of the padded input, `[N, Ho, Wo, C]`. */
function tapWindow(xp: tf.Tensor4D, i: number, j: number, ho: number, wo: number, g: ConvGeometry): tf.Tensor4D {
  const [n, , , c] = xp.shape;
  const { stride: s, dilation: d } = g;
  // sliceTensor: on wasm core's slice kernel, which copies only the window (tfjs-wasm's Slice copies all of xp).
  let win = sliceTensor(xp, [0, i * d, j * d, 0], [n, ho * s, wo * s, c]) as tf.Tensor4D;
  if (s > 1) win = tf.reshape(sliceTensor(tf.reshape(win, [n, ho, s, wo, s * c]), [0, 0, 0, 0, 0], [n, ho, 1, wo, c]), [n, ho, wo, c]);
  return win;
}

/** Each kernel tap's window of the padded input, `[N, Ho, Wo, C]`, in the kernel's row-major order. */
function taps(x: tf.Tensor4D, kh: number, kw: number, g: ConvGeometry): { windows: tf.Tensor4D[]; ho: number; wo: number } {
  const { xp, ho, wo } = padForTaps(x, kh, kw, g);
  const windows: tf.Tensor4D[] = [];
  for (let i = 0; i < kh; i++) for (let j = 0; j < kw; j++) windows.push(tapWindow(xp, i, j, ho, wo, g));
  return { windows, ho, wo };
}

function regular(x: tf.Tensor4D, w: tf.Tensor4D, g: ConvGeometry): tf.Tensor4D {
  return g.dilation === 1 ? regularCustomGrad(x, w, g) : regularIm2col(x, w, g);
}

/** im2col: one matmul of the concatenated taps with the kernel as `[kh·kw·in, out]`; autodiff does the rest. */
function regularIm2col(x: tf.Tensor4D, w: tf.Tensor4D, g: ConvGeometry): tf.Tensor4D {
  const [kh, kw, cin, cout] = w.shape;
  const [n] = x.shape;
  const { windows, ho, wo } = taps(x, kh, kw, g);
  const patches = windows.length === 1 ? windows[0]! : tf.concat(windows, 3);
  const y = tf.matMul(tf.reshape(patches, [n * ho * wo, kh * kw * cin]), tf.reshape(w, [kh * kw * cin, cout]));
  return tf.reshape(y, [n, ho, wo, cout]);
}

/**
 * The conv op itself forward (XNNPACK on wasm), with its gradients given: the input gradient as a stride-1 conv of
 * the stride-dilated, re-padded output gradient with the spatially flipped kernel (tfjs-wasm's own
 * `Conv2DBackpropInput` is a plain loop, ≈ 10× slower), the filter gradient as the im2col product `tapsᵀ · dy` (the
 * kernel wasm lacks).
 */
function regularCustomGrad(x: tf.Tensor4D, w: tf.Tensor4D, g: ConvGeometry): tf.Tensor4D {
  const [top, bottom, left, right] = g.pads;
  const pad = [[0, 0], [top, bottom], [left, right], [0, 0]] as [[number, number], [number, number], [number, number], [number, number]];
  const conv = tf.customGrad(((xi: tf.Tensor, wi: tf.Tensor, save: tf.GradSaveFunc) => {
    save([xi, wi]);
    const value = tf.conv2d(xi as tf.Tensor4D, wi as tf.Tensor4D, g.stride, pad);
    const gradFunc = (dy: tf.Tensor, saved: tf.Tensor[]) => {
      const [xs, ws] = saved as [tf.Tensor4D, tf.Tensor4D];
      const [kh, kw, cin, cout] = ws.shape;
      const dy4 = dy as tf.Tensor4D;
      const dx = inputGradient(dy4, ws, xs.shape, g);
      const { windows, ho, wo } = taps(xs, kh, kw, g);
      const patches = windows.length === 1 ? windows[0]! : tf.concat(windows, 3);
      const rows = xs.shape[0] * ho * wo;
      const patchesT = tf.transpose(tf.reshape(patches, [rows, kh * kw * cin]));
      const dw = tf.reshape(tf.matMul(patchesT, tf.reshape(dy4, [rows, cout])), ws.shape);
      return [dx, dw];
    };
    return { value, gradFunc };
  }) as never);
  return conv(x, w) as tf.Tensor4D;
}

/** Pads (positive) or crops (negative) H and W of an NHWC tensor. */
function padOrCrop(x: tf.Tensor4D, top: number, bottom: number, left: number, right: number): tf.Tensor4D {
  const [n, h, w, c] = x.shape;
  const padded = top > 0 || bottom > 0 || left > 0 || right > 0 ? tf.pad(x, [[0, 0], [Math.max(top, 0), Math.max(bottom, 0)], [Math.max(left, 0), Math.max(right, 0)], [0, 0]]) : x;
  if (top >= 0 && bottom >= 0 && left >= 0 && right >= 0) return padded;
  return tf.slice(padded, [0, Math.max(-top, 0), Math.max(-left, 0), 0], [n, h + top + bottom, w + left + right, c]);
}

/**
 * dL/dx of a conv (dilation 1): x[i] receives dy[o]·w[k] wherever o·s + k = i + pad, i.e. a stride-1 correlation of
 * dy with s - 1 zeros between its elements, padded by k - 1 - pad before, with the kernel flipped (and, for a
 * regular conv, its in/out axes swapped; a depthwise conv stays depthwise).
 */
function inputGradient(dy: tf.Tensor4D, w: tf.Tensor4D, xShape: [number, number, number, number], g: ConvGeometry, depthwise = false): tf.Tensor4D {
  const [n, ho, wo, cout] = dy.shape;
  const [kh, kw] = w.shape;
  const [, h, wd] = xShape;
  const s = g.stride;
  const [top, , left] = g.pads;
  const dilated = s === 1 ? dy : (tf.reshape(tf.pad(tf.reshape(dy, [n, ho, 1, wo, 1, cout]), [[0, 0], [0, 0], [0, s - 1], [0, 0], [0, s - 1], [0, 0]]), [n, ho * s, wo * s, cout]) as tf.Tensor4D);
  const before = [kh - 1 - top, kw - 1 - left];
  const padded = padOrCrop(dilated, before[0]!, h + kh - 1 - before[0]! - ho * s, before[1]!, wd + kw - 1 - before[1]! - wo * s);
  if (depthwise) return tf.depthwiseConv2d(padded, tf.reverse(w, [0, 1]) as tf.Tensor4D, 1, 'valid');
  const flipped = tf.transpose(tf.reverse(w, [0, 1]), [0, 1, 3, 2]) as tf.Tensor4D;
  return tf.conv2d(padded, flipped, 1, 'valid');
}

function depthwise(x: tf.Tensor4D, w: tf.Tensor4D, g: ConvGeometry): tf.Tensor4D {
  return w.shape[3] === 1 && g.dilation === 1 ? depthwiseCustomGrad(x, w, g) : depthwiseTaps(x, w, g);
}

/**
 * A depthwise conv (multiplier 1) as tfjs' op forward, with its gradients given: the input gradient as a stride-1
 * depthwise conv of the dilated, re-padded output gradient with the flipped kernel; the filter gradient tap by tap,
 * `Σ window_k · dy` over batch and space, each tap freed before the next (autodiff through the taps would keep all
 * kh·kw windows of every layer until the backward pass).
 */
function depthwiseCustomGrad(x: tf.Tensor4D, w: tf.Tensor4D, g: ConvGeometry): tf.Tensor4D {
  const [top, bottom, left, right] = g.pads;
  const pad = [[0, 0], [top, bottom], [left, right], [0, 0]] as [[number, number], [number, number], [number, number], [number, number]];
  const conv = tf.customGrad(((xi: tf.Tensor, wi: tf.Tensor, save: tf.GradSaveFunc) => {
    save([xi, wi]);
    const value = tf.depthwiseConv2d(xi as tf.Tensor4D, wi as tf.Tensor4D, g.stride, pad);
    const gradFunc = (dy: tf.Tensor, saved: tf.Tensor[]) => {
      const [xs, ws] = saved as [tf.Tensor4D, tf.Tensor4D];
      const [kh, kw, c] = ws.shape;
      const dy4 = dy as tf.Tensor4D;
      const dx = inputGradient(dy4, ws, xs.shape, g, true);
      const rows = mapTaps(xs, kh, kw, g, (win) => tf.sum(tf.mul(win, dy4), [0, 1, 2]));
      const dw = tf.reshape(tf.stack(rows), [kh, kw, c, 1]);
      return [dx, dw];
    };
    return { value, gradFunc };
  }) as never);
  return conv(x, w) as tf.Tensor4D;
}

/** `reduce(window)` for each kernel tap's window of the padded input (see {@link taps}), each window freed before the next. */
function mapTaps(x: tf.Tensor4D, kh: number, kw: number, g: ConvGeometry, reduce: (win: tf.Tensor4D) => tf.Tensor): tf.Tensor[] {
  const { xp, ho, wo } = padForTaps(x, kh, kw, g);
  const out: tf.Tensor[] = [];
  for (let i = 0; i < kh; i++) for (let j = 0; j < kw; j++) out.push(tf.tidy(() => reduce(tapWindow(xp, i, j, ho, wo, g))));
  if (xp !== x) xp.dispose();
  return out;
}

function depthwiseTaps(x: tf.Tensor4D, w: tf.Tensor4D, g: ConvGeometry): tf.Tensor4D {
  const [kh, kw, c, m] = w.shape;
  const [n, h, wd] = x.shape;
  // A channel multiplier m repeats each input channel m times (tfjs' output channel order is c·m + j).
  const xr = m === 1 ? x : (tf.reshape(tf.tile(tf.reshape(x, [n, h, wd, c, 1]), [1, 1, 1, 1, m]), [n, h, wd, c * m]) as tf.Tensor4D);
  const { windows } = taps(xr, kh, kw, g);
  const wk = tf.reshape(w, [kh * kw, c * m]);
  const terms = windows.map((win, k) => tf.mul(win, tf.reshape(sliceTensor(wk, [k, 0], [1, c * m]), [c * m])));
  return (terms.length === 1 ? terms[0]! : tf.addN(terms)) as tf.Tensor4D;
}
