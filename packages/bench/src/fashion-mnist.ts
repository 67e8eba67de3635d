/**
 * Fashion-MNIST from scratch (#22): a zoo model (default `resnet10t`, `inChans: 1`) trained with @zoo/train's `fit`
 * on the IDX files Debian's `dataset-fashion-mnist` installs, then top-1 on the 10k test set — all within a wall-clock
 * budget (default 10 minutes, everything included). The number of training images is sized to the budget from a
 * short calibration on a throwaway model: one cosine schedule (per update) over that many images. When the machine
 * slows down after the calibration, training stops at the point that leaves time for the test pass.
 *
 *   pnpm --filter @zoo/bench fashion-mnist [--minutes 10] [--model resnet10t] [--batch 64] [--threads 2] [--dir DIR]
 *
 * Writes bench-results/fashion-mnist.json.
 */
import { mkdirSync, writeFileSync } from 'node:fs';
import { availableParallelism, loadavg } from 'node:os';
import { dirname, join } from 'node:path';
import { fileURLToPath } from 'node:url';
import * as tf from '@tensorflow/tfjs-core';
import { createModel, type VisionModel } from '@zoo/core';
import { setNodeBackend } from '@zoo/core/node';
import '@zoo/resnet';
import { createEvalTransform, createLoss, createOptimizer, createTrainTransform, DataLoader, fit, Rng, trainStep, validate } from '@zoo/train';
import { type Dataset, DEBIAN_FASHION_MNIST_DIR, loadFashionMnist } from '@zoo/train/node';

const t0 = performance.now();
const elapsed = () => (performance.now() - t0) / 1000;
const flag = (name: string) => {
  const i = process.argv.indexOf(`--${name}`);
  return i >= 0 ? process.argv[i + 1] : undefined;
};
const budget = Number(flag('minutes') ?? 10) * 60;
const modelName = flag('model') ?? 'resnet10t';
const batchSize = Number(flag('batch') ?? 64);
const threads = Number(flag('threads') ?? availableParallelism());
const dir = flag('dir') ?? DEBIAN_FASHION_MNIST_DIR;
const load0 = loadavg();

const info = await setNodeBackend({ numThreads: threads, onNotice: null });
const trainSet = loadFashionMnist('train', dir);
const testSet = loadFashionMnist('test', dir);
// Fashion-MNIST's pixel mean and std (train set)
const config = { inputSize: [1, 28, 28], mean: [0.286], std: [0.353], cropPct: 1, interpolation: 'bilinear' };
const trainTransform = createTrainTransform(config, { scale: [0.85, 1], ratio: [0.9, 1.1], interpolation: 'bilinear', colorJitter: 0 });
const evalBatch = 250;
const test = new DataLoader(testSet, createEvalTransform(config), { batchSize: evalBatch });
const newModel = async () => (await createModel(modelName, { inChans: 1, numClasses: 10 })) as VisionModel;
console.log(`fashion-mnist: ${modelName}, ${trainSet.length} train / ${testSet.length} test images, batch ${batchSize}, wasm ${info.threads} thread(s), budget ${budget} s, load average ${load0.map((l) => l.toFixed(2)).join(' ')}`);

// Calibration on a throwaway model: train steps/s and the test pass's time.
const probe = await newModel();
probe.train();
const probeOpt = createOptimizer(probe, { opt: 'adamw', lr: 1e-3 });
const calib = new DataLoader(trainSet, trainTransform, { batchSize, shuffle: true, dropLast: true, seed: 99 });
let n = 0;
let stepTime = 0;
for await (const b of calib.epoch(0)) {
  const ts = performance.now();
  await trainStep(probe, probeOpt, b.x, b.y, createLoss());
  if (n > 0) stepTime += (performance.now() - ts) / 1000;
  b.dispose();
  if (++n === 4) break;
}
const secPerStep = stepTime / (n - 1);
probe.eval();
const evalProbe = new DataLoader({ length: evalBatch * 2, get: (i) => testSet.get(i) }, createEvalTransform(config), { batchSize: evalBatch });
const te = performance.now();
await validate(probe, evalProbe);
const evalSeconds = ((performance.now() - te) / 1000 / 2) * (testSet.length / evalBatch);
probeOpt.dispose();
probe.dispose();
const left = budget - elapsed() - evalSeconds * 1.15 - 15;
const steps = Math.max(1, Math.floor(left / (secPerStep * 1.1)));
const images = Math.min(steps * batchSize, trainSet.length);
console.log(`calibration: ${secPerStep.toFixed(3)} s/step (${(batchSize / secPerStep).toFixed(1)} img/s), test pass ≈ ${evalSeconds.toFixed(0)} s → ${images} training images (${(images / trainSet.length).toFixed(2)} epoch)`);

// One pass over a seeded random subset of that size, cosine per update with a short warmup.
const order = new Rng(42, 1).permutation(trainSet.length).slice(0, images);
const subset: Dataset = { length: images, get: (i) => trainSet.get(order[i]!) };
const train = new DataLoader(subset, trainTransform, { batchSize, shuffle: true, dropLast: true, seed: 42 });
const model = await newModel();
let lastLog = 0;
const stop = new AbortController();
const deadline = budget - evalSeconds * 1.15 - 10;
let stoppedAt: number | undefined;
const result = await fit(model, {
  signal: stop.signal,
  train,
  val: test,
  epochs: 1,
  optimizer: { opt: 'adamw', lr: 3e-3, weightDecay: 0.05 },
  scheduler: { sched: 'cosine', onUpdates: true, warmupEpochs: 0.03, warmupLr: 1e-4 },
  smoothing: 0.1,
  onEvent: (e) => {
    if (e.type === 'step' && (elapsed() - lastLog > 30 || e.step === e.steps)) {
      lastLog = elapsed();
      console.log(`  step ${e.step}/${e.steps} loss ${e.loss.toFixed(4)} lr ${e.lr.toExponential(2)} (${elapsed().toFixed(0)} s)`);
    }
    if (e.type === 'step' && e.step < e.steps && elapsed() > deadline && stoppedAt === undefined) {
      stoppedAt = e.step;
      console.log(`  out of time: stopping after step ${e.step}/${e.steps}`);
      stop.abort();
    }
  },
});
// stopped early: fit returns before its validation
const val = result.history[0]?.val ?? (await validate(model, test));
const seconds = elapsed();
const load1 = loadavg();
console.log(`test top-1 ${val.top1.toFixed(2)} %, top-5 ${val.top5.toFixed(2)} %, loss ${val.loss.toFixed(4)} on ${val.count} images; ${seconds.toFixed(0)} s in all; load average at the end ${load1.map((l) => l.toFixed(2)).join(' ')}`);
const here = dirname(fileURLToPath(import.meta.url));
mkdirSync(join(here, '..', 'bench-results'), { recursive: true });
const report = {
  startedAt: new Date(Date.now() - seconds * 1000).toISOString(), model: modelName, threads: info.threads, batchSize, budgetSeconds: budget, secondsTotal: seconds,
  calibration: { secPerStep, evalSeconds }, trainImages: images, stoppedAtStep: stoppedAt ?? null, trainLoss: result.history[0]?.trainLoss ?? null, test: val, loadavgStart: load0, loadavgEnd: load1, tensorsAtEnd: tf.memory().numTensors,
};
writeFileSync(join(here, '..', 'bench-results', 'fashion-mnist.json'), `${JSON.stringify(report, null, 2)}\n`);
result.optimizer.dispose();
model.dispose();
