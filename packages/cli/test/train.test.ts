/** zoo train / zoo validate on a real image folder: PNGs of a Fashion-MNIST slice (3 classes), written to a temp dir. */
import { mkdirSync, mkdtempSync, readFileSync, rmSync } from 'node:fs';
import { tmpdir } from 'node:os';
import { join } from 'node:path';
import { gunzipSync } from 'node:zlib';
import * as tf from '@tensorflow/tfjs-core';
import { createModel, setBackend, type VisionModel } from '@zoo/core';
import sharp from 'sharp';
import { afterAll, beforeAll, describe, expect, it } from 'vitest';
import '@zoo/resnet';
import { FIXTURES, isOneLineError, zoo } from './helpers.js';

const tmp = mkdtempSync(join(tmpdir(), 'zoo-cli-train-'));
const data = join(tmp, 'fashion');
const NAMES: Record<number, string> = { 0: 'tshirt', 1: 'trouser', 7: 'sneaker' };

beforeAll(async () => {
  // 180 images in file order: the first 120 train (40 per class), the last 60 validate (20 per class)
  const images = gunzipSync(readFileSync(join(FIXTURES, 'fmnist-slice-images.gz'))).subarray(16);
  const labels = gunzipSync(readFileSync(join(FIXTURES, 'fmnist-slice-labels.gz'))).subarray(8);
  for (let i = 0; i < labels.length; i++) {
    const dir = join(data, i < 120 ? 'train' : 'validation', NAMES[labels[i]!]!);
    mkdirSync(dir, { recursive: true });
    await sharp(Buffer.from(images.subarray(i * 784, (i + 1) * 784)), { raw: { width: 28, height: 28, channels: 1 } })
      .png()
      .toFile(join(dir, `${i}.png`));
  }
});
afterAll(() => rmSync(tmp, { recursive: true, force: true }));

interface History {
  history: { epoch: number; trainLoss: number; lr: number; val: { loss: number; top1: number; top5: number; count: number } }[];
  best: { epoch: number; top1: number };
  out: string;
}

describe('zoo train', () => {
  it('learns from scratch (loss falls, val top-1 far above chance), writes a checkpoint createModel loads; zoo validate agrees', { timeout: 180_000 }, async () => {
    const out = join(tmp, 'run');
    const r = await zoo([
      'train', 'resnet10t', '--data', data, '--img-size', '32', '--epochs', '2', '--batch-size', '16', '--opt', 'adamw', '--lr', '2e-3',
      '--weight-decay', '0.05', '--scale', '0.7,1', '--color-jitter', '0', '--out', out, '--json',
    ]);
    expect(r.code, r.stderr).toBe(0);
    expect(r.stderr).toMatch(/120 images, 3 classes \(sneaker, trouser, tshirt\); validation 60 images/);
    expect(r.stderr).toMatch(/\] epoch 2\/2 step 7\/7 loss /); // the progress bar's last step
    const h = JSON.parse(r.stdout) as History;
    expect(h.history.map((e) => e.epoch)).toEqual([0, 1]);
    expect(h.history[1]!.trainLoss).toBeLessThan(h.history[0]!.trainLoss * 0.8);
    expect(h.history[1]!.val.count).toBe(60);
    expect(h.best.top1).toBeGreaterThanOrEqual(75); // chance: 33 %

    const model = (await (async () => {
      await setBackend('wasm');
      return createModel(`local-dir:${join(out, 'best')}`, { pretrained: true });
    })()) as VisionModel;
    expect(model.numClasses).toBe(3);
    expect(model.pretrainedCfg.labelNames).toEqual(['sneaker', 'trouser', 'tshirt']);
    const logits = model.forward(tf.zeros([1, 32, 32, 3]));
    expect(logits.shape).toEqual([1, 3]);
    tf.dispose(logits);
    model.dispose();

    const v = await zoo(['validate', `local-dir:${join(out, 'best')}`, '--data', data, '--img-size', '32', '--json']);
    expect(v.code, v.stderr).toBe(0);
    const res = JSON.parse(v.stdout) as { top1: number; top5: number; loss: number; count: number };
    expect(res.count).toBe(60);
    expect(res.top1).toBeCloseTo(h.best.top1, 6);
    expect(res.loss).toBeCloseTo(h.history[h.best.epoch]!.val.loss, 4);
  });

  it('bad usage and bad data folders are one-line errors', async () => {
    const noData = await zoo(['train', 'resnet10t']);
    expect(noData.code).toBe(2);
    expect(noData.stderr).toMatch(/--data <dir> is required/);
    const missing = await zoo(['train', 'resnet10t', '--data', join(tmp, 'nope')]);
    expect(missing.code).toBe(1);
    expect(isOneLineError(missing)).toBe(true);
    expect(missing.stderr).toMatch(/data folder not found: .*nope/);
    mkdirSync(join(tmp, 'empty', 'train', 'a'), { recursive: true });
    const empty = await zoo(['validate', 'resnet10t', '--data', join(tmp, 'empty')]);
    expect(empty.code).toBe(1);
    expect(empty.stderr).toMatch(/no images .* found under .*empty/);
    const badOpt = await zoo(['train', 'resnet10t', '--data', data, '--opt', 'lamb2']);
    expect(badOpt.code).toBe(2);
    expect(badOpt.stderr).toMatch(/--opt must be one of sgd/);
    const bigBatch = await zoo(['train', 'resnet10t', '--data', data, '--batch-size', '500']);
    expect(bigBatch.code).toBe(1);
    expect(bigBatch.stderr).toMatch(/120 images make no full batch of 500/);
  });
});
