import { readFileSync } from 'node:fs';
import { join } from 'node:path';
import * as tf from '@tensorflow/tfjs-core';
import '@tensorflow/tfjs-backend-wasm';
import { beforeAll, describe, expect, it } from 'vitest';
import { createTransform, resizeCropImage } from '../../src/data/index.js';
import { createNodeTransform, decodeImage } from '../../src/node/index.js';
import { b64bytes, diffStats, FIXTURES, fromTimmDataConfig, readJson } from './helpers.js';

const fx = readJson('preprocess.json');

beforeAll(async () => {
  await tf.setBackend('wasm');
  await tf.ready();
});

/** mean and mean |x| of an NHWC tensor (one image) */
async function summary(t: tf.Tensor): Promise<{ mean: number; meanAbs: number }> {
  const d = await t.data();
  let s = 0;
  let a = 0;
  for (let i = 0; i < d.length; i++) {
    s += d[i]!;
    a += Math.abs(d[i]!);
  }
  return { mean: s / d.length, meanAbs: a / d.length };
}

describe('timm parity on photos (preprocess.json)', () => {
  for (const c of fx.cases) {
    const isJpeg = c.image.endsWith('.jpg');
    const name = `${c.image} ${c.model} ${JSON.stringify(c.overrides)}`;
    it(name, async () => {
      const t = createNodeTransform(fromTimmDataConfig(c.data_config));
      const path = join(FIXTURES, c.image);
      const crop = await t.resizeCrop(path);
      const ref = b64bytes(c.crop_hwc_uint8_b64);
      expect([crop.height, crop.width, crop.channels]).toEqual(c.crop_shape_hwc);
      const { max, mean } = diffStats(crop.data, ref);
      if (isJpeg) expect(mean).toBeLessThanOrEqual(1.0);
      else expect(max).toBeLessThanOrEqual(1);

      const before = tf.memory().numTensors;
      const x = await t(path);
      expect(x.shape).toEqual([1, c.crop_shape_hwc[0], c.crop_shape_hwc[1], 3]);
      expect(x.dtype).toBe('float32');
      const s = await summary(x);
      x.dispose();
      expect(tf.memory().numTensors).toBe(before);
      const tol = isJpeg ? 2e-2 : 1e-5;
      expect(Math.abs(s.mean - c.final_chw.mean)).toBeLessThanOrEqual(tol);
      expect(Math.abs(s.meanAbs - c.final_chw.mean_abs)).toBeLessThanOrEqual(tol);
    });
  }

  it('decodes encoded bytes like the file path, and gray PNG stays 1 channel until RGB conversion', async () => {
    const bytes = new Uint8Array(readFileSync(join(FIXTURES, 'camera.png')));
    const a = await decodeImage(bytes);
    const b = await decodeImage(join(FIXTURES, 'camera.png'));
    expect([a.width, a.height, a.channels]).toEqual([512, 512, 1]);
    expect(diffStats(a.data, b.data).max).toBe(0);
    const c = fx.cases.find((k: any) => k.image === 'camera.png' && k.model === 'resnet18.tv_in1k');
    const crop = resizeCropImage(a, fromTimmDataConfig(c.data_config));
    expect(diffStats(crop.data, b64bytes(c.crop_hwc_uint8_b64)).max).toBeLessThanOrEqual(1);
  });

  it('ignores the embedded ICC profile as PIL does (chelsea.png)', async () => {
    const img = await decodeImage(join(FIXTURES, 'chelsea.png'));
    expect([img.width, img.height, img.channels]).toEqual([451, 300, 3]);
  });
});

describe('batches and memory', () => {
  const cfg = fromTimmDataConfig(fx.cases[0].data_config);

  it('stacks a batch of images in order, [n, H, W, 3]', async () => {
    const t = createNodeTransform(cfg);
    const paths = ['chelsea.png', 'coffee.png', 'camera.png'].map((f) => join(FIXTURES, f));
    const before = tf.memory().numTensors;
    const batch = await t(paths);
    expect(batch.shape).toEqual([3, 224, 224, 3]);
    const singles = await Promise.all(paths.map((p) => t(p)));
    for (let i = 0; i < 3; i++) {
      const row = tf.slice(batch, [i, 0, 0, 0], [1, 224, 224, 3]);
      expect(diffStats(await row.data(), await singles[i]!.data()).max).toBe(0);
      row.dispose();
    }
    batch.dispose();
    for (const s of singles) s.dispose();
    expect(tf.memory().numTensors).toBe(before);
  });

  it('mixes raw images, bytes and paths in one batch', async () => {
    const t = createNodeTransform(cfg);
    const raw = await decodeImage(join(FIXTURES, 'coffee.png'));
    const bytes = new Uint8Array(readFileSync(join(FIXTURES, 'coffee.png')));
    const blob = new Blob([bytes]);
    const before = tf.memory().numTensors;
    const x = await t([raw, bytes, join(FIXTURES, 'coffee.png'), blob]);
    expect(x.shape).toEqual([4, 224, 224, 3]);
    const d = await x.data();
    const per = 224 * 224 * 3;
    for (let i = 1; i < 4; i++) expect(diffStats(d.subarray(0, per), d.subarray(i * per, (i + 1) * per)).max).toBe(0);
    x.dispose();
    expect(tf.memory().numTensors).toBe(before);
  });

  it('the browser-safe createTransform takes raw images and [a, b] gives [2, H, W, 3]', async () => {
    const t = createTransform(cfg);
    const a = await decodeImage(join(FIXTURES, 'chelsea.png'));
    const b = await decodeImage(join(FIXTURES, 'camera.png'));
    const before = tf.memory().numTensors;
    const x = await t([a, b]);
    expect(x.shape).toEqual([2, 224, 224, 3]);
    x.dispose();
    expect(tf.memory().numTensors).toBe(before);
    await expect(t('not-a-raw-image' as never)).rejects.toThrow(/unsupported image input/);
    expect(tf.memory().numTensors).toBe(before);
  });
});
