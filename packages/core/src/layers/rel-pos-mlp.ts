import * as tf from '@tensorflow/tfjs-core';
import { Module, type Param } from '../module.js';
import { clsRelPosBias } from './cls-rel-pos.js';
import type { Pair } from './helpers.js';
import { Linear } from './linear.js';

/**
 * timm's `gen_relative_log_coords`: the `(dy, dx)` offsets of a window, `[(2wh−1)·(2ww−1)·2]` row-major, log-spaced.
 * 'cr': `sign(d)·ln(1 + |d|)`; 'swin': offsets scaled to ±8 by the (pretrained) window, then `sign·log2(1 + |d|)/3`.
 */
export function genRelativeLogCoords(windowSize: Pair, pretrainedWindowSize: Pair = [0, 0], mode: 'cr' | 'swin' = 'swin'): Float32Array {
  const [wh, ww] = windowSize;
  const out = new Float32Array((2 * wh - 1) * (2 * ww - 1) * 2);
  const scaleH = mode === 'swin' ? 8 / ((pretrainedWindowSize[0] > 0 ? pretrainedWindowSize[0] : wh) - 1) : 1;
  const scaleW = mode === 'swin' ? 8 / ((pretrainedWindowSize[1] > 0 ? pretrainedWindowSize[1] : ww) - 1) : 1;
  const squash = (d: number) => (mode === 'swin' ? (Math.sign(d) * Math.log2(1 + Math.abs(d))) / 3 : Math.sign(d) * Math.log1p(Math.abs(d)));
  let o = 0;
  for (let dy = -(wh - 1); dy < wh; dy++) {
    for (let dx = -(ww - 1); dx < ww; dx++) {
      out[o++] = squash(dy * scaleH);
      out[o++] = squash(dx * scaleW);
    }
  }
  return out;
}

/** RelPosMlp's two-layer coordinate MLP (fc1 → ReLU → fc2), each layer's bias as timm's mode sets it. Keys: fc1, fc2. */
class CoordMlp extends Module {
  readonly fc1: Linear;
  readonly fc2: Linear;
  constructor(hidden: number, out: number, [bias1, bias2]: [boolean, boolean]) {
    super();
    this.fc1 = this.addModule('fc1', new Linear(2, hidden, { bias: bias1 }));
    this.fc2 = this.addModule('fc2', new Linear(hidden, out, { bias: bias2 }));
  }
  override forward(x: tf.Tensor): tf.Tensor {
    return this.fc2.forward(tf.relu(this.fc1.forward(x)));
  }
}

export interface RelPosMlpOptions {
  numHeads?: number;
  hiddenDim?: number;
  /** Leading tokens (class token) that get a zero bias. */
  prefixTokens?: number;
  /** 'cr' (timm's default: log coords, no output act) or 'swin' (SwinV2's: sigmoid × 16, no fc2 bias). */
  mode?: 'cr' | 'swin';
  pretrainedWindowSize?: Pair;
}

/**
 * timm's `RelPosMlp` (timm.layers): a relative position bias computed by a small MLP from the log-spaced offsets of a
 * window, gathered per (query, key) pair, `getBias()` `[heads, N, N]` with zero rows / columns for prefix tokens.
 * Keys: mlp.fc1, mlp.fc2.
 */
export class RelPosMlp extends Module {
  readonly numHeads: number;
  readonly prefixTokens: number;
  readonly mode: 'cr' | 'swin';
  readonly mlp: CoordMlp;
  private readonly coords: Float32Array;
  constructor(readonly windowSize: Pair, options: RelPosMlpOptions = {}) {
    super();
    this.numHeads = options.numHeads ?? 8;
    this.prefixTokens = options.prefixTokens ?? 0;
    this.mode = options.mode ?? 'cr';
    this.mlp = this.addModule('mlp', new CoordMlp(options.hiddenDim ?? 128, this.numHeads, this.mode === 'swin' ? [true, false] : [true, true]));
    this.coords = genRelativeLogCoords(windowSize, options.pretrainedWindowSize, this.mode);
  }
  /** The bias `[heads, N, N]` (N = window area + prefix tokens). Call inside a `tf.tidy`. */
  getBias(): tf.Tensor3D {
    const [wh, ww] = this.windowSize;
    const table = this.mlp.forward(tf.tensor2d(this.coords, [(2 * wh - 1) * (2 * ww - 1), 2]));
    let bias = clsRelPosBias(table, this.windowSize, false);
    if (this.mode === 'swin') bias = tf.mul(tf.sigmoid(bias), 16);
    const p = this.prefixTokens;
    return p ? tf.pad(bias, [[0, 0], [p, 0], [p, 0]]) : bias;
  }
  /** timm's `forward(attn)`: `attn + bias`. */
  override forward(attn: tf.Tensor): tf.Tensor {
    return tf.add(attn, this.getBias());
  }
}

/**
 * timm's `RelPosBias` (timm.layers): a learned table `[(2wh−1)(2ww−1) + 3·prefix, heads]` indexed per (query, key)
 * pair (class-token rows last, as BEiT's), `getBias()` `[heads, N, N]`. Key: relative_position_bias_table.
 */
export class RelPosBias extends Module {
  readonly prefixTokens: number;
  readonly relativePositionBiasTable: Param;
  constructor(readonly windowSize: Pair, readonly numHeads: number, prefixTokens = 0) {
    super();
    if (prefixTokens > 1) throw new Error(`RelPosBias: at most one prefix token (got ${prefixTokens})`);
    this.prefixTokens = prefixTokens;
    const rows = (2 * windowSize[0] - 1) * (2 * windowSize[1] - 1) + 3 * prefixTokens;
    this.relativePositionBiasTable = this.addParam('relative_position_bias_table', [rows, numHeads], { init: { kind: 'truncnormal', std: 0.02 } });
  }
  getBias(): tf.Tensor3D {
    return clsRelPosBias(this.relativePositionBiasTable.value, this.windowSize, this.prefixTokens > 0);
  }
  override forward(attn: tf.Tensor): tf.Tensor {
    return tf.add(attn, this.getBias());
  }
}
