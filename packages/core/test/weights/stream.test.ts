import { mkdtempSync, rmSync, truncateSync, writeFileSync } from 'node:fs';
import { tmpdir } from 'node:os';
import { join } from 'node:path';
import * as tf from '@tensorflow/tfjs-core';
import { afterAll, beforeAll, describe, expect, it } from 'vitest';
import { setBackend } from '../../src/backend.js';
import { loadCheckpoint } from '../../src/factory/build.js';
import { Conv2d } from '../../src/layers/conv.js';
import { Linear } from '../../src/layers/linear.js';
import { BatchNorm2d } from '../../src/layers/norm.js';
import { Module, StateDictError, type StateDictStream } from '../../src/module.js';
import { CheckpointError } from '../../src/weights/checkpoint.js';
import { readSafetensors, SafetensorsError, writeSafetensors } from '../../src/weights/safetensors.js';
import { openSafetensorsStream } from '../../src/weights/stream.js';
import type { StateDict } from '../../src/weights/types.js';

/** conv (OIHW → HWIO), depthwise conv, BN with an int64 buffer, linear ([out, in] → [in, out]). */
class Tiny extends Module {
  constructor() {
    super();
    this.addModule('conv', new Conv2d(3, 8, 3));
    this.addModule('bn', new BatchNorm2d(8));
    this.addModule('dw', new Conv2d(8, 8, 3, { groups: 8 }));
    this.addModule('fc', new Linear(8, 5));
  }
}

function randomStateDict(seed: number): StateDict {
  const sd = new Tiny().stateDict();
  let s = seed;
  for (const t of Object.values(sd)) {
    if (t.data instanceof Float32Array) for (let i = 0; i < t.data.length; i++) t.data[i] = ((s = (s * 1103515245 + 12345) % 2 ** 31) / 2 ** 31) - 0.5;
  }
  sd['bn.running_var'] = { ...sd['bn.running_var']!, data: (sd['bn.running_var']!.data as Float32Array).map((v) => v + 1) };
  sd['bn.num_batches_tracked'] = { dtype: 'int64', shape: [], data: BigInt64Array.of(7n) };
  return sd;
}

function expectSameWeights(a: StateDict, b: StateDict): void {
  expect(Object.keys(a).sort()).toEqual(Object.keys(b).sort());
  for (const k of Object.keys(a)) {
    expect(a[k]!.shape, k).toEqual(b[k]!.shape);
    expect(Array.from(a[k]!.data as ArrayLike<number | bigint>, Number), k).toEqual(Array.from(b[k]!.data as ArrayLike<number | bigint>, Number));
  }
}

let dir: string;
beforeAll(async () => {
  await setBackend('wasm');
  dir = mkdtempSync(join(tmpdir(), 'zoo-stream-'));
});
afterAll(() => rmSync(dir, { recursive: true, force: true }));

