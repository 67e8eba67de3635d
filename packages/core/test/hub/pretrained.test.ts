/**
 * Pretrained weights from the Hugging Face hub, end to end through createModel with real HTTP against the loopback
 * hub (HF_ENDPOINT), and saveModel → local-dir round trips, on core's tiny test family. Its weights and reference
 * logits were written by PyTorch (test/fixtures/tiny/make_tiny.py).
 */
import { existsSync, mkdtempSync, readFileSync, rmSync } from 'node:fs';
import { tmpdir } from 'node:os';
import { join } from 'node:path';
import * as tf from '@tensorflow/tfjs-core';
import { afterAll, beforeAll, beforeEach, describe, expect, it } from 'vitest';
import { setBackend } from '../../src/backend.js';
import { createModel } from '../../src/factory/create.js';
import { saveModel } from '../../src/hub/save.js';
import type { FeatureModel } from '../../src/features/wrappers.js';
import type { VisionModel } from '../../src/model.js';
import { readTorchCheckpoint } from '../../src/weights/pickle.js';
import { readSafetensors, writeSafetensors } from '../../src/weights/safetensors.js';
import type { StateDict } from '../../src/weights/types.js';
import '../factory/tiny-family.js';
import { type HubServer, startHubServer } from './hub-server.js';

const FIXTURES = join(import.meta.dirname, '..', 'fixtures', 'tiny');
const PTH = join(FIXTURES, 'tiny_net.pth');
const ref = JSON.parse(readFileSync(join(FIXTURES, 'tiny_net.json'), 'utf8')) as { input: number[]; input_shape: number[]; logits: number[] };
const REPO = 'timm/core_tiny_net.a1_in1k';
const COMMIT = 'c0ffee'.padEnd(40, '0');
const ENV_KEYS = ['HF_ENDPOINT', 'HF_HUB_CACHE', 'HF_HOME', 'HF_HUB_OFFLINE', 'TRANSFORMERS_OFFLINE', 'HF_TOKEN', 'HUGGING_FACE_HUB_TOKEN'];
const savedEnv = Object.fromEntries(ENV_KEYS.map((k) => [k, process.env[k]]));

let server: HubServer;
let sd: StateDict;
let weights: Uint8Array;
let x: tf.Tensor4D;

const made: string[] = [];
const tmp = (what: string) => {
  const dir = mkdtempSync(join(tmpdir(), `zoo-hub-${what}-`));
  made.push(dir);
  return dir;
};

function hubConfigJson(extra: Record<string, unknown> = {}): string {
  return JSON.stringify({
    architecture: 'core_tiny_net',
    num_classes: 5,
    num_features: 8,
    pretrained_cfg: { tag: 'a1_in1k', custom_load: false, input_size: [3, 32, 32], fixed_input_size: false, interpolation: 'bilinear', crop_pct: 1, crop_mode: 'center', mean: [0.5, 0.5, 0.5], std: [0.5, 0.5, 0.5], num_classes: 5, pool_size: [8, 8], first_conv: 'conv0', classifier: 'fc' },
    ...extra,
  });
}

function logits(model: VisionModel): tf.Tensor {
  return model.forward(x);
}

/** The model's logits match PyTorch's for the fixture weights. */
function expectFixtureLogits(model: VisionModel): void {
  const out = logits(model);
  const want = tf.tensor(ref.logits, out.shape);
  expect(maxAbsDiff(out, want)).toBeLessThan(1e-5);
  tf.dispose([out, want]);
}

/**
 * Tensors a plain createModel + dispose leaves behind (today 1: SelectAdaptivePool2d's name check leaks its
 * tf.zeros input); a failed pretrained createModel must leave no more than that, i.e. no model.
 */
async function buildLeak(): Promise<number> {
  const before = tf.memory().numTensors;
  (await createModel('core_tiny_net')).dispose();
  return tf.memory().numTensors - before;
}

