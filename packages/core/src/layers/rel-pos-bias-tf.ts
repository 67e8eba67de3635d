import * as tf from '@tensorflow/tfjs-core';
import { Module, type Param } from '../module.js';
import type { Pair } from './helpers.js';

/**
 * The index into a flattened `[(2wh−1)·(2ww−1)]` TF-MaxViT table for every (query, key) pair of a `wh × ww` window,
 * row-major `[N·N]`: `(ky − qy + wh − 1)·(2ww − 1) + (kx − qx + ww − 1)` (key minus query, the reverse of Swin's
 * convention). This is what timm's `generate_lookup_tensor` one-hot einsum lookups select.
 */
export function relPosTfIndex([wh, ww]: Pair): Int32Array {
  const n = wh * ww;
  const index = new Int32Array(n * n);
  for (let i = 0; i < n; i++) {
    const qy = Math.floor(i / ww);
    const qx = i % ww;
    for (let j = 0; j < n; j++) index[i * n + j] = (Math.floor(j / ww) - qy + wh - 1) * (2 * ww - 1) + (j % ww) - qx + ww - 1;
  }
  return index;
}

/**
 * timm's `RelPosBiasTf` (timm.layers, the TensorFlow MaxViT checkpoints' form): a learned `[heads, 2wh−1, 2ww−1]` table
 * read per (query, key) offset. `getBias()` is `[heads, N, N]`; `forward(attn)` adds it. Key: relative_position_bias_table.
 */
export class RelPosBiasTf extends Module {
  readonly relativePositionBiasTable: Param;
  constructor(readonly windowSize: Pair, readonly numHeads: number) {
    super();
    this.relativePositionBiasTable = this.addParam('relative_position_bias_table', [numHeads, 2 * windowSize[0] - 1, 2 * windowSize[1] - 1], {
      init: { kind: 'normal', std: 0.02 },
    });
  }
  /** The bias `[heads, N, N]`. Call inside a `tf.tidy`. */
  getBias(): tf.Tensor3D {
    const n = this.windowSize[0] * this.windowSize[1];
    const flat = tf.reshape(this.relativePositionBiasTable.value, [this.numHeads, -1]);
    return tf.reshape(tf.gather(flat, tf.tensor1d(relPosTfIndex(this.windowSize), 'int32'), 1), [this.numHeads, n, n]) as tf.Tensor3D;
  }
  override forward(attn: tf.Tensor): tf.Tensor {
    return tf.add(attn, this.getBias());
  }
}
