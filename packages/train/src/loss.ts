import * as tf from '@tensorflow/tfjs-core';

/**
 * A loss: logits `[N, classes]` and targets → a scalar. Targets are integer classes `[N]`, or (for the soft-target
 * losses) dense per-class targets `[N, classes]` such as {@link Mixup} makes.
 */
export type LossFn = (logits: tf.Tensor, target: tf.Tensor) => tf.Scalar;

export interface LossOptions {
  /** Label smoothing: timm's LabelSmoothingCrossEntropy (or BinaryCrossEntropy's smoothing with `bce`). Default 0. */
  smoothing?: number;
  /** Dense targets (Mixup / CutMix): timm's SoftTargetCrossEntropy (or BinaryCrossEntropy with `bce`). Default false. */
  soft?: boolean;
  /** timm's BinaryCrossEntropy (train.py's `--bce-loss`). Default false. */
  bce?: boolean;
  /** BCE: targets above this become 1, the rest 0 (`--bce-target-thresh`). */
  bceTargetThresh?: number;
  /** BCE: weight of the positive term (`--bce-pos-weight`). */
  bcePosWeight?: number;
  /** BCE: sum over classes, then mean over the batch (`--bce-sum`), instead of the mean over all elements. */
  bceSum?: boolean;
}

/** Raised for invalid loss options or targets that do not fit the logits. */
export class LossError extends Error {
  override name = 'LossError';
}

/**
 * timm's smoothed one-hot targets of class indices: `smoothing / classes` off the class, `1 - smoothing + off` on it
 * (exactly those float32 values, as `torch.full(off).scatter_(on)` makes them).
 */
export function smoothedOneHot(target: tf.Tensor, numClasses: number, smoothing: number): tf.Tensor {
  return tf.tidy(() => {
    const off = smoothing / numClasses;
    const hot = tf.equal(tf.oneHot(tf.cast(target, 'int32'), numClasses), 1);
    return tf.where(hot, tf.fill(hot.shape, 1 - smoothing + off), tf.fill(hot.shape, off));
  });
}

function checkTarget(who: string, logits: tf.Tensor, target: tf.Tensor, dense: boolean | 'either'): boolean {
  const [n, c] = logits.shape;
  const isDense = target.rank === 2;
  if (logits.rank !== 2) throw new LossError(`${who}: logits must be [batch, classes], got [${logits.shape.join(', ')}]`);
  if (isDense ? target.shape[0] !== n || target.shape[1] !== c : target.rank !== 1 || target.shape[0] !== n) {
    throw new LossError(`${who}: targets of shape [${target.shape.join(', ')}] do not fit logits [${n}, ${c}] (want [${n}] classes or [${n}, ${c}] dense targets)`);
  }
  if (dense !== 'either' && dense !== isDense) {
    throw new LossError(`${who} takes ${dense ? `dense targets [${n}, ${c}]` : `class indices [${n}]`}, got [${target.shape.join(', ')}]`);
  }
  return isDense;
}

/** timm's LabelSmoothingCrossEntropy (`(1 - s)·nll + s·mean(-log p)` per sample), or cross-entropy at s = 0; batch mean. */
export function labelSmoothingCrossEntropy(smoothing = 0.1): LossFn {
  return (logits, target) => {
    checkTarget('LabelSmoothingCrossEntropy', logits, target, false);
    return tf.tidy(() => {
      const logp = tf.logSoftmax(logits, -1);
      const onehot = tf.oneHot(tf.cast(target, 'int32'), logits.shape[1]!);
      const nll = tf.neg(tf.sum(tf.mul(logp, onehot), -1));
      const perSample = smoothing > 0 ? tf.add(tf.mul(nll, 1 - smoothing), tf.mul(tf.neg(tf.mean(logp, -1)), smoothing)) : nll;
      return tf.mean(perSample) as tf.Scalar;
    });
  };
}

/** timm's SoftTargetCrossEntropy: `sum(-target · log_softmax(x))` per sample, batch mean; dense targets. */
export function softTargetCrossEntropy(): LossFn {
  return (logits, target) => {
    checkTarget('SoftTargetCrossEntropy', logits, target, true);
    return tf.tidy(() => tf.mean(tf.sum(tf.mul(tf.neg(target), tf.logSoftmax(logits, -1)), -1)) as tf.Scalar);
  };
}

export interface BinaryCrossEntropyOptions {
  /** Smoothing of class-index targets (off = s/classes, on = 1 - s + off). Default 0.1, as timm's. */
  smoothing?: number;
  targetThreshold?: number;
  posWeight?: number;
  sumClasses?: boolean;
}

