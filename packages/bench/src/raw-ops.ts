/** What the raw references share: reading state-dict entries, folding BN into convs, transposing linears. */
import * as tf from '@tensorflow/tfjs-core';
import type { StateDict } from '@zoo/core';

/** A hand-written reference network: logits for NHWC input, in one tidy. */
export interface RawModel {
  forward(x: tf.Tensor4D): tf.Tensor2D;
  dispose(): void;
}

export function entry(sd: StateDict, key: string): { data: Float32Array; shape: number[] } {
  const t = sd[key];
  if (!t) throw new Error(`raw reference: state dict has no '${key}'`);
  return { data: t.data as Float32Array, shape: t.shape };
}

export interface FoldedConv {
  filter: tf.Tensor4D;
  bias: tf.Tensor1D;
  stride: number;
  pad: number;
  depthwise: boolean;
}

/**
 * conv weight `[O, I, kh, kw]` + BatchNorm → a tfjs filter scaled per output channel (HWIO, or `[kh, kw, C, 1]` for
 * a depthwise conv, whose `I` is 1) and the folded bias.
 */
export function foldConvBn(sd: StateDict, conv: string, bn: string, o: { stride: number; pad: number; depthwise?: boolean; eps?: number }): FoldedConv {
  const w = entry(sd, `${conv}.weight`);
  const [oc, ic, kh, kw] = w.shape as [number, number, number, number];
  const depthwise = o.depthwise ?? false;
  const eps = o.eps ?? 1e-5;
  const gamma = entry(sd, `${bn}.weight`).data;
  const beta = entry(sd, `${bn}.bias`).data;
  const mean = entry(sd, `${bn}.running_mean`).data;
  const variance = entry(sd, `${bn}.running_var`).data;
  const out = new Float32Array(w.data.length);
  const bias = new Float32Array(oc);
  for (let c = 0; c < oc; c++) {
    const scale = gamma[c]! / Math.sqrt(variance[c]! + eps);
    bias[c] = beta[c]! - mean[c]! * scale;
    for (let i = 0; i < ic; i++) {
      for (let y = 0; y < kh; y++) {
        for (let x = 0; x < kw; x++) {
          const at = depthwise ? (y * kw + x) * oc + c : ((y * kw + x) * ic + i) * oc + c;
          out[at] = w.data[((c * ic + i) * kh + y) * kw + x]! * scale;
        }
      }
    }
  }
  const shape: [number, number, number, number] = depthwise ? [kh, kw, oc, 1] : [kh, kw, ic, oc];
  return { filter: tf.tensor4d(out, shape), bias: tf.tensor1d(bias), stride: o.stride, pad: o.pad, depthwise };
}

/** One fused conv (or depthwise conv) with its folded bias and an optional fused ReLU. */
export function runConv(x: tf.Tensor4D, c: FoldedConv, activation: 'relu' | 'linear' = 'linear'): tf.Tensor4D {
  const args = { x, filter: c.filter, bias: c.bias, strides: c.stride, pad: c.pad as never, activation };
  return c.depthwise ? tf.fused.depthwiseConv2d(args) : tf.fused.conv2d(args);
}

export interface DenseWeights {
  w: tf.Tensor2D;
  b: tf.Tensor1D;
}

/** A PyTorch Linear (or 1×1 conv) `[out, in, …]` as `[in, out]` with its bias, transposed once here. */
export function dense(sd: StateDict, name: string): DenseWeights {
  const w = entry(sd, `${name}.weight`);
  const o = w.shape[0]!;
  const i = w.data.length / o;
  const t = new Float32Array(o * i);
  for (let r = 0; r < o; r++) for (let c = 0; c < i; c++) t[c * o + r] = w.data[r * i + c]!;
  return { w: tf.tensor2d(t, [i, o]), b: tf.tensor1d(entry(sd, `${name}.bias`).data) };
}

/** `x @ w + b` as one fused matmul. */
export const matmulBias = (x: tf.Tensor2D, d: DenseWeights): tf.Tensor2D => tf.fused.matMul({ a: x, b: d.w, bias: d.b }) as tf.Tensor2D;
