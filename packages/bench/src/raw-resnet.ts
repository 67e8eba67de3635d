/**
 * The raw reference: a hand-written tfjs ResNet (timm's plain bottleneck ResNet-26/50/101/152 layout) built straight
 * from a timm state dict, with every BatchNorm folded into its conv ahead of time and every conv a single
 * `tf.fused.conv2d` with bias (and ReLU where one follows). It is what the framework's forward should cost at best.
 */
import * as tf from '@tensorflow/tfjs-core';
import type { StateDict } from '@zoo/core';

interface FoldedConv {
  filter: tf.Tensor4D;
  bias: tf.Tensor1D;
  stride: number;
  pad: number;
}

interface Block {
  c1: FoldedConv;
  c2: FoldedConv;
  c3: FoldedConv;
  down: FoldedConv | null;
}

/** A hand-written reference network: logits for NHWC input, in one tidy. */
export interface RawModel {
  forward(x: tf.Tensor4D): tf.Tensor2D;
  dispose(): void;
}

export type RawResNet = RawModel;

function entry(sd: StateDict, key: string): { data: Float32Array; shape: number[] } {
  const t = sd[key];
  if (!t) throw new Error(`raw resnet: state dict has no '${key}'`);
  return { data: t.data as Float32Array, shape: t.shape };
}

/** conv weight [O, I, kh, kw] + BN → HWIO filter scaled per output channel, and bias. */
function fold(sd: StateDict, conv: string, bn: string, stride: number, pad: number, eps = 1e-5): FoldedConv {
  const w = entry(sd, `${conv}.weight`);
  const [o, i, kh, kw] = w.shape as [number, number, number, number];
  const gamma = entry(sd, `${bn}.weight`).data;
  const beta = entry(sd, `${bn}.bias`).data;
  const mean = entry(sd, `${bn}.running_mean`).data;
  const variance = entry(sd, `${bn}.running_var`).data;
  const hwio = new Float32Array(w.data.length);
  const bias = new Float32Array(o);
  for (let oc = 0; oc < o; oc++) {
    const scale = gamma[oc]! / Math.sqrt(variance[oc]! + eps);
    bias[oc] = beta[oc]! - mean[oc]! * scale;
    for (let ic = 0; ic < i; ic++) {
      for (let y = 0; y < kh; y++) {
        for (let x = 0; x < kw; x++) {
          hwio[((y * kw + x) * i + ic) * o + oc] = w.data[((oc * i + ic) * kh + y) * kw + x]! * scale;
        }
      }
    }
  }
  return { filter: tf.tensor4d(hwio, [kh, kw, i, o]), bias: tf.tensor1d(bias), stride, pad };
}

function conv(x: tf.Tensor4D, c: FoldedConv, relu: boolean): tf.Tensor4D {
  return tf.fused.conv2d({ x, filter: c.filter, bias: c.bias, strides: c.stride, pad: c.pad, activation: relu ? 'relu' : 'linear' });
}

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
  const fcW = entry(sd, 'fc.weight');
  const fcWeight = tf.tidy(() => tf.transpose(tf.tensor2d(fcW.data, fcW.shape as [number, number]))) as tf.Tensor2D;
  const fcBias = tf.tensor1d(entry(sd, 'fc.bias').data);
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
        return tf.fused.matMul({ a: pooled, b: fcWeight, bias: fcBias }) as tf.Tensor2D;
      });
    },
    dispose() {
      for (const c of [stem, ...blocks.flatMap((b) => [b.c1, b.c2, b.c3, ...(b.down ? [b.down] : [])])]) {
        c.filter.dispose();
        c.bias.dispose();
      }
      fcWeight.dispose();
      fcBias.dispose();
    },
  };
}
