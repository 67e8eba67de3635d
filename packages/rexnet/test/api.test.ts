import * as tf from '@tensorflow/tfjs-core';
import { createModel, setBackend } from '@zoo/core';
import { RexNet } from '@zoo/rexnet';
import { beforeAll, describe, expect, it } from 'vitest';

beforeAll(async () => {
  await setBackend('wasm');
});

describe('ReXNet beyond the registered architectures', () => {
  it('forwardIntermediates gives the features_only maps; pruning keeps the blocks up to the last level taken', async () => {
    const m = (await createModel('rexnet_100')) as RexNet;
    const f = await createModel('rexnet_100', { featuresOnly: true, pretrained: true, pretrainedCfgOverlay: { stateDict: m.stateDict() } });
    const x = tf.randomUniform([1, 64, 64, 3], -1, 1, 'float32', 3);
    const maps = m.forwardIntermediates(x, { intermediatesOnly: true });
    const feats = f.forward(x) as tf.Tensor[];
    expect(maps.map((t) => t.shape)).toEqual(feats.map((t) => t.shape));
    const diffs = maps.map((t, i) => tf.tidy(() => tf.max(tf.abs(tf.sub(t, feats[i]!))).dataSync()[0]!));
    expect(Math.max(...diffs)).toBeLessThan(1e-5);
    expect(m.pruneIntermediateLayers([1])).toEqual([1]);
    // features.2 is the second level: blocks 0–2 stay, the rest (final 1×1 conv included) and the classifier go.
    expect(m.features.length).toBe(3);
    expect(Object.keys(m.stateDict()).some((k) => k.startsWith('head.fc'))).toBe(false);
    const [only] = m.forwardIntermediates(x, { indices: [1], intermediatesOnly: true });
    expect(only!.shape).toEqual(feats[1]!.shape);
    tf.dispose([x, ...maps, ...feats, only!]);
    m.dispose();
    f.dispose();
  });

  it('rejects an output stride timm rejects', () => {
    expect(() => new RexNet({ outputStride: 4 })).toThrow(/outputStride must be 8, 16 or 32, got 4/);
  });
});
