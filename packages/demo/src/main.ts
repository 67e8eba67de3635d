/**
 * The demo page: pick a registered model, a backend and weights (hub with a configurable endpoint, a URL or a local
 * file), drop or choose an image; it shows the top-5 classes, the time of each stage, the backend in use and the
 * feature maps of the featuresOnly variant of the model.
 */
import * as tf from '@tensorflow/tfjs-core';
import {
  type BackendInfo,
  type BackendName,
  classLabels,
  createModel,
  createTransform,
  type FeatureModel,
  fetchHubFileBytes,
  freezeExcept,
  getPretrainedCfg,
  HubError,
  type HubProgress,
  listModels,
  type ModelConfig,
  parseModelConfig,
  readCheckpoint,
  resolveDataConfig,
  type VisionModel,
} from '@zoo/core';
import './families.js';
import { type Batch, createEvalTransform, createLoss, createOptimizer, DataLoader, ImageListDataset, trainStep } from '@zoo/train';
import { BACKEND_NAMES, useBackend } from './backends.js';

const $ = <T extends HTMLElement = HTMLElement>(id: string) => document.getElementById(id) as T;

const modelInput = $<HTMLInputElement>('model');
const backendSelect = $<HTMLSelectElement>('backend');
const statusEl = $('status');
const runButton = $<HTMLButtonElement>('run');
const preview = $<HTMLImageElement>('preview');
const drop = $('drop');

/** One row of the result the page shows (also on `window.zooDemo.last` for tests and the console). */
export interface DemoResult {
  model: string;
  backend: BackendInfo;
  top5: { index: number; label: string; probability: number }[];
  timings: [string, number][];
  featureShapes: number[][];
}

interface Built {
  key: string;
  model: VisionModel;
  features: FeatureModel | null;
}

let image: Blob | null = null;
let backendKey = '';
let backendInfo: BackendInfo | null = null;
let built: Built | null = null;
const weightsCache = new Map<string, { bytes: Uint8Array; config?: ModelConfig; source: string }>();

function setStatus(text: string, error = false): void {
  statusEl.textContent = text;
  statusEl.classList.toggle('error', error);
  statusEl.dataset.state = error ? 'error' : text === 'done' ? 'done' : 'busy';
}

function fillControls(): void {
  const models = listModels();
  const list = $('models');
  for (const m of models) {
    const o = document.createElement('option');
    o.value = m;
    list.append(o);
  }
  $('model-count').textContent = `${models.length} architectures registered`;
  for (const b of BACKEND_NAMES) {
    const o = document.createElement('option');
    o.value = b;
    o.textContent = b;
    backendSelect.append(o);
  }
  const params = new URLSearchParams(location.search);
  if (params.get('model')) modelInput.value = params.get('model')!;
  if (params.get('backend')) backendSelect.value = params.get('backend')!;
  if (params.get('endpoint')) $<HTMLInputElement>('hub-endpoint').value = params.get('endpoint')!;
  if (params.get('repo')) $<HTMLInputElement>('hub-repo').value = params.get('repo')!;
}

function setImage(blob: Blob): void {
  image = blob;
  if (preview.src) URL.revokeObjectURL(preview.src);
  preview.src = URL.createObjectURL(blob);
  preview.hidden = false;
}

function weightsChoice(): string {
  return (document.querySelector('input[name=weights]:checked') as HTMLInputElement).value;
}

