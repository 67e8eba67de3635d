import { rmSync, writeFileSync, mkdtempSync } from 'node:fs';
import { tmpdir } from 'node:os';
import { join } from 'node:path';
import { pathToFileURL } from 'node:url';
import * as tf from '@tensorflow/tfjs-core';
import { afterAll, beforeAll, describe, expect, it } from 'vitest';
import { resolveDataConfig } from '../../src/data/config.js';
import { createModel } from '../../src/factory/create.js';
import { createNodeTransform } from '../../src/node/index.js';
import { createPool, resolveModuleSpecifier } from '../../src/node/pool.js';
import { setNodeBackend } from '../../src/node/threads.js';
import { writeSafetensors } from '../../src/weights/safetensors.js';
import './pool-model.js';

const fixture = pathToFileURL(join(import.meta.dirname, 'pool-model.ts')).href;
let dir: string;
let checkpoint: string;
let reference: Float32Array[];
const images = Array.from({ length: 6 }, (_, i) => {
  const data = new Float32Array(32 * 32 * 3);
  for (let j = 0; j < data.length; j++) data[j] = Math.sin(j * 0.37 + i * 1.3);
  return { data, shape: [32, 32, 3] };
});

beforeAll(async () => {
  await setNodeBackend({ numThreads: 1 });
  const model = await createModel('pool_test_net');
  // Non-trivial BN stats so the folded path matters.
  const sd = model.stateDict();
  for (const [k, t] of Object.entries(sd)) {
    if (k.endsWith('running_var')) (t.data as Float32Array).fill(1.7);
    if (k.endsWith('running_mean') || k.endsWith('.bias')) (t.data as Float32Array).forEach((_, i, a) => { a[i] = 0.1 * ((i % 3) - 1); });
  }
  dir = mkdtempSync(join(tmpdir(), 'zoo-pool-'));
  checkpoint = join(dir, 'pool_test_net.safetensors');
  writeFileSync(checkpoint, writeSafetensors(sd));
  model.loadStateDict(sd);
  reference = images.map((im) => tf.tidy(() => model.forward(tf.tensor4d(im.data, [1, 32, 32, 3])).dataSync() as Float32Array).slice());
  model.dispose();
});

afterAll(() => {
  if (dir) rmSync(dir, { recursive: true, force: true });
});

describe('createPool', () => {
  it('classifies a batch across workers with the results of one process, in order, and close() ends the workers', async () => {
    const pool = await createPool({ model: 'pool_test_net', options: { checkpointPath: checkpoint }, workers: 2, modules: [fixture], batchSize: 2 });
    try {
      expect(pool.size).toBe(2);
      const out = await pool.run(images);
      expect(out).toHaveLength(images.length);
      out.forEach((r, i) => {
        expect(r.shape).toEqual([5]);
        const ref = reference[i]!;
        for (let j = 0; j < ref.length; j++) expect(r.data[j]).toBeCloseTo(ref[j]!, 4);
      });
      const pre = await pool.run(images.slice(0, 3), { output: 'preLogits' });
      expect(pre.map((r) => r.shape)).toEqual([[16], [16], [16]]);
      const feats = await pool.run(images.slice(0, 1), { output: 'features' });
      expect(feats[0]!.shape).toEqual([8, 8, 16]);
    } finally {
      await pool.close();
    }
    await expect(pool.run(images)).rejects.toThrow(/pool is closed/);
  });

  it('rejects with the worker error when the model cannot be built, and terminates the workers', async () => {
    await expect(createPool({ model: 'no_such_model_xyz', workers: 1, modules: [fixture] })).rejects.toThrow(/pool worker failed to start: .*no_such_model_xyz/);
  });

  it('a failing image rejects its run but leaves the pool usable', async () => {
    const pool = await createPool({ model: 'pool_test_net', options: { checkpointPath: checkpoint }, workers: 1, modules: [fixture] });
    try {
      await expect(pool.run([{ data: new Float32Array(10), shape: [2, 5, 1] }])).rejects.toThrow(/pool worker: .*channels/);
      const [r] = await pool.run(images.slice(0, 1));
      expect(r!.data[0]).toBeCloseTo(reference[0]![0]!, 4);
    } finally {
      await pool.close();
    }
  });

  it('a worker holding several tasks at once answers each, in order, when one of them fails', async () => {
    const pool = await createPool({ model: 'pool_test_net', options: { checkpointPath: checkpoint }, workers: 1, modules: [fixture] });
    try {
      // Posted together: the worker has the bad image and the next ones in its inbox at the same time.
      const bad = pool.run([{ data: new Float32Array(10), shape: [2, 5, 1] }]);
      const good = pool.run(images);
      const again = pool.run(images.slice(0, 2));
      await expect(bad).rejects.toThrow(/pool worker: .*channels/);
      const out = await good;
      expect(out).toHaveLength(images.length);
      out.forEach((r, i) => {
        for (let j = 0; j < 5; j++) expect(r.data[j]).toBeCloseTo(reference[i]![j]!, 4);
      });
      expect((await again).map((r) => r.data[0])).toEqual(out.slice(0, 2).map((r) => r.data[0]));
    } finally {
      await pool.close();
    }
  });
});

describe('createPool with encoded images', () => {
  it('decodes paths and bytes in the worker with the model data config, as createNodeTransform does here', async () => {
    const sharp = (await import('sharp')).default;
    const rgb = new Uint8Array(40 * 48 * 3).map((_, i) => (i * 37) % 256);
    const png = new Uint8Array(await sharp(rgb, { raw: { width: 48, height: 40, channels: 3 } }).png().toBuffer());
    const file = join(dir, 'img.png');
    writeFileSync(file, png);
    const model = await createModel('pool_test_net', { checkpointPath: checkpoint });
    const transform = createNodeTransform(resolveDataConfig({ model }));
    const x = await transform(png);
    const expected = tf.tidy(() => model.forward(x).dataSync() as Float32Array).slice();
    x.dispose();
    model.dispose();
    const pool = await createPool({ model: 'pool_test_net', options: { checkpointPath: checkpoint }, workers: 1, modules: [fixture] });
    try {
      const [fromBytes, fromPath] = await pool.run([png, file]);
      for (const r of [fromBytes!, fromPath!]) for (let j = 0; j < expected.length; j++) expect(r.data[j]).toBeCloseTo(expected[j]!, 4);
    } finally {
      await pool.close();
    }
  });
});

describe('resolveModuleSpecifier', () => {
  it('resolves paths, file URLs and package exports (with the source condition)', () => {
    expect(resolveModuleSpecifier(fixture)).toBe(fixture);
    expect(resolveModuleSpecifier('./pool-model.ts', import.meta.dirname)).toBe(fixture);
    expect(resolveModuleSpecifier('@tensorflow/tfjs-core', import.meta.dirname)).toMatch(/^file:.*tfjs-core\/dist\//);
    expect(() => resolveModuleSpecifier('@zoo/not-a-package', import.meta.dirname)).toThrow(/cannot find package '@zoo\/not-a-package'/);
  });
});
