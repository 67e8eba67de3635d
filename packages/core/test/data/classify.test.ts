/** classify(): the model's own data config, softmax + top-k with names, one result per image, no tensor left behind. */
import { join } from 'node:path';
import * as tf from '@tensorflow/tfjs-core';
import '@tensorflow/tfjs-backend-wasm';
import { beforeAll, describe, expect, it } from 'vitest';
import type { PretrainedCfg } from '../../src/config/pretrained.js';
import { classify, classLabels, createTransform, IMAGENET_1K_LABELS, type RawImage } from '../../src/data/index.js';
import { createNodeTransform } from '../../src/node/index.js';
import { FIXTURES } from './helpers.js';

beforeAll(async () => {
  await tf.setBackend('wasm');
  await tf.ready();
});

/** A stand-in classifier: mean RGB → a fixed linear map to `numClasses` logits; records the input shapes it saw. */
class FakeModel {
  seen: number[][] = [];
  readonly w: tf.Tensor2D;
  constructor(
    public numClasses: number,
    public pretrainedCfg: PretrainedCfg = {},
  ) {
    const vals = new Float32Array(3 * numClasses).map((_, i) => Math.sin(i * 12.9898) * 4);
    this.w = tf.tensor2d(vals, [3, numClasses]);
  }
  forward(x: tf.Tensor): tf.Tensor {
    this.seen.push(x.shape);
    return tf.tidy(() => tf.matMul(tf.mean(x, [1, 2]) as tf.Tensor2D, this.w));
  }
  dispose() {
    this.w.dispose();
  }
}

function solid(r: number, g: number, b: number, w = 40, h = 30): RawImage {
  const data = new Uint8Array(w * h * 3);
  for (let i = 0; i < w * h; i++) data.set([r, g, b], i * 3);
  return { data, width: w, height: h, channels: 3 };
}

describe('classify', () => {
  it('gives the top 5 ImageNet classes per image, softmax-sorted, using the model data config', async () => {
    const model = new FakeModel(1000, { inputSize: [3, 32, 48], mean: [0.5, 0.5, 0.5], std: [0.5, 0.5, 0.5] });
    const before = tf.memory().numTensors;
    const res = await classify(model, [solid(255, 0, 0), solid(0, 0, 255)]);
    expect(tf.memory().numTensors).toBe(before);
    expect(model.seen).toEqual([[2, 32, 48, 3]]);
    expect(res).toHaveLength(2);
    for (const top of res) {
      expect(top).toHaveLength(5);
      for (let i = 1; i < top.length; i++) expect(top[i - 1]!.probability).toBeGreaterThanOrEqual(top[i]!.probability);
      for (const p of top) {
        expect(p.label).toBe(IMAGENET_1K_LABELS[p.index]);
        expect(p.probability).toBeGreaterThan(0);
        expect(p.probability).toBeLessThanOrEqual(1);
      }
    }
    expect(res[0]![0]!.index).not.toBe(res[1]![0]!.index);
    model.dispose();
  });

  it('matches a softmax computed by hand', async () => {
    const model = new FakeModel(7);
    const img = solid(10, 200, 90);
    const transform = createTransform({ inputSize: [3, 16, 16] });
    const x = await transform(img);
    const logits = model.forward(x);
    const expected = Array.from(await tf.softmax(logits).data());
    tf.dispose([x, logits]);
    const [top] = await classify(model, img, { topK: 7, transform });
    expect(top!.map((p) => p.label)).toEqual(top!.map((p) => `class_${p.index}`));
    const order = expected.map((p, i) => [p, i] as const).sort((a, b) => b[0] - a[0]);
    expect(top!.map((p) => p.index)).toEqual(order.map(([, i]) => i));
    for (const p of top!) expect(p.probability).toBeCloseTo(expected[p.index]!, 6);
    expect(top!.reduce((s, p) => s + p.probability, 0)).toBeCloseTo(1, 5);
    model.dispose();
  });

  it('caps topK at the class count and rejects bad options', async () => {
    const model = new FakeModel(3, { inputSize: [3, 8, 8] });
    const [top] = await classify(model, solid(1, 2, 3), { topK: 10 });
    expect(top).toHaveLength(3);
    await expect(classify(model, solid(1, 2, 3), { topK: 0 })).rejects.toThrow(/topK/);
    const headless = new FakeModel(0);
    await expect(classify(headless, solid(1, 2, 3))).rejects.toThrow(/no classifier/);
    headless.dispose();
    model.dispose();
  });

  it('names classes from labelNames / labelDescriptions, ImageNet, or class_<i>', () => {
    expect(classLabels(new FakeModel(3, { labelNames: ['cat', 'dog', 'eel'] }))).toEqual(['cat', 'dog', 'eel']);
    expect(classLabels(new FakeModel(2, { labelNames: ['n1', 'n2'], labelDescriptions: { n1: 'one' } }))).toEqual(['one', 'n2']);
    expect(classLabels(new FakeModel(1000)).slice(0, 2)).toEqual(IMAGENET_1K_LABELS.slice(0, 2));
    const l1001 = classLabels(new FakeModel(1001, { labelOffset: 1 }));
    expect(l1001[0]).toBe('background');
    expect(l1001[282]).toBe(IMAGENET_1K_LABELS[281]);
    expect(classLabels(new FakeModel(2))).toEqual(['class_0', 'class_1']);
  });

  it('takes explicit labels', async () => {
    const model = new FakeModel(2, { inputSize: [3, 8, 8] });
    const [top] = await classify(model, solid(9, 9, 9), { labels: ['yes', 'no'] });
    expect(new Set(top!.map((p) => p.label))).toEqual(new Set(['yes', 'no']));
    model.dispose();
  });

  it('takes file paths through the Node transform, in batches, leaving no tensor', async () => {
    const model = new FakeModel(1000, { inputSize: [3, 24, 24] });
    const transform = createNodeTransform({ inputSize: [3, 24, 24] });
    const paths = ['chelsea.png', 'camera.png', 'chelsea.png'].map((f) => join(FIXTURES, f));
    const before = tf.memory().numTensors;
    const res = await classify(model, paths, { transform, topK: 3, batchSize: 2 });
    expect(tf.memory().numTensors).toBe(before);
    expect(model.seen).toEqual([
      [2, 24, 24, 3],
      [1, 24, 24, 3],
    ]);
    expect(res).toHaveLength(3);
    expect(res[2]).toEqual(res[0]);
    await expect(classify(model, [join(FIXTURES, 'nope.png')], { transform })).rejects.toThrow();
    expect(tf.memory().numTensors).toBe(before);
    model.dispose();
  });
});
