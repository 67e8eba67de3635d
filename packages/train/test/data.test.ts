import { mkdirSync, mkdtempSync, readFileSync, rmSync, writeFileSync } from 'node:fs';
import { tmpdir } from 'node:os';
import { join, relative } from 'node:path';
import { gzipSync } from 'node:zlib';
import * as tf from '@tensorflow/tfjs-core';
import { setBackend } from '@zoo/core';
import { decodeImage } from '@zoo/core/node';
import sharp from 'sharp';
import { afterAll, beforeAll, describe, expect, it } from 'vitest';
import { createEvalTransform, DataLoader, ImageListDataset, Rng } from '../src/index.js';
import { DatasetError, findImagesAndTargets, IDX_MAX_BYTES, IdxDataset, ImageFolder, naturalCompare, readIdx, searchSplit } from '../src/node.js';

const fixtures = join(import.meta.dirname, 'fixtures');
const facts = JSON.parse(readFileSync(join(fixtures, 'transforms.json'), 'utf8')) as {
  image_folder: { tree: string[]; samples: [string, number][]; class_to_idx: Record<string, number> };
};
const tmp = mkdtempSync(join(tmpdir(), 'zoo-train-data-'));

beforeAll(async () => {
  expect((await setBackend('wasm')).backend).toBe('wasm');
});
afterAll(() => rmSync(tmp, { recursive: true, force: true }));

describe('ImageFolder', () => {
  it("finds images and classes in timm's order (find_images_and_targets)", () => {
    const root = join(tmp, 'order');
    for (const rel of facts.image_folder.tree) {
      mkdirSync(join(root, rel, '..'), { recursive: true });
      writeFileSync(join(root, rel), '');
    }
    const { samples, classToIdx } = findImagesAndTargets(root);
    expect(classToIdx).toEqual(facts.image_folder.class_to_idx);
    expect(samples.map(([p, t]) => [relative(root, p), t])).toEqual(facts.image_folder.samples);
  });

  it('natural order compares digit runs as numbers, case-insensitively', () => {
    expect(['img10', 'IMG2', 'img1'].sort(naturalCompare)).toEqual(['img1', 'IMG2', 'img10']);
  });

  it('reads real images by index; split folders are found as timm finds them', async () => {
    const root = join(tmp, 'real');
    for (const [cls, color] of [['red', [200, 10, 10]], ['blue', [10, 10, 200]]] as const) {
      mkdirSync(join(root, 'validation', cls), { recursive: true });
      const png = await sharp({ create: { width: 9, height: 7, channels: 3, background: { r: color[0], g: color[1], b: color[2] } } }).png().toBuffer();
      writeFileSync(join(root, 'validation', cls, 'a.png'), png);
    }
    expect(searchSplit(root, 'val')).toBe(join(root, 'validation'));
    expect(searchSplit(root, 'train')).toBe(root);
    const ds = new ImageFolder(searchSplit(root, 'validation'));
    expect(ds.classes).toEqual(['blue', 'red']);
    const s = await ds.get(1);
    expect(s.target).toBe(1);
    expect([s.image.width, s.image.height, s.image.channels]).toEqual([9, 7, 3]);
    expect(Array.from(s.image.data.slice(0, 3))).toEqual([200, 10, 10]);
  });

  it('an empty or missing folder is a DatasetError naming it', () => {
    mkdirSync(join(tmp, 'empty'), { recursive: true });
    expect(() => new ImageFolder(join(tmp, 'empty'))).toThrow(DatasetError);
    expect(() => new ImageFolder(join(tmp, 'empty'))).toThrow(/empty/);
    expect(() => new ImageFolder(join(tmp, 'nope'))).toThrow(/image folder not found: .*nope/);
  });
});

