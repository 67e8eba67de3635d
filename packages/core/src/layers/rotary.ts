import * as tf from '@tensorflow/tfjs-core';
import { Module, type Param } from '../module.js';
import type { Pair } from './helpers.js';

/**
 * Rotary position embeddings (RoPE) as timm's `pos_embed_sincos.py` builds them for vision transformers: an embedding
 * is a `[N, 2·D]` table per spatial position (N = H·W), sin in the first D channels and cos in the last D, for a head
 * dimension D; `applyRotEmbedCat` rotates a `[…, N, D]` query or key with it.
 */

/** timm's `grid_indexing`: 'ij' (row, col) or 'xy' (col, row) coordinate order. */
export type GridIndexing = 'ij' | 'xy';

/** The `[N, 2]` grid coordinates of an `[H, W]` map in timm's meshgrid order (row-major positions). */
function meshgrid(th: Float64Array, tw: Float64Array, indexing: GridIndexing): Float64Array {
  const H = th.length;
  const W = tw.length;
  const out = new Float64Array(H * W * 2);
  for (let i = 0; i < H; i++) {
    for (let j = 0; j < W; j++) {
      const p = (i * W + j) * 2;
      // 'ij' pairs (row, col); 'xy' pairs (col, row), as torch.meshgrid on the swapped shape gives.
      out[p] = indexing === 'ij' ? th[i]! : tw[j]!;
      out[p + 1] = indexing === 'ij' ? tw[j]! : th[i]!;
    }
  }
  return out;
}

/** sin / cos of `angles` `[N, A]` written as one `[N, 2·A]` table: sin first, cos after. */
function sinCosTable(angles: Float64Array, n: number): Float32Array {
  const A = angles.length / n;
  const out = new Float32Array(n * 2 * A);
  for (let p = 0; p < n; p++) {
    for (let a = 0; a < A; a++) {
      const v = Math.fround(angles[p * A + a]!);
      out[p * 2 * A + a] = Math.sin(v);
      out[p * 2 * A + A + a] = Math.cos(v);
    }
  }
  return out;
}

export interface RotaryCatOptions {
  /** timm's `temperature` for the inverse-frequency bands (default 10000). */
  temperature?: number;
  /** Pixel (linspace -1..1) instead of token-index coordinates (timm's `in_pixels`, default true). */
  inPixels?: boolean;
  /** Pixel mode: the maximum resolution (timm's `max_res`, default 224). */
  maxRes?: number;
  /** Pixel mode: linear rather than log-spaced bands (default false). */
  linearBands?: boolean;
  /** The shape the model was pretrained at: coordinates are rescaled to it (EVA-02's scheme). */
  refFeatShape?: Pair | null;
  /** Added to token-index coordinates (timm's `grid_offset`). */
  gridOffset?: number;
  gridIndexing?: GridIndexing;
}

/**
 * timm's `build_rotary_pos_embed` concatenated (`RotaryEmbeddingCat._get_pos_embed_values`): the `[H·W, 2·dim]`
 * sin / cos table, each of `dim / 4` frequency bands per axis repeated twice (interleaved layout).
 */
export function buildRotaryPosEmbedCat(featShape: Pair, dim: number, o: RotaryCatOptions = {}): Float32Array {
  const numBands = Math.floor(dim / 4);
  const inPixels = o.inPixels ?? true;
  const bands = new Float64Array(numBands);
  for (let b = 0; b < numBands; b++) {
    if (inPixels) {
      const maxFreq = o.maxRes ?? 224;
      const t = numBands > 1 ? b / (numBands - 1) : 0;
      const f = o.linearBands ? 1 + t * (maxFreq / 2 - 1) : 2 ** (t * (Math.log2(maxFreq) - 1));
      bands[b] = Math.fround(Math.fround(f) * Math.PI);
    } else {
      bands[b] = Math.fround(1 / (o.temperature ?? 10000) ** Math.fround(b / numBands));
    }
  }
  const axis = (s: number, ref: number | undefined) => {
    const t = new Float64Array(s);
    for (let i = 0; i < s; i++) {
      let v = inPixels ? (s > 1 ? -1 + (2 * i) / (s - 1) : -1) : i + (o.gridOffset ?? 0);
      if (ref !== undefined) v = Math.fround(Math.fround(v) / s) * ref;
      t[i] = Math.fround(v);
    }
    return t;
  };
  const [H, W] = featShape;
  const ref = o.refFeatShape ?? null;
  const grid = meshgrid(axis(H, ref?.[0]), axis(W, ref?.[1]), o.gridIndexing ?? 'ij');
  const N = H * W;
  // angles [N, 2, numBands] → each repeated twice along the last axis: [N, 4·numBands]
  const angles = new Float64Array(N * 4 * numBands);
  for (let p = 0; p < N; p++) {
    for (let c = 0; c < 2; c++) {
      for (let b = 0; b < numBands; b++) {
        const a = Math.fround(grid[p * 2 + c]! * bands[b]!);
        const q = p * 4 * numBands + (c * numBands + b) * 2;
        angles[q] = a;
        angles[q + 1] = a;
      }
    }
  }
  return sinCosTable(angles, N);
}

