import { spawnSync } from 'node:child_process';
import { mkdtempSync, rmSync, writeFileSync } from 'node:fs';
import { availableParallelism, tmpdir } from 'node:os';
import { join } from 'node:path';
import * as tf from '@tensorflow/tfjs-core';
import { expect, it } from 'vitest';
import { setBackend } from '../src/index.js';

it("setBackend('wasm', { numThreads: 2 }) in Node runs the threaded SIMD build with 2 XNNPACK threads", async () => {
  const info = await setBackend('wasm', { numThreads: 2 });
  expect(info).toMatchObject({ backend: 'wasm', threads: 2, simd: true });
  const y = tf.conv2d(tf.ones([1, 32, 32, 8]) as tf.Tensor4D, tf.ones([3, 3, 8, 8]) as tf.Tensor4D, 1, 'same');
  expect(y.dataSync()[5 * 32 * 8 + 5 * 8]).toBe(72);
  y.dispose();
});

it("with no setting, setBackend('wasm') in Node runs one XNNPACK thread per core (a fresh process, no ZOO_NUM_THREADS)", () => {
  const index = new URL('../src/index.ts', import.meta.url).href;
  const code = `const { setBackend } = await import(${JSON.stringify(index)}); const i = await setBackend('wasm'); console.log('INFO ' + JSON.stringify(i));`;
  const env = { ...process.env };
  delete env.ZOO_NUM_THREADS;
  // A script file, not -e: the pthread workers inherit execArgv, where --input-type is refused.
  const dir = mkdtempSync(join(tmpdir(), 'zoo-threads-'));
  const script = join(dir, 'default-threads.mjs');
  writeFileSync(script, code);
  const r = spawnSync(process.execPath, ['--conditions=@zoo/source', '--import', 'tsx', script], { env, encoding: 'utf8', timeout: 100_000 });
  rmSync(dir, { recursive: true, force: true });
  const line = r.stdout.split('\n').find((l) => l.startsWith('INFO '));
  expect(line, r.stderr).toBeDefined();
  const info = JSON.parse(line!.slice(5)) as { backend: string; threads: number; reason: string };
  expect(info.backend).toBe('wasm');
  expect(info.threads).toBe(Math.min(8, availableParallelism()));
  expect(r.status).toBe(0);
});
