import * as tf from '@tensorflow/tfjs-core';
import { createModel, setBackend, type VisionModel } from '@zoo/core';
import { DLA } from '@zoo/dla';
import { beforeAll, describe, expect, it } from 'vitest';

beforeAll(async () => {
  await setBackend('wasm');
});

describe('DLA beyond the registered architectures', () => {
  it('has a 1×1 conv classifier: flattened after a pool, a class map without one', async () => {
    const m = (await createModel('dla46_c', { numClasses: 5 })) as VisionModel;
    expect(m.stateDict()['fc.weight']!.shape).toEqual([5, 256, 1, 1]);
    const x = tf.zeros([2, 64, 64, 3]);
    const logits = m.forward(x);
    expect(logits.shape).toEqual([2, 5]);
    m.resetClassifier(3, '');
    const map = m.forward(x);
    expect(map.shape).toEqual([2, 2, 2, 3]);
    expect(m.getClassifier()).toBe(m.getChild('fc'));
    tf.dispose([x, logits, map]);
    m.dispose();
  });

  it('rejects what timm rejects, naming the option', () => {
    const levels = [1, 1, 1, 2, 2, 1];
    const channels = [16, 32, 64, 128, 256, 512];
    expect(() => new DLA({ levels, channels, outputStride: 16 })).toThrow(/outputStride must be 32, got 16/);
    expect(() => new DLA({ levels: [1, 1], channels })).toThrow(/levels and channels must each list six values/);
    expect(() => new DLA({ levels, channels, block: 'wide' as never })).toThrow(/block must be 'basic', 'bottleneck' or 'bottle2neck', got 'wide'/);
  });
});