async function fetchWeights(modelName: string, onProgress: (text: string) => void): Promise<{ bytes: Uint8Array; config?: ModelConfig; source: string } | null> {
  const choice = weightsChoice();
  if (choice === 'none') return null;
  if (choice === 'file') {
    const file = $<HTMLInputElement>('weights-file').files?.[0];
    if (!file) throw new Error('choose a weights file');
    return { bytes: new Uint8Array(await file.arrayBuffer()), source: `file ${file.name}` };
  }
  if (choice === 'url') {
    const url = $<HTMLInputElement>('weights-url').value.trim();
    if (!url) throw new Error('enter a weights URL');
    const cached = weightsCache.get(`url\0${url}`);
    if (cached) return cached;
    const res = await fetch(url);
    if (!res.ok) throw new Error(`${url}: HTTP ${res.status}`);
    const w = { bytes: new Uint8Array(await res.arrayBuffer()), source: url };
    weightsCache.set(`url\0${url}`, w);
    return w;
  }
  const endpoint = $<HTMLInputElement>('hub-endpoint').value.trim().replace(/\/+$/, '') || 'https://huggingface.co';
  const repo = $<HTMLInputElement>('hub-repo').value.trim() || getPretrainedCfg(modelName)?.hfHubId;
  if (!repo) throw new Error(`${modelName} has no hub repo: enter one, or pick another weights source`);
  const key = `hub\0${endpoint}\0${repo}`;
  const cached = weightsCache.get(key);
  if (cached) return cached;
  const opts = { endpoint, token: false as const };
  let config: ModelConfig | undefined;
  try {
    const text = new TextDecoder().decode(await fetchHubFileBytes(repo, 'config.json', opts));
    config = parseModelConfig(JSON.parse(text), `${repo}/config.json`);
  } catch (e) {
    if (!(e instanceof HubError && e.code === 'EntryNotFound')) throw e;
  }
  // As timm: model.safetensors, else pytorch_model.bin (on EntryNotFound: no HEAD probe needed).
  let filename = 'model.safetensors';
  const progress = (p: HubProgress) =>
    onProgress(`downloading ${filename}: ${(p.loaded / 2 ** 20).toFixed(1)}${p.total ? ` / ${(p.total / 2 ** 20).toFixed(1)}` : ''} MiB`);
  let bytes: Uint8Array;
  try {
    bytes = await fetchHubFileBytes(repo, filename, { ...opts, onProgress: progress });
  } catch (e) {
    if (!(e instanceof HubError && e.code === 'EntryNotFound')) throw e;
    filename = 'pytorch_model.bin';
    bytes = await fetchHubFileBytes(repo, filename, { ...opts, onProgress: progress });
  }
  const w = { bytes, config, source: `${endpoint}/${repo}/${filename}` };
  weightsCache.set(key, w);
  return w;
}

function disposeBuilt(): void {
  built?.model.dispose();
  built?.features?.dispose();
  built = null;
}

function renderTop5(rows: DemoResult['top5']): void {
  const body = $('top5');
  body.replaceChildren();
  for (const r of rows) {
    const tr = document.createElement('tr');
    tr.dataset.index = String(r.index);
    tr.dataset.label = r.label;
    tr.dataset.probability = String(r.probability);
    const pct = (100 * r.probability).toFixed(2);
    tr.innerHTML = `<td>${r.index}</td><td class="label"></td><td>${pct}%</td><td style="width:40%"><div class="bar" style="width:${pct}%"></div></td>`;
    (tr.querySelector('.label') as HTMLElement).textContent = r.label;
    body.append(tr);
  }
}

function renderTimings(rows: [string, number][]): void {
  const body = $('timings');
  body.replaceChildren();
  for (const [stage, ms] of rows) {
    const tr = document.createElement('tr');
    tr.dataset.stage = stage;
    tr.innerHTML = `<td></td><td>${ms.toFixed(1)} ms</td>`;
    (tr.firstChild as HTMLElement).textContent = stage;
    body.append(tr);
  }
}

function renderBackend(info: BackendInfo): void {
  const el = $('backend-info');
  el.dataset.backend = info.backend;
  el.textContent = `${info.backend} — threads ${info.threads}, SIMD ${info.simd ? 'yes' : 'no'}, cross-origin isolated ${globalThis.crossOriginIsolated ? 'yes' : 'no'}. ${info.reason}`;
}

