import * as tf from '@tensorflow/tfjs-core';
import { Module } from '../module.js';
import { recordingGradients } from './portable.js';

/**
 * torch's `nn.Upsample(scale_factor=s, mode='nearest')` (and `F.interpolate(x, scale_factor=s)`) on an NHWC batch
 * for a positive integer factor: every pixel repeated `s × s` times, so the output is exactly `s` times the input's
 * height and width (source index `floor(dst / s)`, as torch's nearest mode picks it). One resize op; while gradients
 * are recorded, the same copies as two reshape + tile steps (kernels whose gradients every backend has).
 */
export function upsampleNearest(x: tf.Tensor, scale: number): tf.Tensor {
  if (!Number.isInteger(scale) || scale < 1) throw new RangeError(`upsampleNearest: scale must be a positive integer, got ${scale}`);
  if (x.rank !== 4) throw new Error(`upsampleNearest: input must be NHWC (rank 4), got shape [${x.shape.join(', ')}]`);
  if (scale === 1) return x;
  const [b, h, w, c] = x.shape as [number, number, number, number];
  if (!recordingGradients()) return tf.image.resizeNearestNeighbor(x as tf.Tensor4D, [h * scale, w * scale]);
  const cols = tf.tile(tf.reshape(x, [b * h, w, 1, c]), [1, 1, scale, 1]);
  return tf.reshape(tf.tile(tf.reshape(cols, [b, h, 1, w * scale * c]), [1, 1, scale, 1]), [b, h * scale, w * scale, c]);
}

/** torch's `nn.Upsample` in nearest mode with an integer `scaleFactor` (no parameters). See {@link upsampleNearest}. */
export class Upsample extends Module {
  constructor(readonly scaleFactor: number) {
    super();
    if (!Number.isInteger(scaleFactor) || scaleFactor < 1) throw new RangeError(`Upsample: scaleFactor must be a positive integer, got ${scaleFactor}`);
  }
  override forward(x: tf.Tensor): tf.Tensor {
    return upsampleNearest(x, this.scaleFactor);
  }
}
