/**
 * createModel and the model interface, on core's tiny test family (test/factory/tiny-family.ts) with weights and
 * logits written by PyTorch (test/fixtures/tiny/make_tiny.py): names, options, state dicts, heads, intermediates,
 * the three feature wrappers and feature hooks on fused modules.
 */
import { mkdtempSync, readFileSync, rmSync, writeFileSync } from 'node:fs';
import { tmpdir } from 'node:os';
import { join } from 'node:path';
import * as tf from '@tensorflow/tfjs-core';
import { afterAll, beforeAll, describe, expect, it } from 'vitest';
import { setBackend } from '../../src/backend.js';
import { createModel, parseModelName } from '../../src/factory/create.js';
import type { FeatureModel } from '../../src/features/wrappers.js';
import type { VisionModel } from '../../src/model.js';
import { hasForwardHooks, installHook, StateDictError } from '../../src/module.js';
import { readTorchCheckpoint } from '../../src/weights/pickle.js';
import { writeSafetensors } from '../../src/weights/safetensors.js';
import type { StateDict } from '../../src/weights/types.js';
import '../factory/tiny-family.js';

const FIXTURES = join(import.meta.dirname, '..', 'fixtures', 'tiny');
const PTH = join(FIXTURES, 'tiny_net.pth');
const ref = JSON.parse(readFileSync(join(FIXTURES, 'tiny_net.json'), 'utf8')) as { input: number[]; input_shape: number[]; logits: number[] };

let sd: StateDict;
let x: tf.Tensor4D;
const dirs: string[] = [];
const tmp = () => {
  const d = mkdtempSync(join(tmpdir(), 'zoo-api-'));
  dirs.push(d);
  return d;
};

beforeAll(async () => {
  await setBackend('wasm');
  sd = readTorchCheckpoint(new Uint8Array(readFileSync(PTH)));
  // NCHW as PyTorch wrote it → NHWC.
  x = tf.tidy(() => tf.transpose(tf.tensor4d(ref.input, ref.input_shape as [number, number, number, number]), [0, 2, 3, 1])) as tf.Tensor4D;
});

afterAll(() => {
  x?.dispose();
  for (const d of dirs) rmSync(d, { recursive: true, force: true });
});

function maxAbs(a: tf.Tensor, b: tf.Tensor | number[]): number {
  const da = a.dataSync();
  const db = Array.isArray(b) ? b : Array.from(b.dataSync());
  expect(da.length).toBe(db.length);
  let m = 0;
  for (let i = 0; i < da.length; i++) m = Math.max(m, Math.abs(da[i]! - db[i]!));
  return m;
}

async function loaded(options: Record<string, unknown> = {}): Promise<VisionModel> {
  return (await createModel('core_tiny_net', { checkpointPath: PTH, ...options })) as VisionModel;
}

