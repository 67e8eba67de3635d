/**
 * One measurement in a fresh process (so memory and backend state of one do not leak into the next). Takes a JSON
 * job as its argument and prints `RESULT <json>` as its last line.
 */
import { existsSync, readFileSync, renameSync, writeFileSync } from 'node:fs';
import * as tf from '@tensorflow/tfjs-core';
import { createModel, readSafetensors, type VisionModel, writeSafetensors } from '@zoo/core';
import { setNodeBackend } from '@zoo/core/node';
import { countMacs } from './macs.js';
import { buildRaw, hasRaw } from './raw.js';
import type { RawModel } from './raw-ops.js';

export type Job =
  | { kind: 'weights'; model: string; pkg: string; file: string }
  | { kind: 'load'; model: string; pkg: string; file: string; mode: 'ours' | 'baseline' | 'raw'; size: number }
  | { kind: 'forward'; model: string; pkg: string; file: string; threads: number; iters: number; size: number }
  | { kind: 'gemm'; threads: number; n: number; secs: number; startAt?: number }
  | { kind: 'onnx'; model: string; pkg: string; file: string; threads: number; iters: number; size: number; timmOnnx?: string }
  | { kind: 'train'; model: string; pkg: string; threads: number; steps: number; size: number; batch: number };

const mb = (b: number) => Math.round((b / 2 ** 20) * 10) / 10;
const peakRss = () => process.resourceUsage().maxRSS * 1024;

function median(xs: number[]): number {
  const s = [...xs].sort((a, b) => a - b);
  const m = s.length >> 1;
  return s.length % 2 ? s[m]! : (s[m - 1]! + s[m]!) / 2;
}

async function weights(job: Extract<Job, { kind: 'weights' }>) {
  if (!existsSync(job.file)) {
    await setNodeBackend({ numThreads: 1, onNotice: null });
    const model = await createModel(job.model);
    const bytes = writeSafetensors(model.stateDict());
    model.dispose();
    const tmp = `${job.file}.${process.pid}.tmp`;
    writeFileSync(tmp, bytes);
    renameSync(tmp, job.file);
  }
  return { file: job.file, bytes: readFileSync(job.file).byteLength };
}

async function load(job: Extract<Job, { kind: 'load' }>) {
  await setNodeBackend({ numThreads: 1, onNotice: null });
  // Warm the code paths that are not weight loading (module graph, kernels), then measure from a settled heap.
  const warm = tf.tensor([1, 2, 3]);
  warm.dispose();
  (globalThis as { gc?: () => void }).gc?.();
  const rssBefore = process.memoryUsage().rss;
  const t0 = performance.now();
  let model: VisionModel | null = null;
  let tensors: tf.Tensor[] = [];
  let raw: RawModel | null = null;
  if (job.mode === 'raw') {
    const buf = readFileSync(job.file);
    raw = buildRaw(job.model, readSafetensors(new Uint8Array(buf.buffer, buf.byteOffset, buf.byteLength)).tensors);
  } else if (job.mode === 'baseline') {
    const buf = readFileSync(job.file);
    const { tensors: entries } = readSafetensors(new Uint8Array(buf.buffer, buf.byteOffset, buf.byteLength));
    for (const t of Object.values(entries)) if (t.dtype === 'float32') tensors.push(tf.tensor(t.data as Float32Array, t.shape, 'float32'));
  } else {
    model = await createModel(job.model, { checkpointPath: job.file });
  }
  const loadMs = performance.now() - t0;
  const rssAfter = process.memoryUsage().rss;
  const peakAtReady = peakRss();
  let firstForwardMs: number | undefined;
  if (model || raw) {
    const x = tf.zeros([1, job.size, job.size, 3]) as tf.Tensor4D;
    const t1 = performance.now();
    const y = model ? model.forward(x) : raw!.forward(x);
    await y.data();
    firstForwardMs = performance.now() - t1;
    x.dispose();
    y.dispose();
  }
  const result = {
    mode: job.mode, loadMs, firstForwardMs, rssBeforeMB: mb(rssBefore), rssAfterMB: mb(rssAfter),
    rssGrowthMB: mb(rssAfter - rssBefore), peakRssGrowthMB: mb(peakAtReady - rssBefore), peakRssMB: mb(peakAtReady),
    rssAfterFirstForwardMB: mb(process.memoryUsage().rss), peakRssAfterFirstForwardMB: mb(peakRss()),
  };
  model?.dispose();
  raw?.dispose();
  for (const t of tensors) t.dispose();
  tensors = [];
  return result;
}

