import * as tf from '@tensorflow/tfjs-core';
import { Module } from '../module.js';

let dropSeed = 1;

/**
 * Seeds the random masks of dropout and drop path (training mode): every later mask is drawn from a seed counted up
 * from `seed`, so a run repeats exactly when started from the same seed.
 */
export function setDropSeed(seed: number): void {
  dropSeed = seed;
}

/** timm's `drop_path`: in training mode, zeroes whole samples with probability `p` and scales the rest by `1 / (1 - p)`. */
export function dropPath(x: tf.Tensor, p: number, training: boolean): tf.Tensor {
  if (!training || p <= 0) return x;
  return tf.dropout(x, p, [x.shape[0]!, ...x.shape.slice(1).map(() => 1)], dropSeed++);
}

/** Stochastic depth (timm's DropPath): identity in eval mode, see {@link dropPath} in training mode. */
export class DropPath extends Module {
  constructor(readonly dropProb = 0) {
    super();
  }
  override forward(x: tf.Tensor): tf.Tensor {
    return dropPath(x, this.dropProb, this.training);
  }
}

/** nn.Dropout: identity in eval mode; in training mode zeroes elements with probability `p`, scaling the rest by `1 / (1 - p)`. */
export class Dropout extends Module {
  constructor(readonly p = 0) {
    super();
  }
  override forward(x: tf.Tensor): tf.Tensor {
    if (!this.training || this.p <= 0) return x;
    return tf.dropout(x, this.p, undefined, dropSeed++);
  }
}
