import * as tf from '@tensorflow/tfjs-core';
import { Module, type Param, Sequential } from '../module.js';
import { Activation } from './activations.js';
import { type Pair, toPair } from './helpers.js';
import { Linear } from './linear.js';
import { batchMatMul } from './matmul.js';
import { splitTensor } from './slice.js';
import { relativeLogCoordsTable, relativePositionIndex, resizeRelPosBiasTable, rollAxis, windowPartition, windowReverse } from './window.js';

/** `[B_, N, 3·H·D]` qkv projections → q, k, v each `[B_, H, N, D]` (timm's `reshape(B_, N, 3, H, -1).permute(2, 0, 3, 1, 4)`). */
export function splitHeadsQkv(qkv: tf.Tensor, numHeads: number): [tf.Tensor4D, tf.Tensor4D, tf.Tensor4D] {
  const [B, N, C3] = qkv.shape as [number, number, number];
  const D = C3 / 3 / numHeads;
  // One rank-4 transpose to [B_, 3·H, N, D], then three slices: tfjs-wasm transposes rank 5 several times slower.
  const t = tf.transpose(tf.reshape(qkv, [B, N, 3 * numHeads, D]), [0, 2, 1, 3]);
  return splitTensor(t, 3, 1) as [tf.Tensor4D, tf.Tensor4D, tf.Tensor4D];
}

/**
 * The end of a window attention: `softmax(attn + mask) @ v` with the heads merged back, as timm's Swin blocks run it.
 * `attn` `[B_, H, N, N]` are the logits with their position bias already added; `mask` `[nW, N, N]` (0 / −100) is
 * added per window (B_ = batch × nW windows, window-major within an image); `v` `[B_, H, N, D]` → `[B_, N, H·D]`.
 */
export function windowAttend(attn: tf.Tensor, mask: tf.Tensor | null, v: tf.Tensor): tf.Tensor3D {
  const [B_, H, N] = attn.shape as [number, number, number, number];
  const D = v.shape[3]!;
  if (mask) {
    const nW = mask.shape[0]!;
    if (B_ % nW) throw new Error(`windowAttend: ${B_} windows are not a whole number of ${nW}-window images`);
    // [B, nW, H, N·N] + [nW, 1, N·N]: each window's mask broadcast over its heads.
    attn = tf.reshape(tf.add(tf.reshape(attn, [B_ / nW, nW, H, N * N]), tf.reshape(mask, [nW, 1, N * N])), [B_, H, N, N]);
  }
  const p = tf.softmax(tf.reshape(attn, [B_ * H, N, N]), -1) as tf.Tensor3D;
  const o = batchMatMul(p, tf.reshape(v, [B_ * H, N, D]) as tf.Tensor3D);
  return tf.reshape(tf.transpose(tf.reshape(o, [B_, H, N, D]), [0, 2, 1, 3]), [B_, N, H * D]);
}

/**
 * The attention half of timm's Swin blocks around a window attention: cyclic shift by `-shiftSize`, zero padding
 * right / bottom up to whole windows, partition into `[B·nW, wh·ww, C]` token windows, `attend`, then the windows
 * merged back, the padding cut and the shift undone. `x` is an NHWC map; so is the result.
 */
export function shiftedWindowAttention(x: tf.Tensor, windowSize: Pair, shiftSize: Pair, attend: (windows: tf.Tensor3D) => tf.Tensor): tf.Tensor4D {
  const [B, H, W, C] = x.shape as [number, number, number, number];
  const [wh, ww] = windowSize;
  const [sh, sw] = shiftSize;
  let s: tf.Tensor = x;
  if (sh) s = rollAxis(s, -sh, 1);
  if (sw) s = rollAxis(s, -sw, 2);
  const padH = (wh - (H % wh)) % wh;
  const padW = (ww - (W % ww)) % ww;
  if (padH || padW) s = tf.pad(s, [[0, 0], [0, padH], [0, padW], [0, 0]]);
  const windows = tf.reshape(windowPartition(s, windowSize), [-1, wh * ww, C]) as tf.Tensor3D;
  const out = attend(windows);
  s = windowReverse(tf.reshape(out, [-1, wh, ww, C]), windowSize, H + padH, W + padW);
  if (padH || padW) s = tf.slice(s, [0, 0, 0, 0], [B, H, W, C]);
  if (sh) s = rollAxis(s, sh, 1);
  if (sw) s = rollAxis(s, sw, 2);
  return s as tf.Tensor4D;
}

