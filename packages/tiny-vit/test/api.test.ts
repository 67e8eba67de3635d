import * as tf from '@tensorflow/tfjs-core';
import { createModel } from '@zoo/core';
import type { TinyVit } from '@zoo/tiny-vit';
import { describe, expect, it } from 'vitest';
import '@zoo/tiny-vit';

describe('TinyViT intermediates as timm', () => {
  it('stopEarly runs only up to the last taken stage and gives the same maps; prune keeps those stages and drops the head', async () => {
    const m = (await createModel('tiny_vit_5m_224', { numClasses: 10 })) as TinyVit;
    const x = tf.randomUniform([1, 64, 64, 3], -1, 1, 'float32', 3);
    const all = m.forwardIntermediates(x, { intermediatesOnly: true });
    const early = m.forwardIntermediates(x, { indices: [0, 1], stopEarly: true });
    expect(all.map((t) => t.shape)).toEqual([[1, 16, 16, 64], [1, 8, 8, 128], [1, 4, 4, 160], [1, 2, 2, 320]]);
    expect(early.final.shape).toEqual([1, 8, 8, 128]); // the last stage run is stage 1
    for (const i of [0, 1]) expect(tf.max(tf.abs(tf.sub(early.intermediates[i]!, all[i]!))).dataSync()[0]).toBe(0);
    expect(m.pruneIntermediateLayers([1])).toEqual([1]);
    expect(Object.keys(m.stateDict()).some((k) => k.startsWith('stages.2') || k.startsWith('head.fc'))).toBe(false);
    const after = m.forwardIntermediates(x, { indices: [1], intermediatesOnly: true });
    expect(tf.max(tf.abs(tf.sub(after[0]!, all[1]!))).dataSync()[0]).toBe(0);
    tf.dispose([x, ...all, early.final, ...early.intermediates, ...after]);
    m.dispose();
  });
});