/** Draws up to `perStage` channels of each feature map (min–max scaled per channel) as grey canvases. */
async function renderFeatures(maps: tf.Tensor[], perStage = 8): Promise<number[][]> {
  const host = $('features');
  host.replaceChildren();
  const shapes: number[][] = [];
  for (let s = 0; s < maps.length; s++) {
    const m = maps[s]!;
    shapes.push(m.shape);
    const [, h, w, c] = m.shape as [number, number, number, number];
    const k = Math.min(perStage, c);
    const chw = tf.tidy(() => {
      const x = tf.transpose(tf.squeeze(tf.slice(m, [0, 0, 0, 0], [1, h, w, k]), [0]), [2, 0, 1]);
      const lo = tf.min(x, [1, 2], true);
      const hi = tf.max(x, [1, 2], true);
      return tf.div(tf.sub(x, lo), tf.maximum(tf.sub(hi, lo), 1e-6));
    });
    const data = (await chw.data()) as Float32Array;
    chw.dispose();
    const title = document.createElement('div');
    title.className = 'stage';
    title.textContent = `stage ${s}: ${h}×${w}×${c}`;
    const row = document.createElement('div');
    row.className = 'maps';
    for (let ch = 0; ch < k; ch++) {
      const canvas = document.createElement('canvas');
      canvas.width = w;
      canvas.height = h;
      const ctx = canvas.getContext('2d')!;
      const img = ctx.createImageData(w, h);
      for (let i = 0; i < h * w; i++) {
        const v = Math.round(255 * data[ch * h * w + i]!);
        img.data[i * 4] = img.data[i * 4 + 1] = img.data[i * 4 + 2] = v;
        img.data[i * 4 + 3] = 255;
      }
      ctx.putImageData(img, 0, 0);
      canvas.title = `stage ${s}, channel ${ch}`;
      row.append(canvas);
    }
    host.append(title, row);
  }
  return shapes;
}

async function run(): Promise<DemoResult> {
  const timings: [string, number][] = [];
  const time = async <T>(stage: string, f: () => Promise<T> | T): Promise<T> => {
    const t = performance.now();
    const out = await f();
    timings.push([stage, performance.now() - t]);
    return out;
  };
  const modelName = modelInput.value.trim();
  if (!image) throw new Error('choose or drop an image first');
  const wantBackend = backendSelect.value as BackendName;
  if (wantBackend !== backendKey || !backendInfo) {
    setStatus(`starting backend ${wantBackend}…`);
    disposeBuilt();
    backendInfo = await time('backend', () => useBackend(wantBackend));
    backendKey = wantBackend;
  }
  renderBackend(backendInfo);
  setStatus('loading weights…');
  const weights = await time('weights', () => fetchWeights(modelName, setStatus));
  const withFeatures = $<HTMLInputElement>('show-features').checked;
  const key = `${modelName}\0${weights?.source ?? 'none'}\0${withFeatures}`;
  // a head taught on this page (teach()) classifies until the model or its weights change
  if (built?.key !== key && !(taught && built?.key === taught.key && taught.base === `${modelName}\0${weights?.source ?? 'none'}`)) {
    disposeBuilt();
    setStatus('building model…');
    const arch = weights?.config?.architecture ?? modelName;
    const opts = {
      ...(weights?.config?.modelArgs ?? {}),
      ...(weights?.config ? { pretrainedCfg: weights.config.pretrainedCfg, numClasses: weights.config.pretrainedCfg.numClasses } : {}),
      ...(weights ? { pretrained: true, pretrainedCfgOverlay: { stateDict: await time('read weights', () => readCheckpoint(weights.bytes)) } } : {}),
    };
    const model = await time('build', () => createModel(arch, opts));
    let features: FeatureModel | null = null;
    if (withFeatures) {
      try {
        features = await time('build features', () => createModel(arch, { ...opts, featuresOnly: true }));
      } catch (e) {
        console.warn('no featuresOnly variant', e);
      }
    }
    built = { key, model, features };
  }
  const { model, features } = built;
  setStatus('preprocessing…');
  const transform = createTransform<Blob>(resolveDataConfig({ model, overrides: taught && built.key === taught.key ? taught.overrides : {} }));
  const x = await time('decode + preprocess', () => transform(image!));
  try {
    setStatus('forward…');
    const probs = await time('forward', async () => {
      const p = tf.tidy(() => tf.softmax(tf.cast(model.forward(x), 'float32')));
      const data = (await p.data()) as Float32Array;
      p.dispose();
      return data;
    });
    const top5 = await time('top-5', () => {
      const labels = classLabels(model);
      const idx = Array.from(probs, (_, i) => i).sort((a, b) => probs[b]! - probs[a]! || a - b);
      return idx.slice(0, 5).map((i) => ({ index: i, label: labels[i] ?? `class_${i}`, probability: probs[i]! }));
    });
    renderTop5(top5);
    let featureShapes: number[][] = [];
    if (features) {
      setStatus('feature maps…');
      featureShapes = await time('feature maps', async () => {
        const maps = features.forward(x) as tf.Tensor[];
        try {
          return await renderFeatures(maps);
        } finally {
          tf.dispose(maps);
        }
      });
    } else $('features').replaceChildren();
    renderTimings(timings);
    return { model: modelName, backend: backendInfo, top5, timings, featureShapes };
  } finally {
    x.dispose();
  }
}

