import { join } from 'node:path';
import * as tf from '@tensorflow/tfjs-core';
import { setBackend } from '@zoo/core';
import { fixtureInput, toTorchLayout } from '@zoo/parity';
import { beforeAll, describe, expect, it } from 'vitest';
import '@zoo/resnet';
import '@zoo/efficientnet';
import '@zoo/vit';
import '@zoo/convnext';
import { exportOnnx, onnxModel } from '../src/index.js';
import { compareAll, fixture, fixtureInputNchw, fixtureModel, fixtureRecords, onnxCheck } from './helpers.js';

const dir = join(import.meta.dirname, 'fixtures');

beforeAll(async () => {
  expect((await setBackend('wasm')).backend).toBe('wasm');
});

describe('exported flagships on onnxruntime-node match timm at the fixture bar', () => {
  for (const id of ['resnet50', 'efficientnet_b0', 'vit_small_patch16_224', 'convnext_tiny', 'resnet50_features_1_3']) {
    it(id, async () => {
      const f = fixture(dir, id);
      const model = await fixtureModel(f);
      const bytes = await exportOnnx(model);
      model.dispose();
      const engine = await onnxModel(bytes, { threads: 1 });
      const out = await engine.run({ input0: fixtureInputNchw(f) }, f.input.shape);
      const names = engine.outputNames;
      expect(names).toEqual(fixtureRecords(f).map((_, i) => `output${i}`));
      const results = compareAll(
        names.map((n) => ({ dims: engine.outputDims[n]!, data: out[n]! })),
        fixtureRecords(f),
      );
      for (const r of results) expect(r.ok, r.message).toBe(true);
      console.log(`${id}: ${results.map((r) => r.message).join('; ')}`);
      await engine.dispose();
      expect(onnxCheck({ [id]: bytes })).toContain('ok');
    });
  }
});

describe('the engine keeps model.forward conventions', () => {
  it('forward takes and gives NHWC tensors; feature models give the list of maps', async () => {
    const f = fixture(dir, 'resnet50_features_1_3');
    const model = await fixtureModel(f);
    const x = fixtureInput(f);
    const engine = await onnxModel(model);
    const maps = (await engine.forward(x)) as tf.Tensor[];
    const ref = model.forward(x) as tf.Tensor[];
    expect(maps.map((m) => m.shape)).toEqual(ref.map((m) => m.shape));
    const results = compareAll(
      maps.map((m) => {
        const t = toTorchLayout(m);
        return { dims: t.shape, data: t.data };
      }),
      fixtureRecords(f),
    );
    for (const r of results) expect(r.ok, r.message).toBe(true);
    tf.dispose([x, ...maps, ...ref]);
    await engine.dispose();
    model.dispose();
    await expect(engine.forward(tf.zeros([1, 8, 8, 3]))).rejects.toThrow(/disposed/);
  });
});
