import * as tf from '@tensorflow/tfjs-core';
import { createModel, type StateDict, setBackend, type VisionModel } from '@zoo/core';
import { checkpointFilterFn, RegNet } from '@zoo/regnet';
import { beforeAll, describe, expect, it } from 'vitest';

beforeAll(async () => {
  await setBackend('wasm');
});

const tensor = (shape: number[]) => ({ dtype: 'float32' as const, shape, data: new Float32Array(shape.reduce((a, b) => a * b, 1)) });

describe('RegNet beyond the registered architectures', () => {
  it("maps torchvision's RegNet keys to timm's", () => {
    const sd: StateDict = {
      'stem.0.weight': tensor([32, 3, 3, 3]),
      'stem.1.running_var': tensor([32]),
      'trunk_output.block1.block1-0.proj.0.weight': tensor([24, 32, 1, 1]),
      'trunk_output.block1.block1-0.f.a.1.weight': tensor([24]),
      'trunk_output.block2.block2-1.f.se.fc1.weight': tensor([8, 56, 1, 1]),
      'trunk_output.block2.block2-1.f.c.0.weight': tensor([56, 56, 1, 1]),
      'fc.weight': tensor([1000, 368]),
    };
    expect(Object.keys(checkpointFilterFn(sd))).toEqual([
      'stem.conv.weight', 'stem.bn.running_var', 's1.b1.downsample.conv.weight', 's1.b1.conv1.bn.weight',
      's2.b2.se.fc1.weight', 's2.b2.conv3.conv.weight', 'head.fc.weight',
    ]);
    const timms: StateDict = { 'stem.conv.weight': tensor([32, 3, 3, 3]) };
    expect(checkpointFilterFn(timms)).toBe(timms);
  });

  it('outputStride 16 dilates the last stage instead of striding it', async () => {
    const m = (await createModel('regnetx_002', { outputStride: 16 })) as VisionModel;
    expect(m.featureInfo.map((f) => f.reduction)).toEqual([2, 4, 8, 16, 16]);
    const x = tf.zeros([1, 64, 64, 3]);
    const y = m.forwardFeatures(x);
    expect(y.shape).toEqual([1, 4, 4, 368]);
    tf.dispose([x, y]);
    m.dispose();
  });

  it('pruning for the stem and first stage drops the rest, final conv included', async () => {
    const m = (await createModel('regnetz_005')) as RegNet;
    expect(m.pruneIntermediateLayers([0, 1])).toEqual([0, 1]);
    const keys = Object.keys(m.stateDict());
    expect(keys.some((k) => k.startsWith('s2.') || k.startsWith('final_conv.') || k.startsWith('head.fc'))).toBe(false);
    const x = tf.zeros([1, 32, 32, 3]);
    const maps = m.forwardIntermediates(x, { indices: [0, 1], intermediatesOnly: true });
    expect(maps.map((t) => t.shape)).toEqual([[1, 16, 16, 32], [1, 8, 8, 16]]);
    tf.dispose([x, ...maps]);
    m.dispose();
  });

  it('rejects what timm rejects, naming the option', () => {
    expect(() => new RegNet({ cfg: {}, outputStride: 4 })).toThrow(/outputStride must be 8, 16 or 32, got 4/);
    expect(() => new RegNet({ cfg: { w0: 20 } })).toThrow(/invalid width parameters .*w0=20/);
    expect(() => new RegNet({ cfg: { normLayer: 'layernorm' as never } })).toThrow(/normLayer must be 'batchnorm' or \{ type: 'groupnorm'/);
  });
});