/**
 * timm's BinaryCrossEntropy: class indices become smoothed one-hot targets (dense targets are used as given), an
 * optional threshold binarises them, then PyTorch's `binary_cross_entropy_with_logits` (with `pos_weight`) averaged
 * over every element, or summed over classes and averaged over the batch (`sumClasses`). Its gradient is the
 * closed form `(1 - t) - (1 + (w - 1)·t)·σ(-x)` over the same reduction.
 */
export function binaryCrossEntropy(options: BinaryCrossEntropyOptions = {}): LossFn {
  const smoothing = options.smoothing ?? 0.1;
  const { targetThreshold, posWeight, sumClasses = false } = options;
  if (!(smoothing >= 0 && smoothing < 1)) throw new LossError(`BinaryCrossEntropy: smoothing must be in [0, 1), got ${String(smoothing)}`);
  if (posWeight !== undefined && !Number.isFinite(posWeight)) throw new LossError(`BinaryCrossEntropy: posWeight must be a finite number, got ${String(posWeight)}`);
  return (logits, target) => {
    const dense = checkTarget('BinaryCrossEntropy', logits, target, 'either');
    const [n, c] = logits.shape as [number, number];
    const t = tf.tidy(() => {
      let y = dense ? tf.cast(target, 'float32') : smoothedOneHot(target, c, smoothing);
      if (targetThreshold !== undefined) y = tf.cast(tf.greater(y, targetThreshold), 'float32');
      return y;
    });
    const scale = 1 / (sumClasses ? n : n * c);
    // l = (1 - t)·x + L·softplus(-x), L = 1 + (w - 1)·t; softplus(-x) = max(-x, 0) + log1p(exp(-|x|)).
    const weightOfLog = (y: tf.Tensor): tf.Tensor => (posWeight === undefined ? tf.onesLike(y) : tf.add(tf.mul(y, posWeight - 1), 1));
    const bce = tf.customGrad((...args: (tf.Tensor | tf.GradSaveFunc)[]) => {
      const xs = args[0] as tf.Tensor;
      (args[1] as tf.GradSaveFunc)([xs, t]);
      const softplusNeg = tf.add(tf.relu(tf.neg(xs)), tf.log1p(tf.exp(tf.neg(tf.abs(xs)))));
      const perElement = tf.add(tf.mul(tf.sub(1, t), xs), tf.mul(weightOfLog(t), softplusNeg));
      return {
        value: tf.mul(tf.sum(perElement), scale),
        gradFunc: (dy: tf.Tensor, saved: tf.Tensor[]) => {
          const [x0, y] = saved as [tf.Tensor, tf.Tensor];
          const dx = tf.sub(tf.sub(1, y), tf.mul(weightOfLog(y), tf.sigmoid(tf.neg(x0))));
          return tf.mul(dx, tf.mul(dy, scale));
        },
      };
    });
    try {
      return bce(logits) as tf.Scalar;
    } finally {
      t.dispose();
    }
  };
}

/**
 * timm train.py's loss choice: `soft` (Mixup / CutMix targets) → SoftTargetCrossEntropy, or BinaryCrossEntropy with
 * `bce` (unsmoothed: the targets are already mixed and smoothed); else `smoothing` > 0 → LabelSmoothingCrossEntropy,
 * or BinaryCrossEntropy(smoothing) with `bce`; else cross-entropy. (One difference: `bce` without smoothing or soft
 * targets gives BinaryCrossEntropy(smoothing 0) here, where train.py falls back to cross-entropy.)
 */
export function createLoss(options: LossOptions = {}): LossFn {
  const s = options.smoothing ?? 0;
  if (!(Number.isFinite(s) && s >= 0 && s < 1)) throw new LossError(`createLoss: smoothing must be in [0, 1), got ${String(s)}`);
  if (options.bce) {
    return binaryCrossEntropy({
      smoothing: options.soft ? 0.1 : s,
      targetThreshold: options.bceTargetThresh,
      posWeight: options.bcePosWeight,
      sumClasses: options.bceSum,
    });
  }
  if (options.bceTargetThresh !== undefined || options.bcePosWeight !== undefined || options.bceSum) {
    throw new LossError('createLoss: bceTargetThresh, bcePosWeight and bceSum need bce: true');
  }
  return options.soft ? softTargetCrossEntropy() : labelSmoothingCrossEntropy(s);
}
