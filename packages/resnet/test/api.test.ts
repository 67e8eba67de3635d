import { mkdtempSync, readFileSync, rmSync, writeFileSync } from 'node:fs';
import { tmpdir } from 'node:os';
import { join } from 'node:path';
import * as tf from '@tensorflow/tfjs-core';
import { createModel, parseModelName, StateDictError, type VisionModel, writeSafetensors } from '@zoo/core';
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

  it('makes 1000 predictions without growing the tensor count', async () => {
    const model = await createModel('test_resnet');
    const x = tf.randomUniform([1, 32, 32, 3]);
    tf.dispose(model.forward(x));
    const before = tf.memory().numTensors;
    for (let i = 0; i < 1000; i++) {
      const y = model.forward(x);
      if (i % 250 === 0) expect(y.shape).toEqual([1, 1000]);
      y.dispose();
    }
    expect(tf.memory().numTensors).toBe(before);
    x.dispose();
    model.dispose();
  });

  it('suggests close names for an unknown model', async () => {
    await expect(createModel('resnet5')).rejects.toThrow(/Unknown model 'resnet5'\. Did you mean: resnet50/);
    await expect(createModel('resnet50.not_a_tag')).rejects.toThrow(/Invalid pretrained tag 'not_a_tag' for resnet50/);
  });

  it('names an option the model does not take', async () => {
    await expect(createModel('resnet18', { notAnOption: 3 })).rejects.toThrow(/resnet18 \(ResNet\) does not take option 'notAnOption'/);
  });

  it('parses model names like timm', () => {
    expect(parseModelName('resnet50.a1_in1k')).toEqual([null, 'resnet50.a1_in1k']);
    expect(parseModelName('hf-hub:timm/resnet50.a1_in1k')).toEqual(['hf-hub', 'timm/resnet50.a1_in1k']);
    expect(parseModelName('hf_hub:timm/x')).toEqual(['hf-hub', 'timm/x']);
    expect(parseModelName('local-dir:/tmp/m')).toEqual(['local-dir', '/tmp/m']);
    expect(() => parseModelName('timm/resnet50')).toThrow(/Use 'hf-hub:timm\/resnet50'/);
    expect(() => parseModelName('s3:bucket/x')).toThrow(/Unknown model source 's3'/);
    expect(() => parseModelName('hf-hub:')).toThrow(/has no model id/);
  });

  it('reports shape mismatches with the key and both shapes, and loads nothing', async () => {
    const model = await createModel('resnet18');
    const sd = fixtureStateDict(fixture('resnet18'));
    const before = model.getSubmodule('conv1').getParam('weight')!.toTorch().data.slice(0, 4);
    sd['fc.weight'] = { dtype: 'float32', shape: [10, 512], data: new Float32Array(5120) };
    expect(() => model.loadStateDict(sd)).toThrow(StateDictError);
    expect(() => model.loadStateDict(sd)).toThrow(/fc\.weight: checkpoint \[10, 512\], model \[1000, 512\]/);
    expect(model.getSubmodule('conv1').getParam('weight')!.toTorch().data.slice(0, 4)).toEqual(before);
    delete sd['fc.weight'];
    expect(() => model.loadStateDict(sd)).toThrow(/missing key\(s\):\n  fc\.weight/);
    expect(model.loadStateDict(sd, { strict: false }).missingKeys).toEqual(['fc.weight']);
    model.dispose();
  });

  it('refuses truncated weights with a clear error', async () => {
    const dir = mkdtempSync(join(tmpdir(), 'zoo-bad-'));
    const bytes = writeSafetensors(fixtureStateDict(fixture('resnet18')));
    const path = join(dir, 'truncated.safetensors');
    writeFileSync(path, bytes.subarray(0, bytes.length - 1000));
    await expect(createModel('resnet18', { checkpointPath: path })).rejects.toThrow(/truncated/);
    await expect(createModel('resnet18', { checkpointPath: join(dir, 'missing.safetensors') })).rejects.toThrow(/not found/);
    rmSync(dir, { recursive: true, force: true });
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

  it('round-trips a state dict exactly through stateDict()', async () => {
    const f = fixture('resnet18');
    const src = fixtureStateDict(f);
    const model = await createModel('resnet18');
    model.loadStateDict(src, { strict: false });
    const back = model.stateDict();
    for (const [k, t] of Object.entries(src)) {
      const a = back[k]!.data as Float32Array;
      const b = t.data as Float32Array;
      let same = a.length === b.length;
      for (let i = 0; same && i < a.length; i++) same = a[i] === b[i];
      expect(same, k).toBe(true);
    }
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

  it('says what is wrong with a bad input', async () => {
    const model = await createModel('resnet18');
    expect(() => model.forward(tf.zeros([1, 3, 32, 32]))).toThrow(/3 channels|looks like NCHW|channels in the last axis/);
    expect(() => model.forward(tf.zeros([3, 32, 32]))).toThrow(/must be NHWC/);
    model.dispose();
  });
});
