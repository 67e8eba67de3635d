import * as tf from '@tensorflow/tfjs-core';
import { createModel, type StateDict } from '@zoo/core';
import { setNodeBackend } from '@zoo/core/node';
import '@zoo/resnet';
import '@zoo/efficientnet';
import '@zoo/vit';
import { describe, expect, it } from 'vitest';
import { barChartSvg } from '../src/chart.js';
import { buildRawEfficientNet } from '../src/raw-efficientnet.js';
import { buildRawResNet } from '../src/raw-resnet.js';
import { buildRawVit } from '../src/raw-vit.js';

describe('raw fused reference', () => {
  it('computes what the model computes (resnet26, same weights)', async () => {
    await setNodeBackend({ numThreads: 1, onNotice: null });
    const model = await createModel('resnet26', { numClasses: 10 });
    const sd = model.stateDict();
    for (const [k, t] of Object.entries(sd)) if (k.endsWith('running_var')) (t.data as Float32Array).fill(2);
    model.loadStateDict(sd);
    const raw = buildRawResNet(sd, [2, 2, 2, 2]);
    const x = tf.randomUniform([1, 64, 64, 3], -1, 1, 'float32', 3) as tf.Tensor4D;
    const a = model.forward(x);
    const b = raw.forward(x);
    expect(b.shape).toEqual([1, 10]);
    const diff = tf.max(tf.abs(tf.sub(a, b))).dataSync()[0]!;
    const scale = tf.max(tf.abs(a)).dataSync()[0]!;
    expect(diff).toBeLessThan(1e-4 * Math.max(1, scale));
    tf.dispose([a, b, x]);
    raw.dispose();
    model.dispose();
  });
});

/** The model's own weights with BN statistics and biases that are not the init defaults, so every term counts. */
async function perturbed(name: string, numClasses: number) {
  const model = await createModel(name, { numClasses });
  const sd = model.stateDict();
  for (const [k, t] of Object.entries(sd)) {
    if (!(t.data instanceof Float32Array)) continue;
    if (k.endsWith('running_var')) t.data.forEach((_, i, a) => { a[i] = 1.5 + Math.cos(i); });
    else if (k.endsWith('running_mean') || k.endsWith('bias')) t.data.forEach((_, i, a) => { a[i] = 0.1 * Math.sin(i + k.length); });
  }
  model.loadStateDict(sd);
  return { model, sd };
}

function expectSameLogits(a: tf.Tensor, b: tf.Tensor, classes: number) {
  expect(b.shape).toEqual([1, classes]);
  const diff = tf.max(tf.abs(tf.sub(a, b))).dataSync()[0]!;
  const scale = tf.max(tf.abs(a)).dataSync()[0]!;
  expect(scale).toBeGreaterThan(0);
  expect(diff).toBeLessThan(1e-4 * Math.max(1, scale));
}

describe('raw references of the other flagships', () => {
  const cases = [
    { name: 'efficientnet_b0', size: 96, build: (sd: StateDict) => buildRawEfficientNet(sd) },
    { name: 'vit_tiny_patch16_224', size: 224, build: (sd: StateDict) => buildRawVit(sd, 3) },
  ];
  for (const c of cases) {
    it(`${c.name}: computes what the model computes`, async () => {
      await setNodeBackend({ numThreads: 1, onNotice: null });
      const { model, sd } = await perturbed(c.name, 10);
      const raw = c.build(sd);
      const x = tf.randomUniform([1, c.size, c.size, 3], -1, 1, 'float32', 4) as tf.Tensor4D;
      const a = model.forward(x);
      const b = raw.forward(x);
      expectSameLogits(a, b, 10);
      tf.dispose([a, b, x]);
      raw.dispose();
      model.dispose();
    });
  }
});

describe('chart', () => {
  it('draws one labelled bar per value, escaping text', () => {
    const svg = barChartSvg('t <1>', [{ name: 'resnet50', bars: [{ label: 'ours', value: 100 }, { label: 'raw & co', value: 50 }] }], 'ms', 'note');
    expect(svg.startsWith('<svg')).toBe(true);
    expect(svg.match(/<rect /g)).toHaveLength(3);
    expect(svg).toContain('100.0 ms');
    expect(svg).toContain('raw &amp; co');
    expect(svg).toContain('t &lt;1&gt;');
  });
});
