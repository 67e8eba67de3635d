/**
 * IDX files (the MNIST / Fashion-MNIST format: big-endian magic, dimensions, then the values), gzipped or not, and
 * Fashion-MNIST as a {@link Dataset}.
 */
import { readFileSync } from 'node:fs';
import { join } from 'node:path';
import { constants, gunzipSync } from 'node:zlib';
import { type Dataset, DatasetError, type Sample } from './dataset.js';

/** An IDX array of unsigned bytes (the only type MNIST-like sets use). */
export interface IdxArray {
  shape: number[];
  data: Uint8Array;
}

/** The most bytes {@link readIdx} will hold by default: 1 GiB, twenty times Fashion-MNIST's training images. */
export const IDX_MAX_BYTES = 1 << 30;

export interface ReadIdxOptions {
  /** The largest IDX array (header included) accepted, gzipped or not; default {@link IDX_MAX_BYTES}. */
  maxBytes?: number;
}

/** The IDX header: the shape, where the values start, and how many there are. */
function idxHeader(b: Uint8Array, what: string): { shape: number[]; start: number; n: number } {
  if (b.length < 4 || b[0] !== 0 || b[1] !== 0) throw new DatasetError(`${what}: not an IDX file (bad magic)`);
  if (b[2] !== 0x08) throw new DatasetError(`${what}: IDX type 0x${b[2]!.toString(16)} is not supported (only unsigned bytes, 0x08)`);
  const rank = b[3]!;
  if (b.length < 4 + 4 * rank) throw new DatasetError(`${what}: truncated IDX header`);
  const view = new DataView(b.buffer, b.byteOffset, b.byteLength);
  const shape = Array.from({ length: rank }, (_, i) => view.getUint32(4 + 4 * i));
  return { shape, start: 4 + 4 * rank, n: shape.reduce((a, s) => a * s, 1) };
}

function gunzipError(what: string, e: unknown): DatasetError {
  return new DatasetError(`${what}: cannot gunzip (${e instanceof Error ? e.message : String(e)})`);
}

/**
 * Parses IDX bytes (gunzipped first when they start with gzip's magic). Only the unsigned-byte type (0x08).
 *
 * A gzipped file is read in two steps so that a small hostile file cannot cost gigabytes: the header comes from a
 * short prefix first; a declared size over `maxBytes` is refused there, and the full inflation stops at the
 * declared size (a stream that inflates to more is refused).
 */
export function readIdx(bytes: Uint8Array, what = 'IDX data', options: ReadIdxOptions = {}): IdxArray {
  const maxBytes = options.maxBytes ?? IDX_MAX_BYTES;
  const tooBig = (size: number) =>
    new DatasetError(`${what}: IDX array of ${size} bytes is over the limit of ${maxBytes} bytes (options.maxBytes)`);
  let b = bytes;
  if (b[0] === 0x1f && b[1] === 0x8b) {
    // The header is at most 4 + 4·255 bytes; 2 KiB of compressed input inflates to at most ~2 MiB.
    let head: Uint8Array;
    try {
      head = new Uint8Array(gunzipSync(b.subarray(0, 2048), { finishFlush: constants.Z_SYNC_FLUSH, maxOutputLength: 4 << 20 }));
    } catch (e) {
      throw gunzipError(what, e);
    }
    const { start, n } = idxHeader(head, what);
    if (start + n > maxBytes) throw tooBig(start + n);
    try {
      b = new Uint8Array(gunzipSync(b, { maxOutputLength: start + n + 1 }));
    } catch (e) {
      if ((e as { code?: string }).code === 'ERR_BUFFER_TOO_LARGE') {
        throw new DatasetError(`${what}: the gzip stream inflates to more than the ${start + n} bytes its IDX header declares`);
      }
      throw gunzipError(what, e);
    }
  }
  const { shape, start, n } = idxHeader(b, what);
  if (start + n > maxBytes) throw tooBig(start + n);
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
