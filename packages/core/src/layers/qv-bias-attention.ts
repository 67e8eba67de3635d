import * as tf from '@tensorflow/tfjs-core';
import { Module, type Param } from '../module.js';
import { biasedSoftmaxAttention, clsRelPosBias, numRelativeDistanceCls } from './cls-rel-pos.js';
import type { Pair } from './helpers.js';
import { Linear } from './linear.js';
import { softmaxAttention } from './matmul.js';
import { unstackTensor } from './slice.js';

export interface QvBiasAttentionOptions {
  numHeads?: number;
  /** Learnable q and v biases (the k bias stays zero, a non-persistent buffer in timm). */
  qkvBias?: boolean;
  /** A per-block relative position table over this window plus the class token (BEiT's `use_rel_pos_bias`). */
  windowSize?: Pair | null;
  /** Per-head width when it is not `dim / numHeads` (timm's `attn_head_dim`). */
  headDim?: number | null;
}

/**
 * timm's beit `Attention`: multi-head self-attention whose qkv projection has no bias of its own but learnable
 * `q_bias` / `v_bias` (the k part of the bias is zero), and optionally a relative position bias table per block (the
 * class-token layout of {@link clsRelPosBias}); `forward(x, sharedBias)` adds a bias shared by all blocks. Keys:
 * q_bias, v_bias, relative_position_bias_table, qkv, proj.
 */
export class QvBiasAttention extends Module {
  readonly numHeads: number;
  readonly headDim: number;
  readonly scale: number;
  readonly windowSize: Pair | null;
  readonly qkv: Linear;
  readonly qBias: Param | null;
  readonly vBias: Param | null;
  relativePositionBiasTable: Param | null;
  readonly proj: Linear;
  constructor(readonly dim: number, options: QvBiasAttentionOptions = {}) {
    super();
    this.numHeads = options.numHeads ?? 8;
    this.headDim = options.headDim ?? Math.floor(dim / this.numHeads);
    this.scale = this.headDim ** -0.5;
    const all = this.headDim * this.numHeads;
    this.qkv = this.addModule('qkv', new Linear(dim, all * 3, { bias: false }));
    this.qBias = options.qkvBias ? this.addParam('q_bias', [all]) : null;
    this.vBias = options.qkvBias ? this.addParam('v_bias', [all]) : null;
    this.windowSize = options.windowSize ?? null;
    this.relativePositionBiasTable = this.windowSize
      ? this.addParam('relative_position_bias_table', [numRelativeDistanceCls(this.windowSize), this.numHeads])
      : null;
    this.proj = this.addModule('proj', new Linear(all, dim));
  }

  /** The qkv projection with timm's `cat(q_bias, zeros, v_bias)` bias. */
  private project(x: tf.Tensor): tf.Tensor {
    const y = this.qkv.forward(x);
    if (!this.qBias || !this.vBias) return y;
    const all = this.headDim * this.numHeads;
    return tf.add(y, tf.concat([this.qBias.value, tf.zeros([all]), this.vBias.value]));
  }

  override forward(x: tf.Tensor, sharedBias?: tf.Tensor | null): tf.Tensor {
    const [B, N] = x.shape as [number, number, number];
    const H = this.numHeads;
    const D = this.headDim;
    const qkv = tf.transpose(tf.reshape(this.project(x), [B, N, 3, H, D]), [2, 0, 3, 1, 4]);
    const [q, k, v] = unstackTensor(qkv, 0).map((t) => tf.reshape(t, [B * H, N, D])) as [tf.Tensor3D, tf.Tensor3D, tf.Tensor3D];
    let bias: tf.Tensor | null = this.relativePositionBiasTable ? clsRelPosBias(this.relativePositionBiasTable.value, this.windowSize!) : null;
    if (sharedBias) bias = bias ? tf.add(bias, sharedBias) : sharedBias;
    const qs = tf.mul(q, this.scale) as tf.Tensor3D;
    const o = bias ? biasedSoftmaxAttention(qs, k, v, bias, H) : softmaxAttention(qs, k, v);
    return this.proj.forward(tf.reshape(tf.transpose(tf.reshape(o, [B, H, N, D]), [0, 2, 1, 3]), [B, N, H * D]));
  }
}

/**
 * Layer-scale gammas held by a block itself (BEiT / EVA: `gamma_1`, `gamma_2` `[dim]`, both `initValues`), rather
 * than in LayerScale modules; none when `initValues` is falsy, as timm.
 */
export function addLayerScaleGammas(block: Module, dim: number, initValues: number | null | undefined): [Param, Param] | [null, null] {
  if (!initValues) return [null, null];
  const init = { kind: 'const' as const, value: initValues };
  return [block.addParam('gamma_1', [dim], { init }), block.addParam('gamma_2', [dim], { init })];
}