/** Row-major positions of a rope table; prefix tokens are given sin 0 / cos 1 rows (identity rotation). */
function withPrefixRows(table: Float32Array, n: number, numPrefix: number): Float32Array {
  if (!numPrefix) return table;
  const C = table.length / n;
  const D = C / 2;
  const out = new Float32Array((n + numPrefix) * C);
  for (let p = 0; p < numPrefix; p++) out.fill(1, p * C + D, (p + 1) * C);
  out.set(table, numPrefix * C);
  return out;
}

/** A rope module: the `[N, 2·D]` (or per block `[depth, H, N, 2·D]`) table for a token grid. */
export interface RopeEmbed {
  /** Depth-dependent tables (timm's mixed mode): `embedFor` gives one `[heads, N, 2·D]` table per block. */
  readonly perBlock: boolean;
  /** The table for a token grid, `numPrefix` identity rows first: `[N', 2·D]`, or `[depth, heads, N', 2·D]`. */
  getEmbed(shape: Pair, numPrefix?: number): tf.Tensor;
}

/**
 * timm's `RotaryEmbeddingCat` (no parameters; its tables are non-persistent buffers): the sin / cos table of
 * `buildRotaryPosEmbedCat` for any grid, cached per grid.
 */
export class RotaryEmbeddingCat extends Module implements RopeEmbed {
  readonly perBlock = false;
  private readonly cache = new Map<string, Float32Array>();
  constructor(readonly dim: number, readonly options: RotaryCatOptions = {}) {
    super();
  }
  getEmbed(shape: Pair, numPrefix = 0): tf.Tensor {
    const key = `${shape[0]}x${shape[1]}+${numPrefix}`;
    let t = this.cache.get(key);
    if (!t) {
      t = withPrefixRows(buildRotaryPosEmbedCat(shape, this.dim, this.options), shape[0] * shape[1], numPrefix);
      this.cache.set(key, t);
    }
    return tf.tensor2d(t, [shape[0] * shape[1] + numPrefix, 2 * this.dim]);
  }
}

export interface RotaryDinoV3Options {
  /** Period base (timm's `temperature`, default 100). */
  temperature?: number;
  /** With `maxPeriod`, a geometric period schedule instead of the temperature one. */
  minPeriod?: number | null;
  maxPeriod?: number | null;
  /** How coordinates are normalised: by H and W ('separate', default), or by min / max of them. */
  normalizeCoords?: 'separate' | 'min' | 'max';
  gridOffset?: number;
  gridIndexing?: GridIndexing;
  /** Half layout (default true), else interleaved. */
  rotateHalf?: boolean;
}

/**
 * timm's `RotaryEmbeddingDinoV3` at inference (its coordinate augmentations are training-only and off by default):
 * 0.5-centred coordinates normalised to [-1, 1], angles 2π·coord / period.
 */
