import { availableParallelism } from 'node:os';
import { Worker } from 'node:worker_threads';
import * as tf from '@tensorflow/tfjs-core';
import { afterAll, describe, expect, it } from 'vitest';
import { nodeBackendInfo, prepareNodeWasm, resolveNumThreads, setNodeBackend } from '../../src/node/threads.js';

function convOnce(): Float32Array {
  return tf.tidy(() => {
    const x = tf.randomUniform([1, 20, 20, 16], -1, 1, 'float32', 1) as tf.Tensor4D;
    const w = tf.randomUniform([3, 3, 16, 32], -1, 1, 'float32', 2) as tf.Tensor4D;
    return tf.fused.conv2d({ x, filter: w, strides: 1, pad: 'same', activation: 'relu' }).dataSync() as Float32Array;
  }).slice();
}

describe('resolveNumThreads', () => {
  it('takes the option, then ZOO_NUM_THREADS, then the machine', () => {
    expect(resolveNumThreads(3, { ZOO_NUM_THREADS: '5' })).toBe(3);
    expect(resolveNumThreads(undefined, { ZOO_NUM_THREADS: '5' })).toBe(5);
    // Main thread, no setting: every core this process may use, at most 8.
    expect(resolveNumThreads(undefined, {})).toBe(Math.min(8, availableParallelism()));
  });

  it('is 1 by default inside a worker thread (workers are the parallelism there)', async () => {
    const threads = new URL('../../src/node/threads.ts', import.meta.url).href;
    const code = `const { isMainThread, parentPort } = require('node:worker_threads');
      import('tsx/esm/api').then((m) => { m.register(); return import(${JSON.stringify(threads)}); })
        .then((t) => parentPort.postMessage({ isMainThread, n: t.defaultNumThreads(), cores: require('node:os').availableParallelism() }));`;
    const w = new Worker(code, { eval: true });
    const msg = await new Promise<{ isMainThread: boolean; n: number; cores: number }>((resolve, reject) => {
      w.once('message', resolve);
      w.once('error', reject);
    });
    await w.terminate();
    expect(msg).toEqual({ isMainThread: false, n: 1, cores: availableParallelism() });
  });

  it('rejects what is not a positive integer, naming it', () => {
    expect(() => resolveNumThreads(0)).toThrow(/numThreads must be a positive integer, got 0/);
    expect(() => resolveNumThreads(1.5)).toThrow(/1\.5/);
    expect(() => resolveNumThreads(undefined, { ZOO_NUM_THREADS: 'many' })).toThrow(/ZOO_NUM_THREADS.*'many'/);
    expect(() => resolveNumThreads(9)).toThrow(/at most 8.*got 9/);
    expect(() => resolveNumThreads(undefined, { ZOO_NUM_THREADS: '16' })).toThrow(/ZOO_NUM_THREADS must be an integer from 1 to 8, got '16'/);
  });
});

describe('threaded wasm in Node', () => {
  afterAll(async () => {
    await prepareNodeWasm({ numThreads: 1 });
  });

  it('runs the threaded SIMD build with the asked thread count, with the results of the single-threaded one', async () => {
    const info = await setNodeBackend({ numThreads: 2 });
    expect(info).toMatchObject({ backend: 'wasm', threaded: true, threads: 2, simd: true });
    const threaded = convOnce();

    const single = await setNodeBackend({ numThreads: 1 });
    expect(single).toMatchObject({ backend: 'wasm', threaded: false, threads: 1 });
    const reference = convOnce();
    expect(threaded.length).toBe(reference.length);
    let maxDiff = 0;
    for (let i = 0; i < reference.length; i++) maxDiff = Math.max(maxDiff, Math.abs(threaded[i]! - reference[i]!));
    expect(maxDiff).toBeLessThan(1e-4);
  });

  it('falls back to the single-threaded build with a one-line notice when threads cannot start', async () => {
    const notices: string[] = [];
    const info = await setNodeBackend({ numThreads: 3, timeoutMs: 1, onNotice: (m) => notices.push(m) });
    expect(info).toMatchObject({ backend: 'wasm', threaded: false, threads: 1 });
    expect(info.fallbackReason).toMatch(/did not start within 1 ms/);
    expect(notices).toHaveLength(1);
    expect(notices[0]).toMatch(/^@zoo\/core: wasm threads unavailable .*single-threaded SIMD build$/);
    expect(notices[0]).not.toContain('\n');
    expect(convOnce().length).toBe(20 * 20 * 32);
    expect(nodeBackendInfo().threaded).toBe(false);
  });
});
