/**
 * Parity-fixture helpers shared by the family test suites. A fixture records what real timm computed for weights
 * and an input regenerated from a counter hash (see the fixture spec); these helpers regenerate both and compare.
 */
import { mkdtempSync, writeFileSync } from 'node:fs';
import { tmpdir } from 'node:os';
import { join } from 'node:path';
import * as tf from '@tensorflow/tfjs-core';
import { type StateDict, writeSafetensors } from '@zoo/core';

/** The fixture hash u(seed, t, i) in [0, 1). */
export function hashU(seed: number, t: number, i: number): number {
  const base = (Math.imul(seed, 0x9e3779b1) + Math.imul(t, 0x85ebca77)) >>> 0;
  let x = (base + i) >>> 0;
  x ^= x >>> 16;
  x = Math.imul(x, 0x85ebca6b) >>> 0;
  x ^= x >>> 13;
  x = Math.imul(x, 0xc2b2ae35) >>> 0;
  x ^= x >>> 16;
  return (x >>> 0) / 4294967296;
}

export function hashFill(seed: number, t: number, n: number, lo: number, hi: number): Float32Array {
  const out = new Float32Array(n);
  const base = (Math.imul(seed, 0x9e3779b1) + Math.imul(t, 0x85ebca77)) >>> 0;
  for (let i = 0; i < n; i++) {
    let x = (base + i) >>> 0;
    x ^= x >>> 16;
    x = Math.imul(x, 0x85ebca6b) >>> 0;
    x ^= x >>> 13;
    x = Math.imul(x, 0xc2b2ae35) >>> 0;
    x ^= x >>> 16;
    out[i] = lo + (hi - lo) * ((x >>> 0) / 4294967296);
  }
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

/** Writes the fixture weights as a safetensors file in a fresh temp folder; returns its path. */
export function writeFixtureWeights(f: ParityFixture): string {
  const dir = mkdtempSync(join(tmpdir(), `zoo-${f.id}-`));
  const path = join(dir, 'model.safetensors');
  writeFileSync(path, writeSafetensors(fixtureStateDict(f)));
  return path;
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

function b64f32(s: string): Float32Array {
  const buf = Buffer.from(s, 'base64');
  return new Float32Array(buf.buffer.slice(buf.byteOffset, buf.byteOffset + buf.byteLength));
}

/** NHWC (or any layout of ours) → the PyTorch layout timm recorded: NCHW for rank-4 maps. */
export function toTorchLayout(t: tf.Tensor): { shape: number[]; data: Float32Array } {
  if (t.rank === 4) {
    const nchw = tf.transpose(t, [0, 3, 1, 2]);
    const out = { shape: nchw.shape, data: nchw.dataSync() as Float32Array };
    nchw.dispose();
    return out;
  }
  return { shape: t.shape, data: t.dataSync() as Float32Array };
}

export interface CompareResult {
  ok: boolean;
  maxErr: number;
  bar: number;
  message: string;
}

/** Compares our output to timm's record at the fixture bar |ours - timm| <= 1e-4 * max(1, max_abs). */
export function compareOutput(name: string, ours: tf.Tensor, rec: OutputRecord, rel = 1e-4): CompareResult {
  const { shape, data } = toTorchLayout(ours);
  if (shape.join(',') !== rec.shape.join(',')) {
    return { ok: false, maxErr: Number.POSITIVE_INFINITY, bar: 0, message: `${name}: shape [${shape}] != timm [${rec.shape}]` };
  }
  const bar = rel * Math.max(1, rec.max_abs);
  let idx: number[];
  let ref: Float32Array;
  if (rec.data_b64) {
    ref = b64f32(rec.data_b64);
    idx = Array.from(ref, (_, i) => i);
  } else {
    ref = b64f32(rec.sample_b64!);
    idx = rec.sample_idx!;
  }
  let maxErr = 0;
  let worst = -1;
  idx.forEach((flat, j) => {
    const e = Math.abs(data[flat]! - ref[j]!);
    if (!(e <= maxErr)) {
      maxErr = e;
      worst = flat;
    }
  });
  const ok = maxErr <= bar;
  return { ok, maxErr, bar, message: `${name}: max |ours - timm| = ${maxErr.toExponential(3)} (bar ${bar.toExponential(3)})${ok ? '' : ` worst at flat index ${worst}`}` };
}