describe('ImageListDataset', () => {
  it('reads raw images and (with a decoder) paths; targets are checked against the classes', async () => {
    const file = join(tmp, 'green.png');
    writeFileSync(file, await sharp({ create: { width: 5, height: 4, channels: 3, background: { r: 10, g: 220, b: 30 } } }).png().toBuffer());
    const raw = { data: new Uint8Array(2 * 3).fill(7), width: 2, height: 1, channels: 3 };
    const ds = new ImageListDataset<unknown>([{ image: raw, target: 1 }, { image: file, target: 0 }], {
      classes: ['green', 'grey'],
      decode: (x) => (typeof x === 'string' ? decodeImage(x) : undefined),
    });
    expect(ds.length).toBe(2);
    expect((await ds.get(0)).image).toMatchObject({ width: 2, height: 1, channels: 3 });
    const s = await ds.get(1);
    expect([s.target, s.image.width, s.image.height, Array.from(s.image.data.slice(0, 3))]).toEqual([0, 5, 4, [10, 220, 30]]);
    expect(() => new ImageListDataset([{ image: raw, target: 2 }], { classes: ['a', 'b'] })).toThrow(/item 0 has target 2; expected an integer from 0 to 1/);
    expect(() => new ImageListDataset([{ image: raw, target: -1 }])).toThrow(DatasetError);
  });
});

describe('IDX files', () => {
  it('reads the Fashion-MNIST slice (gzipped IDX): shapes, labels, pixels', () => {
    const images = readIdx(readFileSync(join(fixtures, 'fmnist-slice-images.gz')));
    const labels = readIdx(readFileSync(join(fixtures, 'fmnist-slice-labels.gz')));
    expect(images.shape).toEqual([180, 28, 28]);
    expect(labels.shape).toEqual([180]);
    const counts = new Map<number, number>();
    for (const y of labels.data) counts.set(y, (counts.get(y) ?? 0) + 1);
    expect([...counts.entries()].sort((a, b) => a[0] - b[0])).toEqual([[0, 60], [1, 60], [7, 60]]);
    const ds = new IdxDataset(images, labels);
    const s = ds.get(3);
    expect([s.image.width, s.image.height, s.image.channels]).toEqual([28, 28, 1]);
    expect(Array.from(s.image.data)).toEqual(Array.from(images.data.subarray(3 * 784, 4 * 784)));
    expect(ds.slice(10).length).toBe(10);
  });

  it('reads uncompressed IDX bytes and rejects bad ones by name', () => {
    const raw = new Uint8Array([0, 0, 8, 2, 0, 0, 0, 2, 0, 0, 0, 3, 1, 2, 3, 4, 5, 6]);
    expect(readIdx(raw)).toEqual({ shape: [2, 3], data: raw.subarray(12) });
    expect(readIdx(gzipSync(raw)).shape).toEqual([2, 3]);
    expect(() => readIdx(raw.subarray(0, 17), 'cut.idx')).toThrow(/cut\.idx: IDX shape \[2, 3\] needs 6 values, the file has 5/);
    expect(() => readIdx(new Uint8Array([1, 2, 3, 4]), 'x')).toThrow(/bad magic/);
    expect(() => readIdx(new Uint8Array([0, 0, 0x0d, 1, 0, 0, 0, 0]), 'f')).toThrow(/type 0xd is not supported/);
  });

  it('refuses a gzip bomb before inflating it: the declared size is checked first, inflation stops at it', () => {
    const header = (dims: number[]) => {
      const h = new Uint8Array(4 + 4 * dims.length);
      h.set([0, 0, 8, dims.length]);
      for (const [i, d] of dims.entries()) new DataView(h.buffer).setUint32(4 + 4 * i, d);
      return h;
    };
    const withBody = (h: Uint8Array, body: number) => {
      const b = new Uint8Array(h.length + body);
      b.set(h);
      return b;
    };
    // 256 MiB of zeros behind a header that declares 6 values: 32 gzip members of 8 MiB each, about 256 KiB in all.
    const member = gzipSync(new Uint8Array(8 << 20));
    const bomb = Buffer.concat([gzipSync(header([2, 3])), ...Array.from({ length: 32 }, () => member)]);
    expect(bomb.length).toBeLessThan(512 << 10);
    const rss0 = process.memoryUsage().rss;
    expect(() => readIdx(bomb, 'bomb.gz')).toThrow(/bomb\.gz: the gzip stream inflates to more than the 18 bytes its IDX header declares/);
    // A header that declares 4 GiB: refused from the header alone (the default limit is 1 GiB).
    const huge = gzipSync(withBody(header([65536, 65536]), 1024));
    expect(() => readIdx(huge, 'huge.gz')).toThrow(/huge\.gz: IDX array of 4294967308 bytes is over the limit of 1073741824 bytes/);
    expect(IDX_MAX_BYTES).toBe(1 << 30);
    // Generous ceiling: neither file was inflated in full.
    expect(process.memoryUsage().rss - rss0).toBeLessThan(24 << 20);
    // An honest file over a caller's limit, gzipped or not.
    const big = withBody(header([1024, 1024]), 1 << 20);
    expect(() => readIdx(gzipSync(big), 'big.gz', { maxBytes: 1 << 19 })).toThrow(/big\.gz: IDX array of 1048588 bytes is over the limit of 524288/);
    expect(() => readIdx(big, 'big', { maxBytes: 1 << 19 })).toThrow(/over the limit of 524288/);
    expect(readIdx(gzipSync(big), 'big.gz').shape).toEqual([1024, 1024]);
    // A cut gzip stream is named, not half-read.
    const cut = gzipSync(big);
    expect(() => readIdx(cut.subarray(0, cut.length - 20), 'cut.gz')).toThrow(/cut\.gz: cannot gunzip/);
  });
});

