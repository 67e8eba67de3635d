/**
 * createModel checks option values before building, and forwardIntermediates hands back tensors the caller owns
 * (a final output that is also the last intermediate stays readable). Uses core's own tiny test family.
 */
import * as tf from '@tensorflow/tfjs-core';
import { beforeAll, describe, expect, it } from 'vitest';
import { setBackend } from '../../src/backend.js';
import { createModel } from '../../src/factory/create.js';
import { ModelOptionError } from '../../src/factory/options.js';
import './tiny-family.js';

beforeAll(async () => {
  await setBackend('wasm');
});

async function optionError(name: string, options: Record<string, unknown>): Promise<ModelOptionError> {
  const before = tf.memory().numTensors;
  const e = await createModel(name, options).then(
    (m) => {
      m.dispose();
      return undefined;
    },
    (err) => err,
  );
  expect(e, JSON.stringify(options)).toBeInstanceOf(ModelOptionError);
  expect(tf.memory().numTensors).toBe(before); // nothing was built
  return e as ModelOptionError;
}

describe('option values', () => {
  const bad: [Record<string, unknown>, string, RegExp][] = [
    [{ numClasses: -1 }, 'numClasses', /option 'numClasses' is -1; allowed: an integer ≥ 0/],
    [{ numClasses: 1.5 }, 'numClasses', /integer ≥ 0/],
    [{ numClasses: Number.NaN }, 'numClasses', /is NaN/],
    [{ numClasses: '10' }, 'numClasses', /the string "10"/],
    [{ numClasses: 1e20 }, 'numClasses', /integer ≥ 0/],
    [{ inChans: 0 }, 'inChans', /integer ≥ 1/],
    [{ inChans: -3 }, 'inChans', /integer ≥ 1/],
    [{ imgSize: 0 }, 'imgSize', /integers from 1 to 16384/],
    [{ imgSize: 1e6 }, 'imgSize', /integers from 1 to 16384/],
    [{ imgSize: [32, 32.5] }, 'imgSize', /pair/],
    [{ featuresOnly: true, outIndices: [1.5] }, 'outIndices', /list of integer level indices/],
    [{ featuresOnly: true, outIndices: 0 }, 'outIndices', /integer n ≥ 1/],
    [{ dropRate: 1 }, 'dropRate', /a number in \[0, 1\)/],
    [{ dropRate: -0.1 }, 'dropRate', /\[0, 1\)/],
    [{ featuresOnly: 'yes' }, 'featuresOnly', /true or false/],
  ];
  for (const [options, option, message] of bad) {
    it(`${JSON.stringify(options)} names '${option}' and what is allowed, before building`, async () => {
      const e = await optionError('core_tiny_net', options);
      expect(e.option).toBe(option);
      expect(e.message).toMatch(message);
      expect(e.message).toContain('core_tiny_net');
    });
  }

  it('out-of-range outIndices are a RangeError naming the levels', async () => {
    await expect(createModel('core_tiny_net', { featuresOnly: true, outIndices: [0, 5] })).rejects.toThrow(/out index 5 is out of range: the model has 2 feature levels/);
  });

  it('valid values build (numClasses 0, drop rate 0, a pair imgSize, negative out index)', async () => {
    const m = await createModel('core_tiny_net', { numClasses: 0, dropRate: 0, imgSize: [32, 16] });
    expect(m.numClasses).toBe(0);
    m.dispose();
    const f = await createModel('core_tiny_net', { featuresOnly: true, outIndices: [-1] });
    f.dispose();
  });
});

describe('forwardIntermediates ownership', () => {
  it('intermediatesOnly: the last map (also the final output) is readable; each tensor is separately owned', async () => {
    const m = await createModel('core_tiny_net');
    const x = tf.randomNormal([1, 32, 32, 3]);
    tf.dispose(m.forwardIntermediates(x, { intermediatesOnly: true })); // warm-up: folded BN weights are cached
    const before = tf.memory().numTensors;
    const only = m.forwardIntermediates(x, { intermediatesOnly: true });
    expect(only.map((t) => t.shape)).toEqual([
      [1, 16, 16, 4],
      [1, 8, 8, 8],
    ]);
    for (const t of only) expect(t.dataSync().length).toBeGreaterThan(0);
    tf.dispose(only);
    const { final, intermediates } = m.forwardIntermediates(x);
    expect(final).not.toBe(intermediates[1]);
    final.dispose();
    expect(Array.from(intermediates[1]!.dataSync()).length).toBe(512);
    tf.dispose(intermediates);
    expect(tf.memory().numTensors).toBe(before);
    x.dispose();
    m.dispose();
  });
});

describe('config.json', () => {
  it('a non-JSON config.json is an error naming the file', async () => {
    const { mkdtempSync, writeFileSync, rmSync } = await import('node:fs');
    const { tmpdir } = await import('node:os');
    const { join } = await import('node:path');
    const dir = mkdtempSync(join(tmpdir(), 'zoo-cfg-'));
    try {
      writeFileSync(join(dir, 'config.json'), '{"architecture": "core_tiny_net",');
      await expect(createModel(`local-dir:${dir}`)).rejects.toThrow(`${join(dir, 'config.json')}: config.json is not valid JSON`);
      writeFileSync(join(dir, 'config.json'), '[1, 2]');
      await expect(createModel(`local-dir:${dir}`)).rejects.toThrow(/config\.json must hold a JSON object/);
    } finally {
      rmSync(dir, { recursive: true, force: true });
    }
  });
});