/** What "teach it your classes" reports (also on `window.zooDemo.teach`). */
export interface TeachResult {
  classes: string[];
  images: number;
  losses: number[];
  /** Top-1 class of each training image with the new head, before and after training. */
  before: number[];
  after: number[];
  targets: number[];
  trained: string[];
  ms: number;
}

/** The model a teach() run left in `built`: its key, the weights it started from, the input size it used. */
let taught: { key: string; base: string; overrides: { inputSize?: [number, number, number] } } | null = null;

/**
 * "Teach it your classes": the chosen model and weights with a new classifier (one output per class with images),
 * everything but the head frozen (optionally the last stage too), a few steps of Adam on the picked images (timm's
 * eval transform, the model in eval mode so BatchNorm keeps its statistics); then Classify uses the new head.
 */
async function teach(): Promise<TeachResult> {
  const t0 = performance.now();
  const rows = Array.from(document.querySelectorAll<HTMLElement>('.teach-class')).map((row) => ({
    name: (row.querySelector('.teach-name') as HTMLInputElement).value.trim(),
    files: Array.from((row.querySelector('.teach-files') as HTMLInputElement).files ?? []),
  }));
  const classes = rows.filter((r) => r.files.length);
  if (classes.length < 2) throw new Error('pick images for at least two classes');
  if (classes.some((c) => !c.name)) throw new Error('give every class with images a name');
  const steps = Number($<HTMLInputElement>('teach-steps').value);
  if (!(Number.isInteger(steps) && steps >= 1 && steps <= 1000)) throw new Error('training steps must be an integer from 1 to 1000');
  const sizeText = $<HTMLInputElement>('teach-size').value.trim();
  const size = sizeText ? Number(sizeText) : undefined;
  if (size !== undefined && !(Number.isInteger(size) && size >= 16 && size <= 1024)) throw new Error('image size must be an integer from 16 to 1024');
  const modelName = modelInput.value.trim();
  const wantBackend = backendSelect.value as BackendName;
  if (wantBackend !== backendKey || !backendInfo) {
    disposeBuilt();
    backendInfo = await useBackend(wantBackend);
    backendKey = wantBackend;
  }
  const say = (text: string) => {
    $('teach-status').textContent = text;
  };
  say('loading weights…');
  const weights = await fetchWeights(modelName, say);
  const arch = weights?.config?.architecture ?? modelName;
  // timm's create_model(pretrained=True, num_classes=n): the pretrained classifier is left out, a new one initialised
  const model = (await createModel(arch, {
    ...(weights?.config?.modelArgs ?? {}),
    ...(weights ? { pretrained: true, pretrainedCfgOverlay: { stateDict: await readCheckpoint(weights.bytes) } } : {}),
    numClasses: classes.length,
  })) as VisionModel;
  const head = String(model.pretrainedCfg.classifier ?? 'fc');
  const trained = [head];
  if ($<HTMLInputElement>('teach-stage').checked) {
    const stages = model.featureInfo.map((f) => f.module);
    const last = stages[stages.length - 1];
    if (last) trained.push(last);
  }
  freezeExcept(model, trained);
  model.pretrainedCfg = { ...model.pretrainedCfg, labelNames: classes.map((c) => c.name) };
  const overrides = size ? { inputSize: [3, size, size] as [number, number, number] } : {};
  const files = classes.flatMap((c, i) => c.files.map((f) => [f, i] as const));
  say(`preparing ${files.length} images…`);
  const targets = files.map(([, i]) => i);
  let batch: Batch | undefined;
  try {
    // the picked Files as a dataset, one batch of all of them through timm's eval transform
    const dataset = new ImageListDataset<Blob>(
      files.map(([image, target]) => ({ image, target })),
      { classes: classes.map((c) => c.name) },
    );
    const loader = new DataLoader(dataset, createEvalTransform(resolveDataConfig({ model, overrides })), { batchSize: files.length });
    for await (const b of loader.epoch(0)) batch = b;
    const x = batch!.x;
    const top1 = async () => {
      const p = tf.tidy(() => tf.argMax(model.forward(x), -1));
      const out = Array.from(await p.data());
      p.dispose();
      return out;
    };
    const before = await top1();
    const optimizer = createOptimizer(model, { opt: 'adam', lr: 0.01 });
    const loss = createLoss();
    const losses: number[] = [];
    try {
      for (let s = 0; s < steps; s++) {
        const r = await trainStep(model, optimizer, x, targets, loss);
        losses.push(r.loss);
        say(`step ${s + 1}/${steps}: loss ${r.loss.toFixed(4)}`);
      }
    } finally {
      optimizer.dispose();
    }
    const after = await top1();
    disposeBuilt();
    const base = `${modelName}\0${weights?.source ?? 'none'}`;
    taught = { key: `taught\0${base}`, base, overrides };
    built = { key: taught.key, model, features: null };
    const right = after.filter((p, i) => p === targets[i]).length;
    say(`done: ${classes.length} classes, ${files.length} images, loss ${losses[0]!.toFixed(3)} → ${losses[losses.length - 1]!.toFixed(3)}, ${right}/${files.length} right. Classify uses the new head.`);
    $('teach-status').dataset.state = 'done';
    return { classes: classes.map((c) => c.name), images: files.length, losses, before, after, targets, trained, ms: performance.now() - t0 };
  } catch (e) {
    model.dispose();
    throw e;
  } finally {
    batch?.dispose();
  }
}

