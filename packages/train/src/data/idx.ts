/**
 * IDX files (the MNIST / Fashion-MNIST format: big-endian magic, dimensions, then the values), gzipped or not, and
 * Fashion-MNIST as a {@link Dataset}.
 */
import { readFileSync } from 'node:fs';
import { join } from 'node:path';
import { gunzipSync } from 'node:zlib';
import { type Dataset, DatasetError, type Sample } from './dataset.js';

/** An IDX array of unsigned bytes (the only type MNIST-like sets use). */
export interface IdxArray {
  shape: number[];
  data: Uint8Array;
}

/** Parses IDX bytes (gunzipped first when they start with gzip's magic). Only the unsigned-byte type (0x08). */
export function readIdx(bytes: Uint8Array, what = 'IDX data'): IdxArray {
  let b = bytes;
  if (b[0] === 0x1f && b[1] === 0x8b) {
    try {
      b = new Uint8Array(gunzipSync(b));
    } catch (e) {
      throw new DatasetError(`${what}: cannot gunzip (${e instanceof Error ? e.message : String(e)})`);
    }
  }
  if (b.length < 4 || b[0] !== 0 || b[1] !== 0) throw new DatasetError(`${what}: not an IDX file (bad magic)`);
  if (b[2] !== 0x08) throw new DatasetError(`${what}: IDX type 0x${b[2]!.toString(16)} is not supported (only unsigned bytes, 0x08)`);
  const rank = b[3]!;
  const view = new DataView(b.buffer, b.byteOffset, b.byteLength);
  if (b.length < 4 + 4 * rank) throw new DatasetError(`${what}: truncated IDX header`);
  const shape = Array.from({ length: rank }, (_, i) => view.getUint32(4 + 4 * i));
  const n = shape.reduce((a, s) => a * s, 1);
  const start = 4 + 4 * rank;
  if (b.length !== start + n) throw new DatasetError(`${what}: IDX shape [${shape.join(', ')}] needs ${n} values, the file has ${b.length - start}`);
  return { shape, data: b.subarray(start) };
}

/** Fashion-MNIST's class names, by label. */
export const FASHION_MNIST_CLASSES: readonly string[] = ['T-shirt/top', 'Trouser', 'Pullover', 'Dress', 'Coat', 'Sandal', 'Shirt', 'Sneaker', 'Bag', 'Ankle boot'];

/** Where Debian's `dataset-fashion-mnist` package puts the files. */
export const DEBIAN_FASHION_MNIST_DIR = '/usr/share/datasets/fashion-mnist';

/** An MNIST-like set held in memory: 8-bit gray images (`[n, h, w]`) and their labels. */
export class IdxDataset implements Dataset {
  readonly length: number;
  readonly height: number;
  readonly width: number;

  constructor(
    readonly images: IdxArray,
    readonly labels: IdxArray,
    readonly classes?: readonly string[],
  ) {
    if (images.shape.length !== 3) throw new DatasetError(`images must be a [n, h, w] IDX array, got [${images.shape.join(', ')}]`);
    if (labels.shape.length !== 1 || labels.shape[0] !== images.shape[0]) {
      throw new DatasetError(`labels [${labels.shape.join(', ')}] do not match images [${images.shape.join(', ')}]`);
    }
    [this.length, this.height, this.width] = images.shape as [number, number, number];
  }

  get(index: number): Sample {
    if (!(index >= 0 && index < this.length)) throw new RangeError(`index ${index} out of range (0..${this.length - 1})`);
    const px = this.height * this.width;
    return { image: { data: this.images.data.subarray(index * px, (index + 1) * px), width: this.width, height: this.height, channels: 1 }, target: this.labels.data[index]! };
  }

  /** The first `n` samples (a view, no copy). */
  slice(n: number): IdxDataset {
    const m = Math.min(n, this.length);
    const px = this.height * this.width;
    return new IdxDataset({ shape: [m, this.height, this.width], data: this.images.data.subarray(0, m * px) }, { shape: [m], data: this.labels.data.subarray(0, m) }, this.classes);
  }
}

/**
 * Fashion-MNIST's `train` (60k) or `test` (10k) split from a folder with the four IDX files (`train-images-idx3-ubyte`,
 * …, `.gz` or not); default Debian's {@link DEBIAN_FASHION_MNIST_DIR}.
 */
export function loadFashionMnist(split: 'train' | 'test', dir = DEBIAN_FASHION_MNIST_DIR): IdxDataset {
  const prefix = split === 'train' ? 'train' : 't10k';
  const read = (kind: string): IdxArray => {
    const base = join(dir, `${prefix}-${kind}`);
    for (const path of [`${base}.gz`, base]) {
      let bytes: Uint8Array;
      try {
        bytes = readFileSync(path);
      } catch {
        continue;
      }
      return readIdx(bytes, path);
    }
    throw new DatasetError(`Fashion-MNIST: ${base}(.gz) not found (on Debian: apt-get install dataset-fashion-mnist)`);
  };
  return new IdxDataset(read('images-idx3-ubyte'), read('labels-idx1-ubyte'), FASHION_MNIST_CLASSES);
}
