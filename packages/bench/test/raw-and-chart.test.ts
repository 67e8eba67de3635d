import * as tf from '@tensorflow/tfjs-core';
import { createModel } from '@zoo/core';
import { setNodeBackend } from '@zoo/core/node';
import '@zoo/resnet';
import { describe, expect, it } from 'vitest';
import { barChartSvg } from '../src/chart.js';
import { buildRawResNet } from '../src/raw-resnet.js';

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