declare global {
  interface Window {
    zooDemo: { last: DemoResult | null; error: string | null; run: () => Promise<DemoResult>; teach: TeachResult | null };
  }
}

window.zooDemo = { last: null, error: null, run, teach: null };

const teachButton = $<HTMLButtonElement>('teach-run');
teachButton.addEventListener('click', async () => {
  teachButton.disabled = true;
  $('teach-status').dataset.state = 'busy';
  try {
    window.zooDemo.teach = await teach();
  } catch (e) {
    $('teach-status').textContent = `error: ${(e as Error).message}`;
    $('teach-status').dataset.state = 'error';
    console.error(e);
  } finally {
    teachButton.disabled = false;
  }
});

runButton.addEventListener('click', async () => {
  runButton.disabled = true;
  window.zooDemo.error = null;
  try {
    window.zooDemo.last = await run();
    setStatus('done');
  } catch (e) {
    window.zooDemo.error = (e as Error).message;
    setStatus(`error: ${(e as Error).message}`, true);
    console.error(e);
  } finally {
    runButton.disabled = false;
  }
});

$<HTMLInputElement>('image-file').addEventListener('change', (ev) => {
  const f = (ev.target as HTMLInputElement).files?.[0];
  if (f) setImage(f);
});
drop.addEventListener('dragover', (ev) => {
  ev.preventDefault();
  drop.classList.add('over');
});
drop.addEventListener('dragleave', () => drop.classList.remove('over'));
drop.addEventListener('drop', (ev) => {
  ev.preventDefault();
  drop.classList.remove('over');
  const f = ev.dataTransfer?.files?.[0];
  if (f) setImage(f);
});

fillControls();
setStatus('idle');
statusEl.dataset.state = 'idle';
