import * as tf from '@tensorflow/tfjs-core';
import { Module, type Param } from '../module.js';

/**
 * timm's `GroupNorm1` (GroupNorm with one group: each sample normalised over all its positions and channels) on NHWC
 * maps, then a per-channel affine. `bias: false` is MetaFormer's `GroupNorm1NoBias` (which also takes eps 1e-6;
 * GroupNorm1's default is torch's 1e-5). Keys: weight, bias.
 */
export class GroupNorm1 extends Module {
  readonly eps: number;
  readonly weight: Param;
  readonly bias: Param | null;
  constructor(readonly numChannels: number, options: { eps?: number; bias?: boolean } = {}) {
    super();
    this.eps = options.eps ?? 1e-5;
    this.weight = this.addParam('weight', [numChannels], { init: { kind: 'ones' } });
    this.bias = (options.bias ?? true) ? this.addParam('bias', [numChannels], { init: { kind: 'zeros' } }) : null;
  }
  override forward(x: tf.Tensor): tf.Tensor {
    if (x.rank !== 4) throw new Error(`GroupNorm1 expects NHWC maps (rank 4), got rank ${x.rank}`);
    // Two-stage means (positions, then channels): one float32 sum over a whole stage-1 map (≈200k elements) drifts.
    const mean = tf.mean(tf.mean(x, [1, 2], true), 3, true);
    const centered = tf.sub(x, mean);
    const variance = tf.mean(tf.mean(tf.square(centered), [1, 2], true), 3, true);
    const y = tf.mul(tf.mul(centered, tf.rsqrt(tf.add(variance, this.eps))), this.weight.value);
    return this.bias ? tf.add(y, this.bias.value) : y;
  }
}
