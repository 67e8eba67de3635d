/**
 * The raw reference: a hand-written tfjs ResNet (timm's plain bottleneck ResNet-26/50/101/152 layout) built straight
 * from a timm state dict, with every BatchNorm folded into its conv ahead of time and every conv a single
 * `tf.fused.conv2d` with bias (and ReLU where one follows). It is what the framework's forward should cost at best.
 */
import * as tf from '@tensorflow/tfjs-core';
import type { StateDict } from '@zoo/core';
import { dense, type FoldedConv, foldConvBn, matmulBias, type RawModel, runConv } from './raw-ops.js';

export type { RawModel } from './raw-ops.js';

interface Block {
  c1: FoldedConv;
  c2: FoldedConv;
  c3: FoldedConv;
  down: FoldedConv | null;
}

export type RawResNet = RawModel;

const fold = (sd: StateDict, conv: string, bn: string, stride: number, pad: number) => foldConvBn(sd, conv, bn, { stride, pad });
const conv = (x: tf.Tensor4D, c: FoldedConv, relu: boolean) => runConv(x, c, relu ? 'relu' : 'linear');

/** Builds the reference from a timm ResNet state dict; `layers` is the blocks per stage ([3, 4, 6, 3] for ResNet-50). */
export function buildRawResNet(sd: StateDict, layers: number[] = [3, 4, 6, 3]): RawResNet {
  const stem = fold(sd, 'conv1', 'bn1', 2, 3);
  const blocks: Block[] = [];
  layers.forEach((n, s) => {
    for (let b = 0; b < n; b++) {
      const p = `layer${s + 1}.${b}`;
      const stride = b === 0 && s > 0 ? 2 : 1;
      blocks.push({
        c1: fold(sd, `${p}.conv1`, `${p}.bn1`, 1, 0),
        c2: fold(sd, `${p}.conv2`, `${p}.bn2`, stride, 1),
        c3: fold(sd, `${p}.conv3`, `${p}.bn3`, 1, 0),
        down: sd[`${p}.downsample.0.weight`] ? fold(sd, `${p}.downsample.0`, `${p}.downsample.1`, stride, 0) : null,
      });
    }
  });
  const fc = dense(sd, 'fc');
  return {
    forward(x) {
      return tf.tidy(() => {
        let y = conv(x, stem, true);
        y = tf.maxPool(y, 3, 2, [[0, 0], [1, 1], [1, 1], [0, 0]] as never);
        for (const b of blocks) {
          const shortcut = b.down ? conv(y, b.down, false) : y;
          const h = conv(conv(conv(y, b.c1, true), b.c2, true), b.c3, false);
          y = tf.relu(tf.add(h, shortcut)) as tf.Tensor4D;
        }
        const pooled = tf.mean(y, [1, 2]) as tf.Tensor2D;
        return matmulBias(pooled, fc);
      });
    },
    dispose() {
      for (const c of [stem, ...blocks.flatMap((b) => [b.c1, b.c2, b.c3, ...(b.down ? [b.down] : [])])]) {
        c.filter.dispose();
        c.bias.dispose();
      }
      tf.dispose([fc.w, fc.b]);
    },
  };
}