/** float32 GEMM throughput (GFLOP/s) of tfjs-wasm's XNNPACK: `n`×`n` products for `secs` seconds (from `startAt`, a wall-clock ms, when several processes run at once). */
async function gemm(job: Extract<Job, { kind: 'gemm' }>) {
  const info = await setNodeBackend({ numThreads: job.threads, onNotice: null });
  const a = tf.randomUniform([job.n, job.n], -1, 1, 'float32', 1);
  const b = tf.randomUniform([job.n, job.n], -1, 1, 'float32', 2);
  // (A typed array returned from tf.tidy would be walked element by element looking for tensors: dispose by hand.)
  const product = () => {
    const c = tf.matMul(a, b);
    c.dataSync();
    c.dispose();
  };
  for (let i = 0; i < 3; i++) product();
  while (job.startAt && Date.now() < job.startAt) await new Promise((r) => setTimeout(r, 2));
  let products = 0;
  const t0 = performance.now();
  while (performance.now() - t0 < job.secs * 1000) {
    product();
    products++;
  }
  const seconds = (performance.now() - t0) / 1000;
  tf.dispose([a, b]);
  return { threads: info.threads, n: job.n, gflops: (2 * job.n ** 3 * products) / seconds / 1e9 };
}

async function forward(job: Extract<Job, { kind: 'forward' }>) {
  const info = await setNodeBackend({ numThreads: job.threads });
  const model = await createModel(job.model, { checkpointPath: job.file });
  let raw: RawModel | null = null;
  if (hasRaw(job.model)) {
    const buf = readFileSync(job.file);
    raw = buildRaw(job.model, readSafetensors(new Uint8Array(buf.buffer, buf.byteOffset, buf.byteLength)).tensors);
  }
  const x = tf.randomUniform([1, job.size, job.size, 3], -1, 1, 'float32', 7) as tf.Tensor4D;
  const time = async (f: () => tf.Tensor) => {
    const t0 = performance.now();
    const y = f();
    await y.data();
    const dt = performance.now() - t0;
    y.dispose();
    return dt;
  };
  let maxAbsDiff: number | undefined;
  if (raw) {
    const a = model.forward(x);
    const b = raw.forward(x);
    maxAbsDiff = tf.tidy(() => tf.max(tf.abs(tf.sub(a, b))).dataSync()[0]!);
    a.dispose();
    b.dispose();
  }
  const macs = countMacs(() => model.forward(x));
  for (let i = 0; i < 3; i++) {
    await time(() => model.forward(x));
    if (raw) await time(() => raw.forward(x));
  }
  // Interleaved, so drift in machine load hits both sides alike.
  const ours: number[] = [];
  const ref: number[] = [];
  for (let i = 0; i < job.iters; i++) {
    ours.push(await time(() => model.forward(x)));
    if (raw) ref.push(await time(() => raw.forward(x)));
  }
  const result = {
    threads: info.threads, threaded: info.threaded, fallbackReason: info.fallbackReason,
    oursMs: median(ours), oursMinMs: Math.min(...ours), rawMs: raw ? median(ref) : undefined, rawMinMs: raw ? Math.min(...ref) : undefined,
    ratio: raw ? median(ours) / median(ref) : undefined, maxAbsDiff, gmacs: macs / 1e9, oursGflops: (2 * macs) / median(ours) / 1e6, peakRssMB: mb(peakRss()), samples: { ours, raw: ref },
  };
  x.dispose();
  model.dispose();
  raw?.dispose();
  return result;
}

/**
 * The onnx column: the model exported by @zoo/onnx (export time), run on onnxruntime-node next to our tfjs forward
 * and, when given, timm's own ONNX export of the same model, all at `threads` threads, interleaved; medians.
 */