describe('createModel and the model interface', () => {
  it("loads PyTorch's weights (torch.save .pth) and gives PyTorch's logits", async () => {
    const model = await loaded();
    const y = model.forward(x);
    expect(y.shape).toEqual([2, 5]);
    expect(maxAbs(y, ref.logits)).toBeLessThan(1e-5);
    y.dispose();
    model.dispose();
  });

  it('makes 1000 predictions without growing the tensor count', async () => {
    const model = await loaded();
    tf.dispose(model.forward(x));
    const before = tf.memory().numTensors;
    for (let i = 0; i < 1000; i++) tf.dispose(model.forward(x));
    expect(tf.memory().numTensors).toBe(before);
    model.dispose();
  });

  it('suggests close names for an unknown model and names a bad tag', async () => {
    await expect(createModel('core_tiny_nett')).rejects.toThrow(/Unknown model 'core_tiny_nett'\. Did you mean: core_tiny_net/);
    await expect(createModel('core_tiny_net.not_a_tag')).rejects.toThrow(/Invalid pretrained tag 'not_a_tag' for core_tiny_net/);
  });

  it('names an option the model does not take', async () => {
    await expect(createModel('core_tiny_net', { notAnOption: 3 })).rejects.toThrow(/core_tiny_net \(TinyNet\) does not take option 'notAnOption'/);
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
    const model = await loaded();
    const before = Array.from(model.getSubmodule('conv0').getParam('weight')!.toTorch().data.slice(0, 4) as Float32Array);
    const bad: StateDict = { ...sd, 'fc.weight': { dtype: 'float32', shape: [10, 8], data: new Float32Array(80) } };
    expect(() => model.loadStateDict(bad)).toThrow(StateDictError);
    expect(() => model.loadStateDict(bad)).toThrow(/fc\.weight: checkpoint \[10, 8\], model \[5, 8\]/);
    expect(Array.from(model.getSubmodule('conv0').getParam('weight')!.toTorch().data.slice(0, 4) as Float32Array)).toEqual(before);
    const missing = { ...sd };
    delete missing['fc.weight'];
    expect(() => model.loadStateDict(missing)).toThrow(/missing key\(s\):\n  fc\.weight/);
    expect(model.loadStateDict(missing, { strict: false }).missingKeys).toEqual(['fc.weight']);
    model.dispose();
  });

  it('refuses truncated and missing weight files with a clear error', async () => {
    const dir = tmp();
    const bytes = writeSafetensors(sd);
    const path = join(dir, 'truncated.safetensors');
    writeFileSync(path, bytes.subarray(0, bytes.length - 100));
    await expect(createModel('core_tiny_net', { checkpointPath: path })).rejects.toThrow(/truncated/);
    await expect(createModel('core_tiny_net', { checkpointPath: join(dir, 'missing.safetensors') })).rejects.toThrow(/not found/);
  });

  it("round-trips a state dict exactly through stateDict(), in PyTorch's key order and dtypes", async () => {
    const model = await loaded();
    const back = model.stateDict();
    expect(Object.keys(back)).toEqual(Object.keys(sd));
    for (const [k, t] of Object.entries(sd)) {
      expect(back[k]!.shape, k).toEqual(t.shape);
      expect(back[k]!.dtype, k).toBe(t.dtype);
      expect(Array.from(back[k]!.data as ArrayLike<number | bigint>).map(Number), k).toEqual(Array.from(t.data as ArrayLike<number | bigint>).map(Number));
    }
    expect(back['bn0.num_batches_tracked']!.dtype).toBe('int64');
    model.dispose();
  });

  it('resets the classifier and pools as timm does', async () => {
    const model = (await createModel('core_tiny_net', { numClasses: 3, globalPool: 'catavgmax' })) as VisionModel;
    const ones = tf.ones([2, 32, 32, 3]);
    expect(model.forward(ones).shape).toEqual([2, 3]);
    expect(model.forwardHead(model.forwardFeatures(ones), { preLogits: true }).shape).toEqual([2, 16]);
    model.resetClassifier(0);
    expect(model.forward(ones).shape).toEqual([2, 8]);
    model.resetClassifier(0, '');
    expect(model.forward(ones).shape).toEqual([2, 8, 8, 8]);
    model.resetClassifier(4, 'max');
    expect(model.forward(ones).shape).toEqual([2, 4]);
    expect(model.getClassifier().getParam('weight')!.shape).toEqual([4, 8]);
    ones.dispose();
    model.dispose();
  });

  it('forwardIntermediates agrees with forwardFeatures; bad indices are named', async () => {
    const model = await loaded();
    const { final, intermediates } = model.forwardIntermediates(x, { indices: [0, -1] });
    const feats = model.forwardFeatures(x);
    expect(intermediates.map((t) => t.shape)).toEqual([[2, 16, 16, 4], [2, 8, 8, 8]]);
    expect(maxAbs(final, feats)).toBe(0);
    expect(() => model.forwardIntermediates(x, { indices: [7] })).toThrow(/out of range/);
    tf.dispose([final, ...intermediates, feats]);
    model.dispose();
  });

  it('list, dict and hook feature wrappers return the same maps as forwardIntermediates', async () => {
    const base = await loaded();
    const want = base.forwardIntermediates(x, { indices: [0, 1], intermediatesOnly: true });
    // As in timm, a checkpoint for the whole model does not load strictly into a feature wrapper (no head).
    await expect(loaded({ featuresOnly: true })).rejects.toThrow(/unexpected key\(s\):\n  fc\.weight/);
    const list = await createModel('core_tiny_net', { featuresOnly: true });
    const dict = await createModel('core_tiny_net', { featuresOnly: true, featureCls: 'dict', outIndices: [1] });
    const hook = await createModel('core_tiny_net', { featuresOnly: true, featureCls: 'hook' });
    for (const fm of [list, dict] as FeatureModel[]) expect(fm.loadStateDict(sd, { strict: false }).unexpectedKeys).toEqual(['fc.weight', 'fc.bias']);
    // timm's FeatureHookNet keeps the whole model as `body`.
    const bodySd = Object.fromEntries(Object.entries(sd).map(([k, v]) => [`body.${k}`, v]));
    expect(hook.loadStateDict(bodySd, { strict: false }).unexpectedKeys).toEqual(['body.fc.weight', 'body.fc.bias']);
    const fromList = list.forward(x) as tf.Tensor[];
    const fromDict = dict.forward(x) as unknown as Record<string, tf.Tensor>;
    const fromHook = hook.forward(x) as tf.Tensor[];
    expect(Object.keys(fromDict)).toEqual(['1']);
    expect(hook.featureInfo.moduleName()).toEqual(['bn0', 'bn1']);
    for (let i = 0; i < 2; i++) {
      expect(maxAbs(fromList[i]!, want[i]!)).toBeLessThan(1e-6);
      expect(maxAbs(fromHook[i]!, want[i]!)).toBeLessThan(1e-6);
    }
    expect(maxAbs(fromDict['1']!, want[1]!)).toBeLessThan(1e-6);
    await expect(createModel('core_tiny_net', { featuresOnly: true, outIndices: [5] })).rejects.toThrow(/out index 5 is out of range/);
    tf.dispose([...want, ...fromList, ...Object.values(fromDict), ...fromHook]);
    for (const m of [base, list, dict, hook]) m.dispose();
  });

  it('says what is wrong with a bad input', async () => {
    const model = await createModel('core_tiny_net');
    expect(() => model.forward(tf.zeros([1, 3, 32, 32]))).toThrow(/3 channels|looks like NCHW|channels in the last axis/);
    expect(() => model.forward(tf.zeros([3, 32, 32]))).toThrow(/must be NHWC/);
    model.dispose();
  });
});

