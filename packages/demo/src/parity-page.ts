/**
 * parity.html: runs a timm parity fixture in the page on a chosen backend. The browser test calls
 * `window.zooParity(fixtureUrl, backend)`; a person can open `parity.html?fixture=…&backend=…`.
 */
import * as tf from '@tensorflow/tfjs-core';
import { type BackendName, createModel, type FeatureModel, type VisionModel } from '@zoo/core';
import '@zoo/resnet';
import { type CompareResult, camelKwargs, compareData, fixtureInput, fixtureStateDict, type OutputRecord, type ParityFixture, torchLayout } from '@zoo/parity/pure';
import { useBackend } from './backends.js';

export interface ParityRun {
  id: string;
  backend: string;
  threads: number;
  reason: string;
  results: CompareResult[];
  ok: boolean;
  ms: { build: number; forward: number };
}

async function run(fixtureUrl: string, backend: BackendName, rel = 1e-3): Promise<ParityRun> {
  const info = await useBackend(backend, true);
  if (backend !== 'auto' && info.backend !== backend) throw new Error(`asked for ${backend}, got ${info.backend}`);
  const f = (await (await fetch(fixtureUrl)).json()) as ParityFixture;
  const kwargs = camelKwargs(f.kwargs);
  const sd = fixtureStateDict(f);
  let t = performance.now();
  const model =
    f.weights.via === 'direct'
      ? await createModel(f.model, { ...kwargs, checkpointPath: sd })
      : await createModel(f.model, { ...kwargs, pretrained: true, pretrainedCfgOverlay: { stateDict: sd } });
  const build = performance.now() - t;
  const x = fixtureInput(f);
  const results: CompareResult[] = [];
  const check = async (name: string, out: tf.Tensor, rec: OutputRecord) => {
    const { shape, data } = await torchLayout(out, rec.layout);
    results.push(compareData(name, shape, data, rec, rel));
  };
  // One pass per output (GPU backends compile their shaders on the first): the features, then the head on them.
  t = performance.now();
  try {
    if (kwargs.featuresOnly) {
      const feats = (model as unknown as FeatureModel).forward(x) as tf.Tensor[];
      const recs = f.outputs.features as OutputRecord[];
      for (let i = 0; i < feats.length; i++) await check(`features[${i}]`, feats[i]!, recs[i]!);
      tf.dispose(feats);
    } else {
      const m = model as unknown as VisionModel;
      const feats = m.forwardFeatures(x);
      await check('forward_features', feats, f.outputs.forward_features as OutputRecord);
      const logits = m.forwardHead(feats);
      if (f.compare.includes('logits')) await check('logits', logits, f.outputs.logits as OutputRecord);
      const pre = m.forwardHead(feats, { preLogits: true });
      await check('pre_logits', pre, f.outputs.pre_logits as OutputRecord);
      tf.dispose([logits, feats, pre]);
    }
  } finally {
    x.dispose();
    model.dispose();
  }
  const forward = performance.now() - t;
  const ok = results.length > 0 && results.every((r) => r.ok);
  return { id: f.id, backend: info.backend, threads: info.threads, reason: info.reason, results, ok, ms: { build, forward } };
}

/** Builds `name` with `checkpointPath: url` (a relative URL resolves against the page) and returns its parameter count. */
async function loadFromUrl(name: string, url: string): Promise<number> {
  await useBackend('wasm');
  const model = await createModel(name, { checkpointPath: url });
  const n = model.numParams();
  model.dispose();
  return n;
}

declare global {
  interface Window {
    zooParity: typeof run;
    zooBackend: typeof useBackend;
    zooCheckpoint: typeof loadFromUrl;
  }
}
window.zooParity = run;
window.zooBackend = useBackend;
window.zooCheckpoint = loadFromUrl;

const params = new URLSearchParams(location.search);
const out = document.getElementById('out')!;
const fixture = params.get('fixture');
if (fixture) {
  out.textContent = 'running…';
  run(fixture, (params.get('backend') ?? 'auto') as BackendName).then(
    (r) => (out.textContent = JSON.stringify(r, null, 2)),
    (e) => (out.textContent = `error: ${(e as Error).stack ?? e}`),
  );
} else {
  out.textContent = 'ready: window.zooParity(fixtureUrl, backend) or ?fixture=URL&backend=NAME';
}