export class RotaryEmbeddingDinoV3 extends Module implements RopeEmbed {
  readonly perBlock = false;
  private readonly cache = new Map<string, Float32Array>();
  constructor(readonly dim: number, readonly options: RotaryDinoV3Options = {}) {
    super();
  }
  private periods(): Float64Array {
    const n = Math.floor(this.dim / 4);
    const o = this.options;
    const out = new Float64Array(n);
    for (let i = 0; i < n; i++) {
      if (o.minPeriod != null && o.maxPeriod != null) {
        const e = Math.fround(n > 1 ? i / (n - 1) : 0);
        out[i] = Math.fround(o.minPeriod * (o.maxPeriod / o.minPeriod) ** e);
      } else {
        out[i] = Math.fround((o.temperature ?? 100) ** Math.fround((2 * i) / Math.floor(this.dim / 2)));
      }
    }
    return out;
  }
  private table([H, W]: Pair): Float32Array {
    const o = this.options;
    const norm = o.normalizeCoords ?? 'separate';
    const hd = norm === 'max' ? Math.max(H, W) : norm === 'min' ? Math.min(H, W) : H;
    const wd = norm === 'max' ? Math.max(H, W) : norm === 'min' ? Math.min(H, W) : W;
    const coord = (i: number, d: number) => 2 * Math.fround(Math.fround(i + 0.5 + (o.gridOffset ?? 0)) / d) - 1;
    const periods = this.periods();
    const n = periods.length;
    const half = o.rotateHalf ?? true;
    const N = H * W;
    const angles = new Float64Array(N * 4 * n);
    for (let i = 0; i < H; i++) {
      for (let j = 0; j < W; j++) {
        const p = i * W + j;
        // Both indexings give (row, col) coordinates per position, in row-major position order.
        const c = [Math.fround(coord(i, hd)), Math.fround(coord(j, wd))];
        for (let a = 0; a < 2; a++) {
          for (let b = 0; b < n; b++) {
            const v = Math.fround(Math.fround(Math.fround(2 * Math.PI) * c[a]!) / periods[b]!);
            const k = a * n + b; // position in the [2·n] flattened angles
            if (half) {
              angles[p * 4 * n + k] = v;
              angles[p * 4 * n + 2 * n + k] = v;
            } else {
              angles[p * 4 * n + 2 * k] = v;
              angles[p * 4 * n + 2 * k + 1] = v;
            }
          }
        }
      }
    }
    return sinCosTable(angles, N);
  }
  getEmbed(shape: Pair, numPrefix = 0): tf.Tensor {
    const key = `${shape[0]}x${shape[1]}+${numPrefix}`;
    let t = this.cache.get(key);
    if (!t) {
      t = withPrefixRows(this.table(shape), shape[0] * shape[1], numPrefix);
      this.cache.set(key, t);
    }
    return tf.tensor2d(t, [shape[0] * shape[1] + numPrefix, 2 * this.dim]);
  }
}

/**
 * timm's `RotaryEmbeddingMixed` (RoPE-Mixed, learnable frequencies per block and head). Key: freqs
 * `[2, depth, heads, headDim / 2]`. Tables are `[depth, heads, N, 2·headDim]`.
 */
export class RotaryEmbeddingMixed extends Module implements RopeEmbed {
  readonly perBlock = true;
  readonly headDim: number;
  readonly freqs: Param;
  constructor(readonly dim: number, readonly depth: number, readonly numHeads: number, readonly options: { temperature?: number; gridIndexing?: GridIndexing } = {}) {
    super();
    this.headDim = Math.floor(dim / numHeads);
    if (this.headDim % 4 !== 0) throw new Error(`RotaryEmbeddingMixed: head dim ${this.headDim} must be divisible by 4`);
    this.freqs = this.addParam('freqs', [2, depth, numHeads, this.headDim / 2], { init: { kind: 'normal', std: 0.5 } });
  }
  getEmbed([H, W]: Pair, numPrefix = 0): tf.Tensor {
    // timm's get_mixed_grid: 'xy' swaps the shape, then meshgrid; t_x / t_y are the two flattened grids.
    const xy = (this.options.gridIndexing ?? 'xy') === 'xy';
    const N = H * W;
    const tx = new Float32Array(N + numPrefix);
    const ty = new Float32Array(N + numPrefix);
    for (let i = 0; i < H; i++) {
      for (let j = 0; j < W; j++) {
        // For both indexings timm's t_x holds the column index when 'xy' and the row index when 'ij' (per position).
        tx[numPrefix + i * W + j] = xy ? j : i;
        ty[numPrefix + i * W + j] = xy ? i : j;
      }
    }
    return tf.tidy(() => {
      const f = this.freqs.value; // [2, depth, heads, D/2]
      const [fx, fy] = tf.unstack(f, 0) as [tf.Tensor, tf.Tensor];
      const px = tf.tensor(tx, [1, 1, N + numPrefix, 1]);
      const py = tf.tensor(ty, [1, 1, N + numPrefix, 1]);
      // [depth, heads, N', D/2]
      const ang = tf.add(tf.mul(px, tf.expandDims(fx, 2)), tf.mul(py, tf.expandDims(fy, 2)));
      const rep = (t: tf.Tensor) => {
        const s = t.shape;
        return tf.reshape(tf.tile(tf.expandDims(t, -1), [1, 1, 1, 1, 2]), [s[0]!, s[1]!, s[2]!, s[3]! * 2]);
      };
      // prefix tokens sit at position 0 on both axes: angle 0, sin 0 / cos 1, an identity rotation
      return tf.concat([rep(tf.sin(ang)), rep(tf.cos(ang))], -1);
    });
  }
}