/** The relative position index of a window as an int32 tensor `[N·N]` (made inside the caller's tidy). */
function indexTensor(windowSize: Pair): tf.Tensor1D {
  return tf.tensor1d(relativePositionIndex(windowSize[0], windowSize[1]), 'int32');
}

/** A `[L, H]` table gathered to the `[H, N, N]` bias of a window's token pairs. */
function gatherBias(table: tf.Tensor, windowSize: Pair): tf.Tensor3D {
  const N = windowSize[0] * windowSize[1];
  const H = table.shape[1]!;
  return tf.transpose(tf.reshape(tf.gather(table, indexTensor(windowSize)), [N, N, H]), [2, 0, 1]);
}

export interface WindowAttentionOptions {
  numHeads: number;
  /** Channels per head (default dim / numHeads). */
  headDim?: number | null;
  windowSize: number | Pair;
  qkvBias?: boolean;
}

/**
 * timm's Swin `WindowAttention` (W-MSA / SW-MSA): multi-head attention inside each window of tokens `[B·nW, N, C]`,
 * with a learned relative position bias table (`(2wh−1)(2ww−1)` rows, one column a head). Keys:
 * relative_position_bias_table, qkv, proj.
 */
export class WindowAttention extends Module {
  readonly numHeads: number;
  readonly headDim: number;
  readonly scale: number;
  windowSize: Pair;
  relativePositionBiasTable: Param;
  readonly qkv: Linear;
  readonly proj: Linear;
  constructor(readonly dim: number, options: WindowAttentionOptions) {
    super();
    this.numHeads = options.numHeads;
    this.headDim = options.headDim || Math.floor(dim / this.numHeads);
    this.scale = this.headDim ** -0.5;
    this.windowSize = toPair(options.windowSize);
    const [wh, ww] = this.windowSize;
    const attnDim = this.headDim * this.numHeads;
    this.relativePositionBiasTable = this.addParam('relative_position_bias_table', [(2 * wh - 1) * (2 * ww - 1), this.numHeads], {
      init: { kind: 'truncnormal', std: 0.02 },
    });
    this.qkv = this.addModule('qkv', new Linear(dim, attnDim * 3, { bias: options.qkvBias ?? true }));
    this.proj = this.addModule('proj', new Linear(attnDim, dim));
  }

  /**
   * timm's `set_window_size`: another window, its bias table resized from the current one (timm's
   * `resize_rel_pos_bias_table`).
   */
  setWindowSize(windowSize: number | Pair): void {
    const ws = toPair(windowSize);
    if (ws[0] === this.windowSize[0] && ws[1] === this.windowSize[1]) return;
    const shape = [(2 * ws[0] - 1) * (2 * ws[1] - 1), this.numHeads];
    const resized = resizeRelPosBiasTable(this.relativePositionBiasTable.toTorch(), ws, shape);
    this.relativePositionBiasTable = this.addParam('relative_position_bias_table', shape, { init: { kind: 'truncnormal', std: 0.02 } });
    this.relativePositionBiasTable.assign(resized);
    this.windowSize = ws;
    this.onLoadSelf();
  }

  /** The `[H, N, N]` bias of the window's token pairs, gathered from the table once per table value. */
  relativePositionBias(): tf.Tensor3D {
    return this.derived('rel_pos_bias', [this.relativePositionBiasTable], () => [gatherBias(this.relativePositionBiasTable.value, this.windowSize)])[0] as tf.Tensor3D;
  }

  override forward(x: tf.Tensor): tf.Tensor {
    return this.forwardMasked(x, null);
  }

  /** Attention over windows `[B·nW, N, C]` with an optional shifted-window mask `[nW, N, N]`. */
  forwardMasked(x: tf.Tensor, mask: tf.Tensor | null): tf.Tensor {
    const [q, k, v] = splitHeadsQkv(this.qkv.forward(x), this.numHeads);
    const [B_, H, N, D] = q.shape;
    const qs = tf.reshape(tf.mul(q, this.scale), [B_ * H, N, D]) as tf.Tensor3D;
    const attn = tf.add(tf.reshape(batchMatMul(qs, tf.reshape(k, [B_ * H, N, D]) as tf.Tensor3D, true), [B_, H, N, N]), this.relativePositionBias());
    return this.proj.forward(windowAttend(attn, mask, v));
  }
}

export interface CosineWindowAttentionOptions {
  numHeads: number;
  windowSize: number | Pair;
  qkvBias?: boolean;
  /** The window size the weights were trained at (SwinV2's `pretrained_window_size`); 0: the window's own. */
  pretrainedWindowSize?: number | Pair;
  /** Hidden width of the continuous position bias MLP (timm: 512). */
  cpbHidden?: number;
}