describe('a safetensors file streamed into a model', () => {
  it('gives the weights loadStateDict gives, whatever the chunk size (entries split across reads)', async () => {
    const sd = randomStateDict(1);
    const file = join(dir, 'tiny.safetensors');
    writeFileSync(file, writeSafetensors(sd));
    const ref = new Tiny();
    ref.loadStateDict(readSafetensors(new Uint8Array(writeSafetensors(sd))).tensors);
    for (const chunkBytes of [1, 7, 100, 4096, undefined]) {
      const m = new Tiny();
      const stream = await openSafetensorsStream(file, { chunkBytes });
      expect(stream).not.toBeNull();
      expect(Object.keys(stream!.entries).sort()).toEqual(Object.keys(sd).sort());
      expect(stream!.entries['conv.weight']).toEqual({ shape: [8, 3, 3, 3], dtype: 'float32' });
      await m.loadStateDictStream(stream!);
      expectSameWeights(m.stateDict(), ref.stateDict());
      expect(m.stateDict()['bn.num_batches_tracked']!.data).toEqual(BigInt64Array.of(7n));
      m.dispose();
    }
    ref.dispose();
  });

  it('loadCheckpoint streams a path: same weights, prefixes cleaned as timm does, no tensor left behind', async () => {
    const sd = randomStateDict(2);
    const prefixed = Object.fromEntries(Object.entries(sd).map(([k, v]) => [`module.${k}`, v]));
    const file = join(dir, 'prefixed.safetensors');
    writeFileSync(file, writeSafetensors(prefixed));
    const m = new Tiny();
    await loadCheckpoint(m, file);
    const ref = new Tiny();
    ref.loadStateDict(sd);
    expectSameWeights(m.stateDict(), ref.stateDict());
    const before = tf.memory().numTensors;
    await loadCheckpoint(m, `file://${file}`);
    expect(tf.memory().numTensors).toBe(before);
    m.dispose();
    ref.dispose();
  });

  it('checks keys and shapes before reading data: a mismatch names the key and both shapes, and loads nothing', async () => {
    const sd = randomStateDict(3);
    sd['fc.weight'] = { dtype: 'float32', shape: [6, 8], data: new Float32Array(48) };
    const file = join(dir, 'mismatch.safetensors');
    writeFileSync(file, writeSafetensors(sd));
    const m = new Tiny();
    const before = m.stateDict();
    const err = await loadCheckpoint(m, file).catch((e) => e);
    expect(err).toBeInstanceOf(StateDictError);
    expect(err.message).toMatch(/fc\.weight: checkpoint \[6, 8\], model \[5, 8\]/);
    expectSameWeights(m.stateDict(), before);
    m.dispose();
  });

  it('a truncated file fails with the same message as reading it whole, before anything is assigned', async () => {
    const file = join(dir, 'truncated.safetensors');
    const bytes = writeSafetensors(randomStateDict(4));
    writeFileSync(file, bytes);
    truncateSync(file, bytes.byteLength - 10);
    const whole = (() => {
      try {
        readSafetensors(bytes.subarray(0, bytes.byteLength - 10), { source: file });
      } catch (e) {
        return e as Error;
      }
    })();
    const m = new Tiny();
    const before = m.stateDict();
    const err = await loadCheckpoint(m, file).catch((e) => e);
    expect(err).toBeInstanceOf(SafetensorsError);
    expect(err.message).toBe(whole!.message);
    expectSameWeights(m.stateDict(), before);
    m.dispose();
  });

  it('a file that is not safetensors is read the other ways (a missing file is named)', async () => {
    const m = new Tiny();
    await expect(loadCheckpoint(m, join(dir, 'nope.safetensors'))).rejects.toThrow(new CheckpointError(`checkpoint file not found: ${join(dir, 'nope.safetensors')}`));
    const junk = join(dir, 'junk.bin');
    writeFileSync(junk, 'this is not a checkpoint at all');
    expect(await openSafetensorsStream(junk)).toBeNull();
    await expect(loadCheckpoint(m, junk)).rejects.toThrow(/not a safetensors file nor a PyTorch checkpoint/);
    m.dispose();
  });

  it('skip leaves keys out (not announced, not read)', async () => {
    const file = join(dir, 'skip.safetensors');
    writeFileSync(file, writeSafetensors(randomStateDict(5)));
    const stream = await openSafetensorsStream(file, { skip: (k) => k.startsWith('fc.') });
    expect(Object.keys(stream!.entries).filter((k) => k.startsWith('fc.'))).toEqual([]);
    const m = new Tiny();
    const fcBefore = m.stateDict()['fc.weight']!;
    const r = await m.loadStateDictStream(stream!, { strict: false });
    expect(r.missingKeys).toEqual(['fc.weight', 'fc.bias']);
    expectSameWeights({ w: m.stateDict()['fc.weight']! }, { w: fcBefore });
    m.dispose();
  });

  it('a read that fails half way frees what it converted and leaves the model as it was', async () => {
    const sd = randomStateDict(6);
    const m = new Tiny();
    m.loadStateDict(randomStateDict(7));
    const before = m.stateDict();
    const tensors = tf.memory().numTensors;
    const stream: StateDictStream = {
      entries: Object.fromEntries(Object.entries(sd).map(([k, t]) => [k, { shape: t.shape, dtype: t.dtype }])),
      source: 'a flaky disk',
      async read(onEntry) {
        const keys = Object.keys(sd);
        for (const k of keys.slice(0, 4)) onEntry(k, sd[k]!);
        throw new Error('EIO: i/o error, read');
      },
    };
    await expect(m.loadStateDictStream(stream)).rejects.toThrow(/EIO/);
    expect(tf.memory().numTensors).toBe(tensors);
    expectSameWeights(m.stateDict(), before);
    m.dispose();
  });

  it('an entry announced but never delivered is an error naming it', async () => {
    const sd = randomStateDict(8);
    const m = new Tiny();
    const stream: StateDictStream = {
      entries: Object.fromEntries(Object.entries(sd).map(([k, t]) => [k, { shape: t.shape, dtype: t.dtype }])),
      source: 'short stream',
      async read(onEntry) {
        for (const k of Object.keys(sd).filter((k) => k !== 'dw.weight')) onEntry(k, sd[k]!);
      },
    };
    await expect(m.loadStateDictStream(stream)).rejects.toThrow("short stream: entry 'dw.weight' was announced but never delivered");
    m.dispose();
  });
});
