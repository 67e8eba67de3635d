/**
 * The pure part of the parity-fixture helpers: no Node modules and no `Buffer`, so a browser page (the demo's
 * parity page) bundles the very same code the Node suites run. A fixture records what real timm computed for weights
 * and an input regenerated from a counter hash (see the fixture spec); these helpers regenerate both and compare an
 * output with timm's record. Node-only helpers (writing weights to a temp file) live in `./index.ts`.
 */
import * as tf from '@tensorflow/tfjs-core';
import type { StateDict } from '@zoo/core';

/** The fixture hash's 32-bit finaliser (murmur3's fmix32). */
function fmix32(v: number): number {
  let x = v >>> 0;
  x ^= x >>> 16;
  x = Math.imul(x, 0x85ebca6b) >>> 0;
  x ^= x >>> 13;
  x = Math.imul(x, 0xc2b2ae35) >>> 0;
  x ^= x >>> 16;
  return x >>> 0;
}

const hashBase = (seed: number, t: number) => (Math.imul(seed, 0x9e3779b1) + Math.imul(t, 0x85ebca77)) >>> 0;

/** The fixture hash u(seed, t, i) in [0, 1). */
export function hashU(seed: number, t: number, i: number): number {
  return fmix32(hashBase(seed, t) + i) / 4294967296;
}

/** `n` values of the fixture hash for tensor `t`, mapped to [lo, hi) and rounded to float32. */
export function hashFill(seed: number, t: number, n: number, lo: number, hi: number): Float32Array {
  const out = new Float32Array(n);
  const base = hashBase(seed, t);
  for (let i = 0; i < n; i++) out[i] = lo + (hi - lo) * (fmix32(base + i) / 4294967296);
  return out;
}

export interface OutputRecord {
  shape: number[];
  mean: number;
  mean_abs: number;
  max_abs: number;
  data_b64?: string;
  sample_idx?: number[];
  sample_b64?: string;
  /** 'NHWC' where timm itself returns channels-last maps (Swin's `output_fmt`); rank-4 maps are NCHW otherwise. */
  layout?: 'NHWC' | 'NCHW';
}

export interface ParityFixture {
  id: string;
  model: string;
  kwargs: Record<string, unknown>;
  weights: { seed: number; model: string; kwargs: Record<string, unknown>; via: 'direct' | 'pretrained'; tensors: [string, number[], number, number][] };
  input: { seed: number; tensor_index: number; shape: number[]; lo: number; hi: number; layout: 'NCHW' };
  outputs: Record<string, OutputRecord | OutputRecord[]>;
  compare: string[];
  feature_info: { num_chs: number; reduction: number; module: string }[];
  num_classes: number | null;
  num_features: number | null;
  pretrained_cfg: Record<string, unknown>;
}

/** The fixture's state dict (PyTorch layout, timm's keys and order). */
export function fixtureStateDict(f: ParityFixture): StateDict {
  const sd: StateDict = {};
  f.weights.tensors.forEach(([key, shape, lo, hi], t) => {
    const n = shape.reduce((a, b) => a * b, 1);
    sd[key] = { dtype: 'float32', shape, data: hashFill(f.weights.seed, t, n, lo, hi) };
  });
  return sd;
}

/** The fixture input as an NHWC float32 tensor. */
export function fixtureInput(f: ParityFixture): tf.Tensor4D {
  const [b, c, h, w] = f.input.shape as [number, number, number, number];
  const nchw = hashFill(f.input.seed, f.input.tensor_index, b * c * h * w, f.input.lo, f.input.hi);
  return tf.tidy(() => tf.transpose(tf.tensor4d(nchw, [b, c, h, w]), [0, 2, 3, 1]));
}

/** kwargs from timm's snake_case to our camelCase. */
export function camelKwargs(k: Record<string, unknown>): Record<string, unknown> {
  const out: Record<string, unknown> = {};
  for (const [key, v] of Object.entries(k)) out[key.replace(/_([a-z0-9])/g, (_, c: string) => c.toUpperCase())] = v;
  return out;
}

/** base64 of little-endian float32s → Float32Array (`atob`: browsers and Node ≥ 16). */
export function b64f32(s: string): Float32Array {
  const bin = atob(s);
  const bytes = new Uint8Array(bin.length);
  for (let i = 0; i < bin.length; i++) bytes[i] = bin.charCodeAt(i);
  return new Float32Array(bytes.buffer);
}

export interface CompareResult {
  name: string;
  ok: boolean;
  maxErr: number;
  bar: number;
  message: string;
}

/**
 * Compares output values already in timm's layout (NCHW for maps) with timm's record at the fixture bar
 * `|ours - timm| <= rel * max(1, max_abs)`: every value when timm stored the whole tensor, else its sampled indices.
 */
export function compareData(name: string, shape: readonly number[], data: ArrayLike<number>, rec: OutputRecord, rel = 1e-4): CompareResult {
  if (shape.join(',') !== rec.shape.join(',')) {
    return { name, ok: false, maxErr: Number.POSITIVE_INFINITY, bar: 0, message: `${name}: shape [${shape}] != timm [${rec.shape}]` };
  }
  const bar = rel * Math.max(1, rec.max_abs);
  const ref = b64f32(rec.data_b64 ?? rec.sample_b64!);
  const idx = rec.data_b64 ? null : rec.sample_idx!;
  let maxErr = 0;
  let worst = -1;
  for (let j = 0; j < ref.length; j++) {
    const flat = idx ? idx[j]! : j;
    const e = Math.abs(data[flat]! - ref[j]!);
    // `!(e <= maxErr)` also catches NaN.
    if (!(e <= maxErr)) {
      maxErr = e;
      worst = flat;
    }
  }
  const ok = maxErr <= bar;
  const message = `${name}: max |ours - timm| = ${maxErr.toExponential(3)} (bar ${bar.toExponential(3)})${ok ? '' : ` worst at flat index ${worst}`}`;
  return { name, ok, maxErr, bar, message };
}

/** A tensor of ours (NHWC maps) in timm's layout (NCHW maps unless `layout` says NHWC), read synchronously (CPU / wasm backends). */
export function toTorchLayout(t: tf.Tensor, layout: 'NHWC' | 'NCHW' = 'NCHW'): { shape: number[]; data: Float32Array } {
  if (t.rank === 4 && layout === 'NCHW') {
    const nchw = tf.transpose(t, [0, 3, 1, 2]);
    try {
      return { shape: nchw.shape, data: nchw.dataSync() as Float32Array };
    } finally {
      nchw.dispose();
    }
  }
  return { shape: t.shape, data: t.dataSync() as Float32Array };
}

/** A tensor of ours (NHWC maps) in timm's layout (NCHW maps unless `layout` says NHWC), read back asynchronously (GPU backends). */
export async function torchLayout(t: tf.Tensor, layout: 'NHWC' | 'NCHW' = 'NCHW'): Promise<{ shape: number[]; data: Float32Array }> {
  if (t.rank === 4 && layout === 'NCHW') {
    const nchw = tf.transpose(t, [0, 3, 1, 2]);
    try {
      return { shape: nchw.shape, data: (await nchw.data()) as Float32Array };
    } finally {
      nchw.dispose();
    }
  }
  return { shape: t.shape, data: (await t.data()) as Float32Array };
}

/** Compares our output tensor with timm's record at the fixture bar (synchronous read-back). */
export function compareOutput(name: string, ours: tf.Tensor, rec: OutputRecord, rel = 1e-4): CompareResult {
  const { shape, data } = toTorchLayout(ours, rec.layout);
  return compareData(name, shape, data, rec, rel);
}
