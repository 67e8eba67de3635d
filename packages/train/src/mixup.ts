import * as tf from '@tensorflow/tfjs-core';
import { smoothedOneHot } from './loss.js';

/** How Mixup draws its parameters: one lam for the batch, one per pair (i, n-1-i), or one per element. */
export type MixupMode = 'batch' | 'pair' | 'elem';

/**
 * The random draws Mixup makes, one value per call, in the order timm's Mixup makes its numpy draws (a numpy
 * `rand(n)` is n calls of `random()`, and so on). The default is a seeded generator of ours; feeding numpy's recorded
 * draws reproduces timm's lam, switch and box decisions exactly (that is how the tests compare).
 */
export interface MixupRandom {
  /** Uniform in [0, 1) (numpy `rand`). */
  random(): number;
  /** Beta(a, b) (numpy `beta`). */
  beta(a: number, b: number): number;
  /** An integer in [low, high) (numpy `randint`). */
  randint(low: number, high: number): number;
}

export interface MixupOptions {
  /** Mixup is active when > 0. Default 1. */
  mixupAlpha?: number;
  /** CutMix is active when > 0. Default 0. */
  cutmixAlpha?: number;
  /** CutMix box sides as [min, max] fractions of the image (then CutMix is active, alpha 1, lam from the box). */
  cutmixMinmax?: [number, number];
  /** Probability of mixing a batch (or element / pair). Default 1. */
  prob?: number;
  /** Probability of CutMix instead of Mixup when both are active. Default 0.5. */
  switchProb?: number;
  /** Default 'batch'. */
  mode?: MixupMode;
  /** Recompute lam from the box area after clipping at the borders. Default true. */
  correctLam?: boolean;
  /** Label smoothing of the mixed targets. Default 0.1. */
  labelSmoothing?: number;
  /** Default 1000. */
  numClasses?: number;
  /** Seed of the default generator. Default 0. */
  seed?: number;
  /** Draws to use instead of the seeded generator. */
  random?: MixupRandom;
}

/** Raised for invalid Mixup options or inputs; nothing was mixed. */
export class MixupError extends Error {
  override name = 'MixupError';
}

/** A seeded generator (sfc32, normals by Box–Muller, gammas by Marsaglia–Tsang, beta as a ratio of gammas). */
export function seededMixupRandom(seed = 0): MixupRandom {
  let a = 0x9e3779b9;
  let b = 0x243f6a88;
  let c = 0xb7e15162;
  let d = seed >>> 0;
  const next = (): number => {
    a >>>= 0;
    b >>>= 0;
    c >>>= 0;
    d >>>= 0;
    let t = (a + b) | 0;
    a = b ^ (b >>> 9);
    b = (c + (c << 3)) | 0;
    c = (c << 21) | (c >>> 11);
    d = (d + 1) | 0;
    t = (t + d) | 0;
    c = (c + t) | 0;
    return (t >>> 0) / 4294967296;
  };
  for (let i = 0; i < 16; i++) next();
  const normal = (): number => {
    const u = 1 - next();
    return Math.sqrt(-2 * Math.log(u)) * Math.cos(2 * Math.PI * next());
  };
  const gamma = (k: number): number => {
    if (k < 1) return gamma(k + 1) * (1 - next()) ** (1 / k);
    const dd = k - 1 / 3;
    const cc = 1 / Math.sqrt(9 * dd);
    for (;;) {
      let x: number;
      let v: number;
      do {
        x = normal();
        v = 1 + cc * x;
      } while (v <= 0);
      v = v * v * v;
      const u = 1 - next();
      if (Math.log(u) < 0.5 * x * x + dd - dd * v + dd * Math.log(v)) return dd * v;
    }
  };
  return {
    random: next,
    beta: (x, y) => {
      const g = gamma(x);
      return g / (g + gamma(y));
    },
    randint: (low, high) => low + Math.floor(next() * (high - low)),
  };
}

type Box = [yl: number, yh: number, xl: number, xh: number];

/** The result of a mix: new tensors the caller owns. */
export interface MixupResult {
  /** The mixed NHWC batch. */
  x: tf.Tensor;
  /** Mixed, smoothed targets `[N, numClasses]`. */
  target: tf.Tensor;
  /** The lam used: one for the batch, or one per element. */
  lam: number | number[];
}

/**
 * timm's Mixup / CutMix: mixes each image with its mirror in the batch (element i with n-1-i) — Mixup blends them by
 * lam, CutMix pastes a box of the mirror image (lam corrected to the kept area) — and mixes the one-hot, smoothed
 * targets by the same lam. Per batch, per pair or per element; `mixupEnabled = false` turns it off (the targets are
 * still one-hot and smoothed, as timm's).
 */
