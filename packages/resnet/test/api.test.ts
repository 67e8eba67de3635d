import { readFileSync } from 'node:fs';
import { join } from 'node:path';
import * as tf from '@tensorflow/tfjs-core';
import { createModel, readCheckpoint, type VisionModel } from '@zoo/core';
import { fixtureStateDict, type ParityFixture } from '@zoo/parity';
import { beforeAll, describe, expect, it } from 'vitest';
import '@zoo/resnet';

const fixture = (id: string) => JSON.parse(readFileSync(join(import.meta.dirname, 'fixtures', `${id}.json`), 'utf8')) as ParityFixture;

beforeAll(async () => {
  const { setBackend } = await import('@zoo/core');
  await setBackend('wasm');
});

describe('createModel and the model interface', () => {
  it('builds the walkthrough example: logits and features', async () => {
    const model = await createModel('resnet34');
    const x = tf.zeros([2, 224, 224, 3]);
    const logits = model.forward(x);
    expect(logits.shape).toEqual([2, 1000]);
    const fx = await createModel('resnet34', { featuresOnly: true, outIndices: [2, 3, 4] });
    const maps = fx.forward(x) as tf.Tensor[];
    expect(maps.map((m) => m.shape)).toEqual([[2, 28, 28, 128], [2, 14, 14, 256], [2, 7, 7, 512]]);
    expect(fx.featureInfo.channels()).toEqual([128, 256, 512]);
    expect(fx.featureInfo.reduction()).toEqual([8, 16, 32]);
    tf.dispose([x, logits, ...maps]);
    model.dispose();
    fx.dispose();
  });

  it('state dict keys and shapes are timm\'s', async () => {
    const f = fixture('resnet50');
    const model = await createModel('resnet50');
    const sd = model.stateDict();
    const floatKeys = Object.keys(sd).filter((k) => !k.endsWith('num_batches_tracked'));
    expect(floatKeys).toEqual(f.weights.tensors.map((t) => t[0]));
    for (const [k, shape] of f.weights.tensors) expect(sd[k]!.shape, k).toEqual(shape);
    expect(sd['bn1.num_batches_tracked']!.dtype).toBe('int64');
    model.dispose();
  });

  it('resets the classifier and pools as timm does', async () => {
    const model = (await createModel('resnet18', { numClasses: 5, globalPool: 'catavgmax' })) as VisionModel;
    const x = tf.ones([2, 64, 64, 3]);
    expect(model.forward(x).shape).toEqual([2, 5]);
    expect(model.forwardHead(model.forwardFeatures(x), { preLogits: true }).shape).toEqual([2, 1024]);
    model.resetClassifier(0);
    expect(model.forward(x).shape).toEqual([2, 512]);
    model.resetClassifier(0, '');
    expect(model.forward(x).shape).toEqual([2, 2, 2, 512]);
    model.resetClassifier(3, 'max');
    expect(model.forward(x).shape).toEqual([2, 3]);
    expect(model.getClassifier().getParam('weight')!.shape).toEqual([3, 512]);
    x.dispose();
    model.dispose();
  });

  it('forwardIntermediates agrees with features and forwardFeatures', async () => {
    const model = await createModel('resnet18');
    const x = tf.randomUniform([1, 96, 96, 3]);
    const { final, intermediates } = model.forwardIntermediates(x, { indices: [1, -1] });
    const feats = model.forwardFeatures(x);
    expect(intermediates.map((t) => t.shape)).toEqual([[1, 24, 24, 64], [1, 3, 3, 512]]);
    expect(tf.max(tf.abs(tf.sub(final, feats))).dataSync()[0]).toBeLessThan(1e-5);
    const only = model.forwardIntermediates(x, { indices: 2, intermediatesOnly: true, stopEarly: true });
    expect(only.map((t) => t.shape)).toEqual([[1, 6, 6, 256], [1, 3, 3, 512]]);
    expect(() => model.forwardIntermediates(x, { indices: [7] })).toThrow(/out of range/);
    model.dispose();
  });

  it('dict features are keyed by out index; hook features capture the named modules', async () => {
    const x = tf.randomUniform([1, 64, 64, 3]);
    const list = await createModel('resnet18', { featuresOnly: true, outIndices: [1, 3] });
    const dict = await createModel('resnet18', { featuresOnly: true, outIndices: [1, 3], featureCls: 'dict' });
    const hook = await createModel('resnet18', { featuresOnly: true, outIndices: 2, featureCls: 'hook' });
    const sd = fixtureStateDict(fixture('resnet18'));
    const base = (await createModel('resnet18')) as VisionModel;
    base.loadStateDict(sd);
    // Load the same weights into each through the full-model keys.
    for (const fm of [list, dict]) fm.loadStateDict(Object.fromEntries(Object.entries(base.stateDict()).filter(([k]) => fm.stateDict()[k])), { strict: false });
    expect(Object.keys(dict.forward(x))).toEqual(['1', '3']);
    expect(list.forward(x).map((t: tf.Tensor) => t.shape)).toEqual([[1, 16, 16, 64], [1, 4, 4, 256]]);
    expect(hook.forward(x).map((t: tf.Tensor) => t.shape)).toEqual([[1, 4, 4, 256], [1, 2, 2, 512]]);
    expect(hook.featureInfo.moduleName()).toEqual(['layer3', 'layer4']);
    await expect(createModel('resnet18', { featuresOnly: true, outIndices: [5] })).rejects.toThrow(/out index 5 is out of range/);
    for (const m of [list, dict, hook, base]) m.dispose();
    x.dispose();
  });

  it('loads a checkpoint written by torch.save (test_resnet.pth) strictly, keeping every tensor exactly', async () => {
    // test_resnet.pth: weights written by torch.save (fixtures/make_pth.py), small enough to commit.
    const path = join(import.meta.dirname, 'fixtures', 'test_resnet.pth');
    const sd = await readCheckpoint(new Uint8Array(readFileSync(path)), path);
    const model = await createModel('test_resnet', { checkpointPath: path });
    const back = model.stateDict();
    expect(Object.keys(back)).toEqual(Object.keys(sd));
    for (const [k, t] of Object.entries(sd)) expect(Array.from(back[k]!.data as ArrayLike<number | bigint>).map(Number), k).toEqual(Array.from(t.data as ArrayLike<number | bigint>).map(Number));
    model.dispose();
  });
});