describe('feature hooks on fused modules', () => {
  it('a hook on a BatchNorm folded into its conv fires with the norm output (act included), and the output is unchanged', async () => {
    const model = await loaded();
    const plain = model.forward(x);
    const bn0 = model.getSubmodule('bn0');
    const conv1 = model.getSubmodule('conv1');
    const seen: tf.Tensor[] = [];
    const pre: tf.Tensor[] = [];
    const removers = [installHook(bn0, 'forward', (t) => seen.push(tf.keep(t.clone()))), installHook(conv1, 'forward_pre', (t) => pre.push(tf.keep(t.clone())))];
    expect(hasForwardHooks(bn0)).toBe(true);
    const hooked = tf.tidy(() => model.forward(x));
    expect(seen).toHaveLength(1);
    expect(pre).toHaveLength(1);
    // bn0's output (after its ReLU) is conv1's input.
    expect(seen[0]!.shape).toEqual([2, 16, 16, 4]);
    expect(maxAbs(seen[0]!, pre[0]!)).toBe(0);
    expect(maxAbs(hooked, plain)).toBeLessThan(1e-5);
    for (const r of removers) r();
    expect(hasForwardHooks(bn0)).toBe(false);
    tf.dispose(model.forward(x));
    expect(seen).toHaveLength(1);
    tf.dispose([plain, hooked, ...seen, ...pre]);
    model.dispose();
  });
});