export class Mixup {
  readonly mixupAlpha: number;
  readonly cutmixAlpha: number;
  readonly cutmixMinmax: [number, number] | undefined;
  readonly prob: number;
  readonly switchProb: number;
  readonly mode: MixupMode;
  readonly correctLam: boolean;
  readonly labelSmoothing: number;
  readonly numClasses: number;
  /** Set false to stop mixing (timm's train loop does so for the last epochs with `mixup_off_epoch`). */
  mixupEnabled = true;
  private readonly rng: MixupRandom;

  constructor(options: MixupOptions = {}) {
    this.mixupAlpha = options.mixupAlpha ?? 1;
    this.cutmixMinmax = options.cutmixMinmax;
    this.cutmixAlpha = this.cutmixMinmax ? 1 : (options.cutmixAlpha ?? 0);
    this.prob = options.prob ?? 1;
    this.switchProb = options.switchProb ?? 0.5;
    this.mode = options.mode ?? 'batch';
    this.correctLam = options.correctLam ?? true;
    this.labelSmoothing = options.labelSmoothing ?? 0.1;
    this.numClasses = options.numClasses ?? 1000;
    this.rng = options.random ?? seededMixupRandom(options.seed ?? 0);
    if (!['batch', 'pair', 'elem'].includes(this.mode)) throw new MixupError(`Mixup: mode must be 'batch', 'pair' or 'elem', got '${String(this.mode)}'`);
    if (!(this.mixupAlpha > 0 || this.cutmixAlpha > 0)) throw new MixupError('Mixup: one of mixupAlpha > 0, cutmixAlpha > 0 or cutmixMinmax is needed');
    if (this.cutmixMinmax && (this.cutmixMinmax.length !== 2 || !this.cutmixMinmax.every((v) => v >= 0 && v <= 1))) {
      throw new MixupError(`Mixup: cutmixMinmax must be two fractions in [0, 1], got [${this.cutmixMinmax.join(', ')}]`);
    }
    if (!(Number.isInteger(this.numClasses) && this.numClasses > 0)) throw new MixupError(`Mixup: numClasses must be a positive integer, got ${this.numClasses}`);
    for (const [k, v] of [['prob', this.prob], ['switchProb', this.switchProb], ['labelSmoothing', this.labelSmoothing]] as const) {
      if (!(v >= 0 && v <= 1)) throw new MixupError(`Mixup: ${k} must be in [0, 1], got ${v}`);
    }
  }

  private draw<T>(n: number, f: () => T): T[] {
    return Array.from({ length: n }, f);
  }

  /** timm's `_params_per_elem`: lam (float32) and CutMix flags for n elements, drawn as numpy does (vector by vector). */
  private paramsPerElem(n: number): { lam: number[]; cutmix: boolean[] } {
    let lam = new Array<number>(n).fill(1);
    let cutmix = new Array<boolean>(n).fill(false);
    if (!this.mixupEnabled) return { lam, cutmix };
    const { mixupAlpha: ma, cutmixAlpha: ca } = this;
    let lamMix: number[];
    if (ma > 0 && ca > 0) {
      cutmix = this.draw(n, () => this.rng.random() < this.switchProb);
      const cm = this.draw(n, () => this.rng.beta(ca, ca));
      const mx = this.draw(n, () => this.rng.beta(ma, ma));
      lamMix = cm.map((v, i) => (cutmix[i] ? v : mx[i]!));
    } else if (ma > 0) {
      lamMix = this.draw(n, () => this.rng.beta(ma, ma));
    } else {
      cutmix = new Array<boolean>(n).fill(true);
      lamMix = this.draw(n, () => this.rng.beta(ca, ca));
    }
    const apply = this.draw(n, () => this.rng.random());
    lam = lamMix.map((v, i) => (apply[i]! < this.prob ? Math.fround(v) : 1));
    return { lam, cutmix };
  }

  /** timm's `_params_per_batch`. */
  private paramsPerBatch(): { lam: number; cutmix: boolean } {
    if (!this.mixupEnabled || !(this.rng.random() < this.prob)) return { lam: 1, cutmix: false };
    const { mixupAlpha: ma, cutmixAlpha: ca } = this;
    if (ma > 0 && ca > 0) {
      const cutmix = this.rng.random() < this.switchProb;
      return { lam: cutmix ? this.rng.beta(ca, ca) : this.rng.beta(ma, ma), cutmix };
    }
    if (ma > 0) return { lam: this.rng.beta(ma, ma), cutmix: false };
    return { lam: this.rng.beta(ca, ca), cutmix: true };
  }

  private randint(low: number, high: number): number {
    if (!(high > low)) throw new MixupError(`Mixup: empty range for a box coordinate [${low}, ${high}) (cutmixMinmax too large for the image?)`);
    return this.rng.randint(low, high);
  }