function maxAbsDiff(a: tf.Tensor, b: tf.Tensor): number {
  const da = a.dataSync();
  const db = b.dataSync();
  let m = 0;
  for (let i = 0; i < da.length; i++) m = Math.max(m, Math.abs(da[i]! - db[i]!));
  return m;
}

beforeAll(async () => {
  const info = await setBackend('wasm');
  expect(info.backend).toBe('wasm');
  server = await startHubServer();
  sd = readTorchCheckpoint(new Uint8Array(readFileSync(PTH)));
  weights = writeSafetensors(sd);
  x = tf.tidy(() => tf.transpose(tf.tensor4d(ref.input, ref.input_shape as [number, number, number, number]), [0, 2, 3, 1])) as tf.Tensor4D;
  server.addRepo(REPO, {
    commit: COMMIT,
    files: { 'model.safetensors': { content: weights, lfs: true }, 'config.json': hubConfigJson() },
  });
});

beforeEach(() => {
  for (const k of ENV_KEYS) delete process.env[k];
  process.env.HF_ENDPOINT = server.url;
  process.env.HF_HUB_CACHE = tmp('cache');
});

afterAll(async () => {
  for (const dir of made) rmSync(dir, { recursive: true, force: true });
  x?.dispose();
  await server?.close();
  for (const [k, v] of Object.entries(savedEnv)) {
    if (v === undefined) delete process.env[k];
    else process.env[k] = v;
  }
});

