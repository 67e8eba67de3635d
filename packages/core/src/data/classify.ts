/**
 * Image classification in one call: the model's own eval transform, a forward pass, softmax and the top-k classes
 * with their names. Browser-safe (no sharp); Node resolves `@zoo/core` to an entry whose `classify` also takes file
 * paths and encoded bytes (src/node/data.ts).
 */
import * as tf from '@tensorflow/tfjs-core';
import type { PretrainedCfg } from '../config/pretrained.js';
import { resolveDataConfig } from './config.js';
import { IMAGENET_1K_LABELS } from './imagenet.js';
import { createTransform, type ImageInput, type ImageTransform } from './transforms.js';

/** What `classify` needs of a model: a VisionModel fits. */
export interface ClassifierLike {
  /** Logits `[B, numClasses]` for an NHWC batch. */
  forward(x: tf.Tensor): tf.Tensor;
  numClasses: number;
  pretrainedCfg?: PretrainedCfg | null;
}

/** One class of a prediction. */
export interface ClassPrediction {
  /** Class index (position in the logits). */
  index: number;
  label: string;
  /** Softmax probability. */
  probability: number;
}

export interface ClassifyOptions<I = ImageInput> {
  /** Classes kept per image, most probable first. Default 5 (capped at the model's class count). */
  topK?: number;
  /** The transform to apply; default `createTransform(resolveDataConfig({ model }))`. */
  transform?: ImageTransform<I>;
  /** Class names by index; default `classLabels(model)`. */
  labels?: readonly string[];
  /** Images per forward pass. Default 16. */
  batchSize?: number;
}

/**
 * The class names of a model: its cfg's `labelNames` (through `labelDescriptions` where those describe them),
 * else ImageNet-1k's names when it has 1000 classes (1001 with `labelOffset` 1: background first), else `class_<i>`.
 */
export function classLabels(model: ClassifierLike): string[] {
  const n = model.numClasses;
  const cfg = model.pretrainedCfg ?? {};
  if (Array.isArray(cfg.labelNames) && cfg.labelNames.length === n) {
    const desc = cfg.labelDescriptions ?? {};
    return cfg.labelNames.map((name) => desc[name] ?? name);
  }
  if (n === 1000) return [...IMAGENET_1K_LABELS];
  if (n === 1001 && cfg.labelOffset === 1) return ['background', ...IMAGENET_1K_LABELS];
  return Array.from({ length: n }, (_, i) => `class_${i}`);
}

/** The `k` most probable classes of one row of probabilities (ties by lower index). */
function topK(probs: Float32Array, offset: number, n: number, k: number, labels: readonly string[]): ClassPrediction[] {
  const idx = Array.from({ length: n }, (_, i) => i);
  idx.sort((a, b) => probs[offset + b]! - probs[offset + a]! || a - b);
  return idx.slice(0, k).map((i) => ({ index: i, label: labels[i] ?? `class_${i}`, probability: probs[offset + i]! }));
}

/**
 * Classifies images with a model: per image, the top-k classes `{ index, label, probability }` (softmax,
 * most probable first). Images are anything the transform takes; one image or an array gives one result per image.
 * Leaves no tensor behind.
 */
export async function classify<I = ImageInput>(
  model: ClassifierLike,
  images: I | readonly I[],
  options: ClassifyOptions<I> = {},
): Promise<ClassPrediction[][]> {
  const n = model.numClasses;
  if (!Number.isInteger(n) || n <= 0) throw new Error(`classify: the model has no classifier (numClasses ${n})`);
  const k = Math.min(options.topK ?? 5, n);
  if (!Number.isInteger(k) || k < 1) throw new RangeError(`classify: topK must be a positive integer, got ${options.topK}`);
  const batchSize = options.batchSize ?? 16;
  if (!Number.isInteger(batchSize) || batchSize < 1) throw new RangeError(`classify: batchSize must be a positive integer, got ${batchSize}`);
  const labels = options.labels ?? classLabels(model);
  const transform = options.transform ?? createTransform<I>(resolveDataConfig({ model }));
  const list: readonly I[] = Array.isArray(images) ? (images as readonly I[]) : [images as I];
  const out: ClassPrediction[][] = [];
  for (let start = 0; start < list.length; start += batchSize) {
    const chunk = list.slice(start, start + batchSize);
    const x = await transform(chunk);
    let probs: tf.Tensor;
    try {
      probs = tf.tidy(() => {
        const logits = model.forward(x);
        if (logits.rank !== 2 || logits.shape[1] !== n) {
          throw new Error(`classify: expected logits [${chunk.length}, ${n}], got [${logits.shape.join(', ')}]`);
        }
        return tf.softmax(tf.cast(logits, 'float32'));
      });
    } finally {
      x.dispose();
    }
    let data: Float32Array;
    try {
      data = (await probs.data()) as Float32Array;
    } finally {
      probs.dispose();
    }
    for (let i = 0; i < chunk.length; i++) out.push(topK(data, i * n, n, k, labels));
  }
  return out;
}