async function onnx(job: Extract<Job, { kind: 'onnx' }>) {
  const info = await setNodeBackend({ numThreads: job.threads });
  const { exportOnnx } = await import('@zoo/onnx');
  const ort = await import('onnxruntime-node');
  const model = await createModel(job.model, { checkpointPath: job.file });
  const t0 = performance.now();
  const bytes = await exportOnnx(model, { inputSize: [3, job.size, job.size] });
  const exportMs = performance.now() - t0;
  // Two sessions in one process: their intra-op pools must not spin after a run (onnxruntime's default), or each
  // steals the cores from the other's next run.
  const opts = {
    intraOpNumThreads: job.threads, interOpNumThreads: 1, graphOptimizationLevel: 'all' as const,
    extra: { session: { intra_op: { allow_spinning: '0' } } },
  };
  const ours = await ort.InferenceSession.create(bytes, opts);
  const timm = job.timmOnnx && existsSync(job.timmOnnx) ? await ort.InferenceSession.create(readFileSync(job.timmOnnx), opts) : null;
  const x = tf.randomUniform([1, job.size, job.size, 3], -1, 1, 'float32', 7) as tf.Tensor4D;
  const nchw = tf.transpose(x, [0, 3, 1, 2]).dataSync() as Float32Array;
  const runOrt = async (s: typeof ours) => {
    const t = performance.now();
    await s.run({ [s.inputNames[0]!]: new ort.Tensor('float32', nchw, [1, 3, job.size, job.size]) });
    return performance.now() - t;
  };
  const runTf = async () => {
    const t = performance.now();
    const y = model.forward(x);
    await y.data();
    y.dispose();
    return performance.now() - t;
  };
  // Same inputs through both runtimes first: how far ours-on-ORT is from ours-on-tfjs.
  const ref = model.forward(x);
  const got = await ours.run({ [ours.inputNames[0]!]: new ort.Tensor('float32', nchw, [1, 3, job.size, job.size]) });
  const out = got[ours.outputNames[0]!]!.data as Float32Array;
  const refData = ref.dataSync();
  let maxAbsDiff = 0;
  let maxAbs = 0;
  for (let i = 0; i < out.length; i++) {
    maxAbsDiff = Math.max(maxAbsDiff, Math.abs(out[i]! - refData[i]!));
    maxAbs = Math.max(maxAbs, Math.abs(refData[i]!));
  }
  // The bench's weights are random: logits can reach 1e7 (ghostnet_100), so the difference is read against their
  // size, as the parity bar reads it (|ORT - tfjs| / max(1, max |tfjs|)).
  const relDiff = maxAbsDiff / Math.max(1, maxAbs);
  ref.dispose();
  for (let i = 0; i < 3; i++) {
    await runTf();
    await runOrt(ours);
    if (timm) await runOrt(timm);
  }
  const s = { tfjs: [] as number[], ours: [] as number[], timm: [] as number[] };
  for (let i = 0; i < job.iters; i++) {
    // Alternating order, so drift in machine load hits every side alike.
    if (i % 2) {
      s.ours.push(await runOrt(ours));
      if (timm) s.timm.push(await runOrt(timm));
    } else {
      if (timm) s.timm.push(await runOrt(timm));
      s.ours.push(await runOrt(ours));
    }
    s.tfjs.push(await runTf());
  }
  await ours.release();
  await timm?.release();
  x.dispose();
  model.dispose();
  const oursMs = median(s.ours);
  const timmMs = timm ? median(s.timm) : undefined;
  return {
    threads: job.threads, tfjsThreads: info.threads, exportMs, onnxMB: mb(bytes.byteLength), maxAbsDiff, relDiff,
    tfjsMs: median(s.tfjs), oursOrtMs: oursMs, timmOrtMs: timmMs, ratioTimm: timmMs ? oursMs / timmMs : undefined, speedupVsTfjs: median(s.tfjs) / oursMs, samples: s,
  };
}

/**
 * Train throughput (#22): `trainStep`s of a randomly initialised model in train mode (SGD with Nesterov momentum and
 * weight decay, label-smoothing cross-entropy) on random input; one warmup step (it creates the momentum buffers).
 */
async function train(job: Extract<Job, { kind: 'train' }>) {
  const info = await setNodeBackend({ numThreads: job.threads, onNotice: null });
  const { createLoss, createOptimizer, trainStep } = await import('@zoo/train');
  const model = (await createModel(job.model, { numClasses: 10 })) as VisionModel;
  model.train();
  const optimizer = createOptimizer(model, { opt: 'sgd', lr: 0.01, momentum: 0.9, weightDecay: 1e-4 });
  const loss = createLoss({ smoothing: 0.1 });
  const x = tf.randomNormal([job.batch, job.size, job.size, 3], 0, 1, 'float32', 1);
  const labels = Array.from({ length: job.batch }, (_, i) => i % 10);
  await trainStep(model, optimizer, x, labels, loss);
  const tensorsAfterWarmup = tf.memory().numTensors;
  const times: number[] = [];
  for (let i = 0; i < job.steps; i++) {
    const t0 = performance.now();
    await trainStep(model, optimizer, x, labels, loss);
    times.push(performance.now() - t0);
  }
  const tensorsAtEnd = tf.memory().numTensors;
  x.dispose();
  optimizer.dispose();
  model.dispose();
  const stepMs = median(times);
  return { threads: info.threads, batch: job.batch, size: job.size, steps: job.steps, stepMs, imagesPerSec: (job.batch * 1000) / stepMs, tensorsAfterWarmup, tensorsAtEnd, peakRssMB: mb(peakRss()) };
}

async function main() {
  const job = JSON.parse(process.argv[2]!) as Job;
  if (job.kind === 'gemm') {
    process.stdout.write(`RESULT ${JSON.stringify(await gemm(job))}\n`);
    return;
  }
  await import(job.pkg);
  const out =
    job.kind === 'weights'
      ? await weights(job)
      : job.kind === 'load'
        ? await load(job)
        : job.kind === 'onnx'
          ? await onnx(job)
          : job.kind === 'train'
            ? await train(job)
            : await forward(job);
  process.stdout.write(`RESULT ${JSON.stringify(out)}\n`);
}

await main();
