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

/** Each kernel tap's window of the padded input, `[N, Ho, Wo, C]`, in the kernel's row-major order. */
function taps(x: tf.Tensor4D, kh: number, kw: number, g: ConvGeometry): { windows: tf.Tensor4D[]; ho: number; wo: number } {
  const [n, h, w, c] = x.shape;
  const { stride: s, dilation: d } = g;
  const [top, bottom, left, right] = g.pads;
  const ho = Math.floor((h + top + bottom - d * (kh - 1) - 1) / s) + 1;
  const wo = Math.floor((w + left + right - d * (kw - 1) - 1) / s) + 1;
  // Each window is cut as an [Ho·s, Wo·s] block (then every s-th row and column kept): zeros past the end make room.
  const extraH = Math.max(0, d * (kh - 1) + s * ho - (h + top + bottom));
  const extraW = Math.max(0, d * (kw - 1) + s * wo - (w + left + right));
  const xp = top || bottom || left || right || extraH || extraW ? tf.pad(x, [[0, 0], [top, bottom + extraH], [left, right + extraW], [0, 0]]) : x;
  const windows: tf.Tensor4D[] = [];
  for (let i = 0; i < kh; i++) {
    for (let j = 0; j < kw; j++) {
      // sliceTensor: on wasm core's slice kernel, which copies only the window (tfjs-wasm's Slice copies all of xp).
      let win = sliceTensor(xp, [0, i * d, j * d, 0], [n, ho * s, wo * s, c]);
      if (s > 1) win = tf.reshape(sliceTensor(tf.reshape(win, [n, ho, s, wo, s * c]), [0, 0, 0, 0, 0], [n, ho, 1, wo, c]), [n, ho, wo, c]);
      windows.push(win);
    }
  }
  return { windows, ho, wo };
}

function regular(x: tf.Tensor4D, w: tf.Tensor4D, g: ConvGeometry): tf.Tensor4D {
  const [kh, kw, cin, cout] = w.shape;
  const [n] = x.shape;
  const { windows, ho, wo } = taps(x, kh, kw, g);
  const patches = windows.length === 1 ? windows[0]! : tf.concat(windows, 3);
  const y = tf.matMul(tf.reshape(patches, [n * ho * wo, kh * kw * cin]), tf.reshape(w, [kh * kw * cin, cout]));
  return tf.reshape(y, [n, ho, wo, cout]);
}

function depthwise(x: tf.Tensor4D, w: tf.Tensor4D, g: ConvGeometry): tf.Tensor4D {
  const [kh, kw, c, m] = w.shape;
  const [n, h, wd] = x.shape;
  // A channel multiplier m repeats each input channel m times (tfjs' output channel order is c·m + j).
  const xr = m === 1 ? x : (tf.reshape(tf.tile(tf.reshape(x, [n, h, wd, c, 1]), [1, 1, 1, 1, m]), [n, h, wd, c * m]) as tf.Tensor4D);
  const { windows } = taps(xr, kh, kw, g);
  const wk = tf.reshape(w, [kh * kw, c * m]);
  const terms = windows.map((win, k) => tf.mul(win, tf.reshape(sliceTensor(wk, [k, 0], [1, c * m]), [c * m])));
  return (terms.length === 1 ? terms[0]! : tf.addN(terms)) as tf.Tensor4D;
}