describe('DataLoader', () => {
  const images = readIdx(readFileSync(join(fixtures, 'fmnist-slice-images.gz')));
  const labels = readIdx(readFileSync(join(fixtures, 'fmnist-slice-labels.gz')));
  const ds = new IdxDataset(images, labels).slice(10);
  const transform = createEvalTransform({ inputSize: [1, 28, 28], mean: [0.5], std: [0.5], cropPct: 1, interpolation: 'bilinear' });

  it('batches with drop_last as timm (train) and without (eval); seeded shuffles differ per epoch and repeat per seed', () => {
    const train = new DataLoader(ds, transform, { batchSize: 4, shuffle: true, dropLast: true, seed: 7 });
    expect(train.length).toBe(2);
    const e0 = train.batchIndices(0);
    expect(e0.map((b) => b.length)).toEqual([4, 4]);
    expect(new Set(e0.flat()).size).toBe(8);
    expect(train.batchIndices(1)).not.toEqual(e0);
    expect(new DataLoader(ds, transform, { batchSize: 4, shuffle: true, dropLast: true, seed: 7 }).batchIndices(0)).toEqual(e0);
    const val = new DataLoader(ds, transform, { batchSize: 4 });
    expect(val.batchIndices(0)).toEqual([[0, 1, 2, 3], [4, 5, 6, 7], [8, 9]]);
  });

  it('yields normalized NHWC batches with int32 labels and leaks no tensors', async () => {
    const val = new DataLoader(ds, transform, { batchSize: 4 });
    const before = tf.memory().numTensors;
    const seen: number[] = [];
    for await (const b of val.epoch(0)) {
      expect(b.x.shape).toEqual([b.size, 28, 28, 1]);
      expect(b.y.dtype).toBe('int32');
      seen.push(...(await b.y.data()));
      const x = await b.x.data();
      // pixel 0 of sample 0: (v / 255 - 0.5) / 0.5
      if (seen.length === 4) expect(x[0]).toBeCloseTo((images.data[0]! / 255 - 0.5) / 0.5, 6);
      b.dispose();
    }
    expect(seen).toEqual(Array.from(labels.data.subarray(0, 10)));
    expect(tf.memory().numTensors).toBe(before);
  });

  it('refuses a batch size larger than the dataset with dropLast', () => {
    expect(() => new DataLoader(ds, transform, { batchSize: 11, dropLast: true })).toThrow(/10 samples make no full batch of 11/);
  });

  it('Rng: same seed words, same stream; uniform bounds and permutations', () => {
    const a = new Rng(1, 2, 3);
    const b = new Rng(1, 2, 3);
    const xs = Array.from({ length: 100 }, () => a.random());
    expect(Array.from({ length: 100 }, () => b.random())).toEqual(xs);
    expect(xs.every((x) => x >= 0 && x < 1)).toBe(true);
    expect(new Rng(1, 2, 4).random()).not.toBe(xs[0]);
    expect(new Rng(5).permutation(20).sort((p, q) => p - q)).toEqual(Array.from({ length: 20 }, (_, i) => i));
  });
});
