import * as tf from '@tensorflow/tfjs-core';

/** A loss: logits `[N, classes]` and integer class targets `[N]` → a scalar (mean over the batch). */
export type LossFn = (logits: tf.Tensor, target: tf.Tensor) => tf.Scalar;

export interface LossOptions {
  /** Label smoothing: timm's LabelSmoothingCrossEntropy when > 0, else plain cross-entropy. Default 0. */
  smoothing?: number;
}

/**
 * timm's train-script loss: `LabelSmoothingCrossEntropy(smoothing)` — `(1 - s)·nll + s·mean(-log p)` per sample —
 * or `nn.CrossEntropyLoss()` without smoothing; both averaged over the batch.
 */
export function createLoss(options: LossOptions = {}): LossFn {
  const s = options.smoothing ?? 0;
  if (!(Number.isFinite(s) && s >= 0 && s < 1)) throw new RangeError(`createLoss: smoothing must be in [0, 1), got ${String(s)}`);
  return (logits, target) =>
    tf.tidy(() => {
      const logp = tf.logSoftmax(logits, -1);
      const onehot = tf.oneHot(tf.cast(target, 'int32'), logits.shape[logits.rank - 1]!);
      const nll = tf.neg(tf.sum(tf.mul(logp, onehot), -1));
      const perSample = s > 0 ? tf.add(tf.mul(nll, 1 - s), tf.mul(tf.neg(tf.mean(logp, -1)), s)) : nll;
      return tf.mean(perSample) as tf.Scalar;
    });
}