/**
 * SwinV2's `WindowAttention`: scaled cosine attention (`cos(q, k) · exp(min(logit_scale, ln 100))`, one learned scale a
 * head) plus a continuous position bias: a 2 → 512 → heads MLP (`cpb_mlp`) over the window's log-spaced relative
 * coordinates, `16·sigmoid(·)`. The qkv projection has no bias of its own; `q_bias` and `v_bias` are separate
 * parameters (k's bias is zero). Keys: logit_scale, cpb_mlp.{0,2}, qkv, q_bias, v_bias, proj.
 */
export class CosineWindowAttention extends Module {
  readonly numHeads: number;
  windowSize: Pair;
  readonly pretrainedWindowSize: Pair;
  readonly logitScale: Param;
  readonly cpbMlp: Sequential;
  readonly qkv: Linear;
  readonly qBias: Param | null;
  readonly vBias: Param | null;
  readonly proj: Linear;
  constructor(readonly dim: number, options: CosineWindowAttentionOptions) {
    super();
    this.numHeads = options.numHeads;
    this.windowSize = toPair(options.windowSize);
    this.pretrainedWindowSize = toPair(options.pretrainedWindowSize ?? 0);
    this.logitScale = this.addParam('logit_scale', [this.numHeads, 1, 1], { init: { kind: 'const', value: Math.log(10) } });
    const hidden = options.cpbHidden ?? 512;
    this.cpbMlp = this.addModule('cpb_mlp', new Sequential([new Linear(2, hidden), new Activation('relu'), new Linear(hidden, this.numHeads, { bias: false })]));
    this.qkv = this.addModule('qkv', new Linear(dim, dim * 3, { bias: false }));
    const qkvBias = options.qkvBias ?? true;
    this.qBias = qkvBias ? this.addParam('q_bias', [dim], { init: { kind: 'zeros' } }) : null;
    this.vBias = qkvBias ? this.addParam('v_bias', [dim], { init: { kind: 'zeros' } }) : null;
    this.proj = this.addModule('proj', new Linear(dim, dim));
  }

  /** timm's `set_window_size`: another window (its coordinates table is rebuilt; the MLP is size-free). */
  setWindowSize(windowSize: number | Pair): void {
    const ws = toPair(windowSize);
    if (ws[0] === this.windowSize[0] && ws[1] === this.windowSize[1]) return;
    this.windowSize = ws;
    this.onLoadSelf();
  }

  /** `16·sigmoid(cpb_mlp(coords))` gathered to `[H, N, N]`, computed once per MLP weights. */
  relativePositionBias(): tf.Tensor3D {
    const params = this.cpbMlp.namedParams().map(([, p]) => p);
    return this.derived('cpb', params, () => {
      const [wh, ww] = this.windowSize;
      const coords = tf.tensor2d(relativeLogCoordsTable(this.windowSize, this.pretrainedWindowSize), [(2 * wh - 1) * (2 * ww - 1), 2]);
      const table = this.cpbMlp.forward(coords);
      return [tf.mul(tf.sigmoid(gatherBias(table, this.windowSize)), 16)];
    })[0] as tf.Tensor3D;
  }

  override forward(x: tf.Tensor): tf.Tensor {
    return this.forwardMasked(x, null);
  }

  /** Attention over windows `[B·nW, N, C]` with an optional shifted-window mask `[nW, N, N]`. */
  forwardMasked(x: tf.Tensor, mask: tf.Tensor | null): tf.Tensor {
    let qkv = this.qkv.forward(x);
    if (this.qBias && this.vBias) qkv = tf.add(qkv, tf.concat([this.qBias.value, tf.zerosLike(this.qBias.value), this.vBias.value]));
    const [q, k, v] = splitHeadsQkv(qkv, this.numHeads);
    const [B_, H, N, D] = q.shape;
    const unit = (t: tf.Tensor) => tf.div(t, tf.maximum(tf.norm(t, 'euclidean', -1, true), 1e-12));
    const cos = batchMatMul(tf.reshape(unit(q), [B_ * H, N, D]) as tf.Tensor3D, tf.reshape(unit(k), [B_ * H, N, D]) as tf.Tensor3D, true);
    const scale = tf.exp(tf.minimum(this.logitScale.value, Math.log(100)));
    const attn = tf.add(tf.mul(tf.reshape(cos, [B_, H, N, N]), scale), this.relativePositionBias());
    return this.proj.forward(windowAttend(attn, mask, v));
  }
}