describe('createModel with pretrained weights from the hub (loopback HF_ENDPOINT)', () => {
  it("fetches timm/<name>.<tag>/model.safetensors for a registry name, caches it, and a second call makes no request", async () => {
    const progress: { loaded: number; total?: number; file: string }[] = [];
    const before = server.requests.length;
    const model = await createModel('core_tiny_net.a1_in1k', { pretrained: true, onProgress: (p) => progress.push(p) });
    expectFixtureLogits(model);
    model.dispose();
    const made = server.requests.slice(before);
    expect(made.some((r) => r.server === 'cdn' && r.method === 'GET')).toBe(true);
    expect(made.every((r) => r.server === 'cdn' || r.path.startsWith('/timm/core_tiny_net.a1_in1k/resolve/main/model.safetensors'))).toBe(true);
    // onProgress: called, for model.safetensors, ending at the full size.
    expect(progress.length).toBeGreaterThan(0);
    expect(progress.every((p) => p.file === 'model.safetensors')).toBe(true);
    expect(progress.at(-1)).toMatchObject({ loaded: weights.byteLength, total: weights.byteLength });
    // huggingface_hub's cache layout, so Python reuses it.
    const repoDir = join(process.env.HF_HUB_CACHE!, 'models--timm--core_tiny_net.a1_in1k');
    expect(readFileSync(join(repoDir, 'refs', 'main'), 'utf8')).toBe(COMMIT);
    expect(existsSync(join(repoDir, 'snapshots', COMMIT, 'model.safetensors'))).toBe(true);
    expect(existsSync(join(repoDir, 'blobs', server.file('timm/core_tiny_net.a1_in1k', 'model.safetensors').sha256))).toBe(true);

    const n = server.requests.length;
    const again = await createModel('core_tiny_net.a1_in1k', { pretrained: true });
    expect(server.requests.length).toBe(n);
    expectFixtureLogits(again);
    again.dispose();

    // Offline, the cached weights still load.
    process.env.HF_HUB_OFFLINE = '1';
    const offline = await createModel('core_tiny_net.a1_in1k', { pretrained: true });
    expect(server.requests.length).toBe(n);
    offline.dispose();
  });

  it("hf-hub:timm/core_tiny_net.a1_in1k reads the repo's config.json and builds that architecture", async () => {
    const model = await createModel('hf-hub:timm/core_tiny_net.a1_in1k', { pretrained: true });
    expect(server.count({ server: 'hub', method: 'GET', file: 'config.json' })).toBeGreaterThan(0);
    expect(model.modelName).toBe('core_tiny_net');
    expect(model.numClasses).toBe(5);
    expect(model.pretrainedCfg).toMatchObject({ hfHubId: 'timm/core_tiny_net.a1_in1k', source: 'hf-hub', cropPct: 1, tag: 'a1_in1k' });
    expectFixtureLogits(model);
    model.dispose();
  });

  it('a config.json with label_names and another class count: labels kept, classifier re-initialised', async () => {
    const labels = Array.from({ length: 5 }, (_, i) => `n${String(i).padStart(8, '0')}`);
    server.addRepo('someone/my-tiny', { commit: COMMIT, files: { 'model.safetensors': { content: weights, lfs: true }, 'config.json': hubConfigJson({ label_names: labels }) } });
    const model = await createModel('hf-hub:someone/my-tiny', { pretrained: true });
    expect(model.pretrainedCfg.labelNames).toEqual(labels);
    expectFixtureLogits(model);
    model.dispose();
    const ten = await createModel('hf-hub:someone/my-tiny', { pretrained: true, numClasses: 10 });
    expect(ten.numClasses).toBe(10);
    ten.dispose();
  });

  it('HF_HUB_OFFLINE with nothing cached: a clear error and no request', async () => {
    process.env.HF_HUB_OFFLINE = '1';
    const n = server.requests.length;
    const tensors = tf.memory().numTensors;
    await expect(createModel('core_tiny_net.a1_in1k', { pretrained: true })).rejects.toThrow(/timm\/core_tiny_net\.a1_in1k.*neither model\.safetensors nor pytorch_model\.bin.*HF_HUB_OFFLINE/s);
    expect(server.requests.length).toBe(n);
    expect(tf.memory().numTensors - tensors).toBeLessThanOrEqual(await buildLeak());
  });

  it('a repo with no weight file: an error naming both files', async () => {
    server.addRepo('someone/config-only', { commit: COMMIT, files: { 'config.json': hubConfigJson() } });
    await expect(createModel('hf-hub:someone/config-only', { pretrained: true })).rejects.toThrow(/someone\/config-only.*neither model\.safetensors nor pytorch_model\.bin/s);
  });

  it('a truncated model.safetensors: a clear error naming the file, and no model is left behind', async () => {
    server.addRepo('someone/truncated', {
      commit: COMMIT,
      files: { 'model.safetensors': { content: weights.subarray(0, weights.byteLength - 4096), lfs: true }, 'config.json': hubConfigJson() },
    });
    const tensors = tf.memory().numTensors;
    await expect(createModel('hf-hub:someone/truncated', { pretrained: true })).rejects.toThrow(/someone\/truncated\/model\.safetensors.*(truncat|bytes|offset)/is);
    expect(tf.memory().numTensors - tensors).toBeLessThanOrEqual(await buildLeak());
  });

  it('a body corrupted in transit: a checksum error, nothing cached, and the next try succeeds', async () => {
    server.addRepo('someone/corrupt', { commit: COMMIT, files: { 'model.safetensors': { content: weights, lfs: true }, 'config.json': hubConfigJson() } });
    server.faults.push({ kind: 'corrupt', where: 'cdn' });
    const tensors = tf.memory().numTensors;
    await expect(createModel('hf-hub:someone/corrupt', { pretrained: true })).rejects.toThrow(/[Cc]hecksum mismatch.*model\.safetensors/s);
    expect(tf.memory().numTensors - tensors).toBeLessThanOrEqual(await buildLeak());
    const model = await createModel('hf-hub:someone/corrupt', { pretrained: true });
    expectFixtureLogits(model);
    model.dispose();
  });

  it('a repo without model.safetensors: pytorch_model.bin (torch zip, made by torch.save) loads', async () => {
    server.addRepo('someone/pth-only', {
      commit: COMMIT,
      files: { 'pytorch_model.bin': { content: new Uint8Array(readFileSync(PTH)), lfs: true }, 'config.json': hubConfigJson() },
    });
    const model = await createModel('hf-hub:someone/pth-only', { pretrained: true });
    expect(server.count({ method: 'HEAD', file: 'model.safetensors' })).toBeGreaterThan(0);
    expectFixtureLogits(model);
    model.dispose();
  });
});