  /**
   * timm's `cutmix_bbox_and_lam` for an h×w image: a box (square-ish, side √(1-lam) of the image, clipped at the
   * borders; or min/max fractions) and lam recomputed from its area when `correctLam` (always with min/max). `f32`:
   * lam is a float32, as in the per-element modes.
   */
  private cutmixBox(h: number, w: number, lam: number, f32: boolean): { box: Box; lam: number } {
    const r = f32 ? Math.fround : (v: number) => v;
    let box: Box;
    if (this.cutmixMinmax) {
      const [lo, hi] = this.cutmixMinmax;
      const ch = this.randint(Math.trunc(h * lo), Math.trunc(h * hi));
      const cw = this.randint(Math.trunc(w * lo), Math.trunc(w * hi));
      const yl = this.randint(0, h - ch);
      const xl = this.randint(0, w - cw);
      box = [yl, yl + ch, xl, xl + cw];
    } else {
      const ratio = r(Math.sqrt(r(1 - lam)));
      const ch = Math.trunc(r(h * ratio));
      const cw = Math.trunc(r(w * ratio));
      const cy = this.randint(0, h);
      const cx = this.randint(0, w);
      const clip = (v: number, hi: number) => Math.min(Math.max(v, 0), hi);
      box = [clip(cy - Math.floor(ch / 2), h), clip(cy + Math.floor(ch / 2), h), clip(cx - Math.floor(cw / 2), w), clip(cx + Math.floor(cw / 2), w)];
    }
    if (this.correctLam || this.cutmixMinmax) lam = 1 - ((box[1] - box[0]) * (box[3] - box[2])) / (h * w);
    return { box, lam };
  }

  /**
   * Mixes an NHWC batch (even size) and its integer class targets. `x` and `target` stay the caller's; the result's
   * tensors are new.
   */
  apply(x: tf.Tensor, target: tf.Tensor | readonly number[]): MixupResult {
    if (x.rank !== 4) throw new MixupError(`Mixup: x must be an NHWC batch, got shape [${x.shape.join(', ')}]`);
    const [n, h, w] = x.shape as [number, number, number, number];
    if (n % 2 !== 0) throw new MixupError(`Mixup: the batch size must be even, got ${n}`);
    const labels = target instanceof tf.Tensor ? Array.from(target.dataSync()) : [...target];
    if (labels.length !== n || !labels.every((l) => Number.isInteger(l) && l >= 0 && l < this.numClasses)) {
      throw new MixupError(`Mixup: targets must be ${n} class indices in [0, ${this.numClasses}), got [${labels.slice(0, 8).join(', ')}${labels.length > 8 ? ', …' : ''}]`);
    }
    let lam: number | number[];
    let weights: Float32Array | number; // per pixel (n·h·w) weight of the image itself, or one for all
    if (this.mode === 'batch') {
      const p = this.paramsPerBatch();
      lam = p.lam;
      weights = p.lam;
      if (p.lam !== 1 && p.cutmix) {
        const { box, lam: l } = this.cutmixBox(h, w, p.lam, false);
        lam = l;
        weights = new Float32Array(n * h * w).fill(1);
        for (let i = 0; i < n; i++) fillBox(weights, i, h, w, box, 0);
      } else if (p.lam === 1) weights = 1;
    } else {
      const pairs = this.mode === 'pair';
      const count = pairs ? n / 2 : n;
      const p = this.paramsPerElem(count);
      weights = new Float32Array(n * h * w).fill(1);
      for (let i = 0; i < count; i++) {
        const l = p.lam[i]!;
        if (l === 1) continue;
        const targets = pairs ? [i, n - 1 - i] : [i];
        if (p.cutmix[i]) {
          const { box, lam: corrected } = this.cutmixBox(h, w, l, true);
          for (const k of targets) fillBox(weights, k, h, w, box, 0);
          p.lam[i] = Math.fround(corrected);
        } else {
          for (const k of targets) weights.fill(l, k * h * w, (k + 1) * h * w);
        }
      }
      lam = pairs ? [...p.lam, ...[...p.lam].reverse()] : p.lam;
    }
    const wts = weights;
    return tf.tidy(() => {
      const flipped = tf.reverse(x, 0);
      let mixed: tf.Tensor;
      if (typeof wts === 'number') mixed = wts === 1 ? tf.clone(x) : tf.add(tf.mul(x, wts), tf.mul(flipped, 1 - wts));
      else {
        const wt = tf.tensor4d(wts, [n, h, w, 1]);
        mixed = tf.add(tf.mul(x, wt), tf.mul(flipped, tf.sub(1, wt)));
      }
      const y1 = smoothedOneHot(tf.tensor1d(labels, 'int32'), this.numClasses, this.labelSmoothing);
      const y2 = tf.reverse(y1, 0);
      const lamT = typeof lam === 'number' ? tf.scalar(lam) : tf.tensor2d(lam, [n, 1]);
      const mixedTarget = tf.add(tf.mul(y1, lamT), tf.mul(y2, tf.sub(1, lamT)));
      return { x: mixed, target: mixedTarget, lam };
    });
  }
}

function fillBox(weights: Float32Array, i: number, h: number, w: number, [yl, yh, xl, xh]: Box, value: number): void {
  for (let y = yl; y < yh; y++) weights.fill(value, (i * h + y) * w + xl, (i * h + y) * w + xh);
}
