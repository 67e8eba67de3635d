/**
 * Batches of a {@link Dataset} through a per-sample transform, as timm's `create_loader`: shuffled each epoch from a
 * seed (train), `dropLast` (timm drops the last partial batch when training), the next batch prepared while the
 * current one is used (image decoding runs on sharp's own threads).
 */
import * as tf from '@tensorflow/tfjs-core';
import type { SampleTransform } from '../transforms.js';
import type { Dataset } from './dataset.js';
import { Rng } from './random.js';

export interface DataLoaderOptions {
  batchSize: number;
  /** Shuffle each epoch (seeded by `seed` and the epoch). Default false. */
  shuffle?: boolean;
  /** Leave out the last batch when it is short. Default false (timm: true for training). */
  dropLast?: boolean;
  /** Seed of the shuffles and of the transform's random draws. Default 42 (timm's `--seed`). */
  seed?: number;
  /** Samples decoded and transformed at once. Default 8. */
  concurrency?: number;
}

/** One batch: `x` `[n, H, W, C]` float32 and `y` `[n]` int32 class indices; dispose both (or call `dispose`). */
export interface Batch {
  x: tf.Tensor4D;
  y: tf.Tensor1D;
  size: number;
  dispose(): void;
}

export class DataLoader {
  readonly batchSize: number;
  readonly shuffle: boolean;
  readonly dropLast: boolean;
  readonly seed: number;
  private readonly concurrency: number;

  constructor(
    readonly dataset: Dataset,
    readonly transform: SampleTransform,
    options: DataLoaderOptions,
  ) {
    if (!(Number.isInteger(options.batchSize) && options.batchSize >= 1)) throw new RangeError(`DataLoader: batchSize must be an integer >= 1, got ${options.batchSize}`);
    this.batchSize = options.batchSize;
    this.shuffle = options.shuffle ?? false;
    this.dropLast = options.dropLast ?? false;
    this.seed = options.seed ?? 42;
    this.concurrency = Math.max(1, options.concurrency ?? 8);
    if (this.dropLast && dataset.length < this.batchSize) {
      throw new RangeError(`DataLoader: ${dataset.length} samples make no full batch of ${this.batchSize} (dropLast); use a smaller batch size`);
    }
  }

  /** Batches per epoch. */
  get length(): number {
    const n = this.dataset.length / this.batchSize;
    return this.dropLast ? Math.floor(n) : Math.ceil(n);
  }

  /** Sample indices of each batch of `epoch`. */
  batchIndices(epoch = 0): number[][] {
    const order = this.shuffle ? new Rng(this.seed, 0x5eed, epoch).permutation(this.dataset.length) : Array.from({ length: this.dataset.length }, (_, i) => i);
    const out: number[][] = [];
    for (let b = 0; b < this.length; b++) out.push(order.slice(b * this.batchSize, (b + 1) * this.batchSize));
    return out;
  }

  private async prepare(indices: number[], epoch: number): Promise<{ data: Float32Array; labels: Int32Array }> {
    const [C, H, W] = this.transform.config.inputSize;
    const per = H * W * C;
    const data = new Float32Array(indices.length * per);
    const labels = new Int32Array(indices.length);
    let next = 0;
    const work = async () => {
      while (next < indices.length) {
        const k = next++;
        const idx = indices[k]!;
        const { image, target } = await this.dataset.get(idx);
        // each sample's draws depend on (seed, epoch, index) only, so the result does not depend on timing
        data.set(this.transform(image, new Rng(this.seed, epoch, idx)), k * per);
        labels[k] = target;
      }
    };
    await Promise.all(Array.from({ length: Math.min(this.concurrency, indices.length) }, work));
    return { data, labels };
  }

  /** The batches of `epoch`, each prepared while the one before is in use. */
  async *epoch(epoch = 0): AsyncGenerator<Batch> {
    const [C, H, W] = this.transform.config.inputSize;
    const batches = this.batchIndices(epoch);
    let pending = batches.length ? this.prepare(batches[0]!, epoch) : undefined;
    for (let b = 0; b < batches.length; b++) {
      const { data, labels } = await pending!;
      pending = b + 1 < batches.length ? this.prepare(batches[b + 1]!, epoch) : undefined;
      // a rejected prefetch must not go unhandled while the consumer works on this batch
      pending?.catch(() => {});
      const n = labels.length;
      const x = tf.tensor4d(data, [n, H, W, C], 'float32');
      const y = tf.tensor1d(labels, 'int32');
      yield { x, y, size: n, dispose: () => tf.dispose([x, y]) };
    }
  }
}