const rotationCache = new Map<string, Float32Array>();

/** The `[D, D]` matrix R with x·R = timm's `rot(x)` (interleaved) or `rope_rotate_half(x)` (half layout). */
function rotationMatrix(D: number, half: boolean): Float32Array {
  const key = `${D}:${half}`;
  let r = rotationCache.get(key);
  if (!r) {
    r = new Float32Array(D * D);
    const h = D / 2;
    for (let j = 0; j < D; j++) {
      if (half) {
        // out[j] = -x[j + D/2] (j < D/2), x[j - D/2] (j ≥ D/2)
        if (j < h) r[(j + h) * D + j] = -1;
        else r[(j - h) * D + j] = 1;
      } else if (j % 2 === 0) {
        r[(j + 1) * D + j] = -1; // out[2i] = -x[2i+1]
      } else {
        r[(j - 1) * D + j] = 1; // out[2i+1] = x[2i]
      }
    }
    rotationCache.set(key, r);
  }
  return r;
}

/**
 * timm's `apply_rot_embed_cat`: `x·cos + rot(x)·sin` for `x` `[…, N, D]` and a table `[…, N, 2·D]` (sin | cos) that
 * broadcasts against it. `half` selects the half layout (`rope_rotate_half`) over the interleaved one.
 */
export function applyRotEmbedCat(x: tf.Tensor, emb: tf.Tensor, half = false): tf.Tensor {
  return tf.tidy(() => {
    const D = x.shape[x.rank - 1]!;
    const [sin, cos] = tf.split(emb, 2, -1) as [tf.Tensor, tf.Tensor];
    const r = tf.tensor2d(rotationMatrix(D, half), [D, D]);
    const lead = x.shape.slice(0, -1);
    const rotated = tf.reshape(tf.matMul(tf.reshape(x, [-1, D]), r), [...lead, D]);
    return tf.add(tf.mul(x, cos), tf.mul(rotated, sin));
  });
}

/** timm's `create_rope_embed` for the kinds Eva uses: 'cat' (default), 'mixed' and 'dinov3'. */
export function createRopeEmbed(
  ropeType: 'cat' | 'mixed' | 'dinov3',
  o: { dim: number; numHeads: number; depth?: number; temperature?: number; gridIndexing?: GridIndexing; gridOffset?: number; refFeatShape?: Pair | null; inPixels?: boolean; rotateHalf?: boolean },
): Module & RopeEmbed {
  const headDim = Math.floor(o.dim / o.numHeads);
  if (ropeType === 'mixed') {
    return new RotaryEmbeddingMixed(o.dim, o.depth ?? 1, o.numHeads, { temperature: o.temperature, gridIndexing: o.gridIndexing });
  }
  if (ropeType === 'dinov3') {
    return new RotaryEmbeddingDinoV3(headDim, { temperature: o.temperature, gridIndexing: o.gridIndexing, gridOffset: o.gridOffset, rotateHalf: o.rotateHalf });
  }
  if (ropeType !== 'cat') throw new Error(`createRopeEmbed: unknown ropeType '${ropeType}' (use 'cat', 'mixed' or 'dinov3')`);
  return new RotaryEmbeddingCat(headDim, {
    temperature: o.temperature, gridIndexing: o.gridIndexing, gridOffset: o.gridOffset, refFeatShape: o.refFeatShape, inPixels: o.inPixels,
  });
}
