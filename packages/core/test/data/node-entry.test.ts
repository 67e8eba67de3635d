/** The Node entry (`node` export condition): classify and createTransform take file paths and encoded bytes. */
import { readFileSync } from 'node:fs';
import { join } from 'node:path';
import * as tf from '@tensorflow/tfjs-core';
import '@tensorflow/tfjs-backend-wasm';
import { beforeAll, describe, expect, it } from 'vitest';
import * as browserEntry from '../../src/index.js';
import * as nodeEntry from '../../src/index.node.js';
import { decodeImage } from '../../src/node/index.js';
import { FIXTURES } from './helpers.js';

beforeAll(async () => {
  await tf.setBackend('wasm');
  await tf.ready();
});

/** Mean RGB → a fixed linear map: enough to tell images apart. */
class MeanModel {
  readonly w = tf.tensor2d(new Float32Array(3 * 1000).map((_, i) => Math.sin(i * 12.9898) * 4), [3, 1000]);
  numClasses = 1000;
  pretrainedCfg = { inputSize: [3, 32, 32] as [number, number, number] };
  forward(x: tf.Tensor): tf.Tensor {
    return tf.tidy(() => tf.matMul(tf.mean(x, [1, 2]) as tf.Tensor2D, this.w));
  }
}

describe('@zoo/core under the node condition', () => {
  const png = join(FIXTURES, 'chelsea.png');

  it('classify(model, path) and classify(model, bytes) match the browser entry fed the decoded image', async () => {
    const model = new MeanModel();
    const before = tf.memory().numTensors;
    const [byPath] = await nodeEntry.classify(model, png, { topK: 3 });
    const [byBytes] = await nodeEntry.classify(model, readFileSync(png), { topK: 3 });
    const raw = await decodeImage(png);
    const [byRaw] = await browserEntry.classify(model, raw, { topK: 3 });
    expect(byPath).toHaveLength(3);
    expect(byPath).toEqual(byRaw);
    expect(byBytes).toEqual(byRaw);
    expect(tf.memory().numTensors).toBe(before);
    model.w.dispose();
  });

  it('createTransform takes a path, giving the tensor the browser transform gives for the decoded pixels', async () => {
    const a = await nodeEntry.createTransform({ inputSize: [3, 24, 24] })(png);
    const b = await browserEntry.createTransform({ inputSize: [3, 24, 24] })(await decodeImage(png));
    expect(a.shape).toEqual([1, 24, 24, 3]);
    expect(Array.from(await a.data())).toEqual(Array.from(await b.data()));
    tf.dispose([a, b]);
  });

  it('the browser entry refuses a path with a message that names the way out', async () => {
    await expect(browserEntry.classify(new MeanModel(), png)).rejects.toThrow(/unsupported image input \(the string '.*chelsea\.png'\).*node entry.*sharp/);
  });

  it('re-exports the whole browser entry, replacing only classify and createTransform', () => {
    const replaced = Object.keys(browserEntry).filter((k) => (browserEntry as Record<string, unknown>)[k] !== (nodeEntry as Record<string, unknown>)[k]);
    expect(replaced.sort()).toEqual(['classify', 'createTransform']);
  });
});