describe('saveModel (timm hub format) and local-dir', () => {
  it('writes config.json + model.safetensors that createModel(local-dir:) loads back to the same outputs', async () => {
    const model = await createModel('core_tiny_net', { checkpointPath: PTH });
    const dir = join(tmp('save'), 'out');
    await saveModel(model, dir);
    const config = JSON.parse(readFileSync(join(dir, 'config.json'), 'utf8'));
    expect(config).toMatchObject({ architecture: 'core_tiny_net', num_classes: 5, num_features: 8 });
    expect(config.label_names).toBeUndefined();
    const pc = config.pretrained_cfg;
    for (const k of ['url', 'file', 'hf_hub_id', 'hf_hub_filename', 'source', 'state_dict', 'architecture']) expect(pc).not.toHaveProperty(k);
    expect(pc).toMatchObject({ tag: 'a1_in1k', input_size: [3, 32, 32], first_conv: 'conv0', classifier: 'fc', pool_size: [8, 8] });
    const st = readSafetensors(new Uint8Array(readFileSync(join(dir, 'model.safetensors'))));
    expect(st.metadata).toEqual({ format: 'pt' });
    expect(Object.keys(st.tensors)).toEqual(Object.keys(model.stateDict()));
    // PyTorch's keys, in PyTorch's order, dtypes and (OIHW) shapes.
    expect(Object.keys(st.tensors)).toEqual(Object.keys(sd));
    expect(st.tensors['bn1.num_batches_tracked']!.dtype).toBe('int64');
    expect(st.tensors['conv1.weight']!.shape).toEqual([8, 4, 3, 3]);

    const loaded = await createModel(`local-dir:${dir}`, { pretrained: true });
    expect(loaded.modelName).toBe('core_tiny_net');
    const a = logits(model);
    const b = logits(loaded);
    expect(maxAbsDiff(a, b)).toBeLessThanOrEqual(1e-6);
    tf.dispose([a, b]);
    expectFixtureLogits(loaded);
    // The feature extractor comes from the saved base model.
    const fm = await createModel(`local-dir:${dir}`, { pretrained: true, featuresOnly: true });
    const feats = fm.forward(x) as tf.Tensor[];
    const last = model.forwardFeatures(x);
    // (The feature wrapper runs another code path than forwardFeatures: compare at the parity bar, not 1e-6.)
    const scale = Math.max(1, tf.tidy(() => tf.max(tf.abs(last)).dataSync()[0]!));
    expect(maxAbsDiff(feats.at(-1)!, last)).toBeLessThanOrEqual(1e-4 * scale);
    tf.dispose([...feats, last]);
    fm.dispose();
    model.dispose();
    loaded.dispose();
  });

  it('keeps label names and a changed head through the round trip', async () => {
    const labels = Array.from({ length: 10 }, (_, i) => `class${i}`);
    const model = await createModel('core_tiny_net', { numClasses: 10 });
    const dir = tmp('save10');
    await saveModel(model, dir, { labelNames: labels });
    const config = JSON.parse(readFileSync(join(dir, 'config.json'), 'utf8'));
    expect(config).toMatchObject({ num_classes: 10, label_names: labels });
    const loaded = await createModel(`local-dir:${dir}`, { pretrained: true });
    expect(loaded.numClasses).toBe(10);
    expect(loaded.pretrainedCfg.labelNames).toEqual(labels);
    const a = logits(model);
    const b = logits(loaded);
    expect(maxAbsDiff(a, b)).toBeLessThanOrEqual(1e-6);
    tf.dispose([a, b]);
    model.dispose();
    loaded.dispose();
  });

  it('refuses a FeatureModel (featuresOnly), pointing at the base model', async () => {
    const fm: FeatureModel = await createModel('core_tiny_net', { featuresOnly: true });
    const dir = join(tmp('feat'), 'out');
    await expect(saveModel(fm, dir)).rejects.toThrow(/featuresOnly.*save the base model/s);
    expect(existsSync(dir)).toBe(false);
    fm.dispose();
  });
});
