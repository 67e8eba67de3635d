import * as tf from '@tensorflow/tfjs-core';
import { describe, expect, it } from 'vitest';
import { setBackend, wasmThreadsAvailable } from '../src/backend.js';

describe('setBackend (Node)', () => {
  it("'auto' is wasm in Node, with SIMD, and says why", async () => {
    const info = await setBackend('auto');
    expect(info.backend).toBe('wasm');
    expect(tf.getBackend()).toBe('wasm');
    expect(info.simd).toBe(true);
    expect(info.threads).toBeGreaterThanOrEqual(1);
    expect(info.reason).toMatch(/^auto: wasm \(Node default\)/);
  });

  it('a named backend reports "requested"', async () => {
    const info = await setBackend('cpu');
    expect(info).toMatchObject({ backend: 'cpu', threads: 1, simd: false });
    expect(info.reason).toMatch(/^requested cpu/);
    expect((await setBackend('wasm')).backend).toBe('wasm');
  });

  it('uses a loader given for a backend', async () => {
    let called = 0;
    const info = await setBackend('cpu', {
      loaders: {
        cpu: async () => {
          called++;
          await import('@tensorflow/tfjs-backend-cpu');
        },
      },
    });
    expect(called).toBe(1);
    expect(info.backend).toBe('cpu');
    await setBackend('wasm');
  });

  it('fails loudly for a backend that cannot start here, and keeps the current one', async () => {
    await setBackend('wasm');
    await expect(setBackend('webgpu')).rejects.toThrow(/no backend could be started: webgpu/);
    await expect(setBackend('webgl')).rejects.toThrow(/no backend could be started: webgl/);
    expect(tf.getBackend()).toBe('wasm');
  });

  it('rejects bad names and thread counts', async () => {
    await expect(setBackend('tpu' as never)).rejects.toThrow(RangeError);
    await expect(setBackend('wasm', { numThreads: 0 })).rejects.toThrow(/numThreads must be a positive integer/);
    await expect(setBackend('wasm', { numThreads: 1.5 })).rejects.toThrow(RangeError);
  });

  it('wasm runs ZOO_NUM_THREADS threads in Node (1 under the test config), and says so', async () => {
    expect(process.env.ZOO_NUM_THREADS).toBe('1');
    const info = await setBackend('wasm');
    expect(info.threads).toBe(1);
    expect(info.reason).toMatch(/single-threaded SIMD build \(1 thread asked for/);
    // tfjs' own loader cannot run threads in Node; core starts the threaded build itself.
    expect(wasmThreadsAvailable().ok).toBe(false);
  });

  it('a forward on the chosen backend works', async () => {
    await setBackend('wasm');
    const y = tf.tidy(() => tf.sum(tf.mul(tf.ones([4]), 2)));
    expect(await y.data()).toEqual(new Float32Array([8]));
    y.dispose();
  });
});

describe('setBackend after setNodeBackend (threaded wasm in Node)', () => {
  it('reports the threads XNNPACK runs with', async () => {
    const { setNodeBackend } = await import('../src/node/threads.js');
    const node = await setNodeBackend({ numThreads: 2, onNotice: null });
    const info = await setBackend('wasm');
    expect(info.backend).toBe('wasm');
    expect(info.threads).toBe(node.threads);
    expect(node.threads).toBe(2);
    expect(info.reason).toMatch(new RegExp(`${node.threads} XNNPACK threads`));
  });
});
