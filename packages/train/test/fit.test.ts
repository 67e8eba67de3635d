import { mkdtempSync, readFileSync, rmSync } from 'node:fs';
import { tmpdir } from 'node:os';
import { join } from 'node:path';
import * as tf from '@tensorflow/tfjs-core';
import { createModel, setBackend, type VisionModel } from '@zoo/core';
import { afterAll, beforeAll, describe, expect, it } from 'vitest';
import '@zoo/resnet';
import { createEvalTransform, createTrainTransform, DataLoader, FitError, type FitEvent, fit, validate } from '../src/index.js';
import { type Dataset, IdxDataset, readIdx } from '../src/node.js';

// A real slice of Fashion-MNIST (T-shirt, Trouser, Sneaker; 60 each), labels mapped to 0, 1, 2
const fixtures = join(import.meta.dirname, 'fixtures');
const idx = new IdxDataset(readIdx(readFileSync(join(fixtures, 'fmnist-slice-images.gz'))), readIdx(readFileSync(join(fixtures, 'fmnist-slice-labels.gz'))));
const remap = new Map([[0, 0], [1, 1], [7, 2]]);
const subset = (from: number, to: number): Dataset => ({
  length: to - from,
  get: (i) => {
    const s = idx.get(from + i);
    return { image: s.image, target: remap.get(s.target)! };
  },
});
// the slice is in file order, classes interleaved: the first 120 train, the last 60 validate
const trainSet = subset(0, 120);
const valSet = subset(120, 180);
const cfg = { inputSize: [1, 28, 28] as [number, number, number], mean: [0.286], std: [0.353], cropPct: 1, interpolation: 'bilinear' };
const tmp = mkdtempSync(join(tmpdir(), 'zoo-fit-'));

beforeAll(async () => {
  expect((await setBackend('wasm')).backend).toBe('wasm');
});
afterAll(() => rmSync(tmp, { recursive: true, force: true }));

const newModel = () => createModel('resnet10t', { numClasses: 3, inChans: 1 }) as Promise<VisionModel>;

describe('fit', () => {
  it('learns Fashion-MNIST classes from scratch, validates, checkpoints, and resumes with the optimizer state', { timeout: 120_000 }, async () => {
    const model = await newModel();
    const train = new DataLoader(trainSet, createTrainTransform(cfg, { scale: [0.7, 1], colorJitter: 0 }), { batchSize: 16, shuffle: true, dropLast: true, seed: 1 });
    const val = new DataLoader(valSet, createEvalTransform(cfg), { batchSize: 30 });
    const out = join(tmp, 'run');
    const events: FitEvent[] = [];
    const tensorsAtEpochEnd: number[] = [];
    const before = await validate(model, val);
    const r1 = await fit(model, {
      train,
      val,
      epochs: 3,
      optimizer: { opt: 'adamw', lr: 2e-3, weightDecay: 0.05 },
      scheduler: { sched: 'cosine' },
      outDir: out,
      onEvent: (e) => {
        events.push(e);
        if (e.type === 'epochEnd') tensorsAtEpochEnd.push(tf.memory().numTensors);
      },
    });
    // stop after epoch 2 of 3 is simulated by resuming from epoch 2's checkpoint below; here all 3 ran
    expect(r1.history.map((h) => h.epoch)).toEqual([0, 1, 2]);
    const steps = events.filter((e) => e.type === 'step');
    expect(steps.length).toBe(3 * 7);
    const first = steps.slice(0, 3).reduce((a, e) => a + (e.type === 'step' ? e.loss : 0), 0) / 3;
    const last = r1.history[2]!.trainLoss;
    console.log(`fit test: first-steps loss ${first.toFixed(3)}, epoch losses ${r1.history.map((h) => h.trainLoss.toFixed(3)).join(" ")}, val top-1 ${r1.history.map((h) => h.val!.top1.toFixed(1)).join(" ")} (before ${before.top1.toFixed(1)})`);
    expect(last).toBeLessThan(first * 0.75);
    const acc = r1.history[2]!.val!;
    expect(acc.count).toBe(60);
    expect(acc.top1).toBeGreaterThanOrEqual(75); // chance is 33 %
    expect(acc.top1).toBeGreaterThan(before.top1 + 20);
    expect(acc.top5).toBe(100); // k is capped at the 3 classes, as timm's accuracy()
    // cosine over 3 epochs: lr·(1 + cos(πt/3))/2 at t = 0, 1, 2
    expect(r1.history.map((h) => h.lr)).toEqual([0, 1, 2].map((t) => expect.closeTo((2e-3 * (1 + Math.cos((Math.PI * t) / 3))) / 2, 12)));
    // no tensors leak from epoch to epoch
    expect(tensorsAtEpochEnd[2]).toBe(tensorsAtEpochEnd[1]);
    expect(events.filter((e) => e.type === 'checkpoint').length).toBeGreaterThanOrEqual(3);

    // the checkpoint loads through createModel('local-dir:…') and predicts as the trained model
    const loaded = (await createModel(`local-dir:${join(out, 'last')}`, { pretrained: true })) as VisionModel;
    const x = tf.randomNormal([2, 28, 28, 1], 0, 1, 'float32', 3);
    const [a, b] = [model.forward(x), loaded.forward(x)];
    expect(tf.max(tf.abs(tf.sub(a, b))).dataSync()[0]).toBeLessThan(1e-4);
    tf.dispose([x, a, b]);
    loaded.dispose();

    // resume: weights, optimizer moments and step count, epoch (nothing left to run at epochs: 3; one more at 4)
    const resumed = await newModel();
    const events2: FitEvent[] = [];
    const r2 = await fit(resumed, { train, val, epochs: 4, optimizer: { opt: 'adamw', lr: 2e-3, weightDecay: 0.05 }, resume: join(out, 'last'), onEvent: (e) => events2.push(e) });
    expect(r2.history.map((h) => h.epoch)).toEqual([3]);
    expect(r2.optimizer.stepCount).toBe(r1.optimizer.stepCount + 7);
    expect(events2[0]).toMatchObject({ type: 'epochStart', epoch: 3 });
    r1.optimizer.dispose();
    r2.optimizer.dispose();
    model.dispose();
    resumed.dispose();
  });

  it('restores the optimizer state exactly: one resumed epoch equals one uninterrupted epoch', { timeout: 120_000 }, async () => {
    const loader = () => new DataLoader(subset(0, 32), createEvalTransform(cfg), { batchSize: 16, shuffle: true, dropLast: true, seed: 2 });
    const opt = { opt: 'sgd' as const, lr: 0.05, momentum: 0.9 };
    const whole = await newModel();
    const ref = await newModel();
    ref.loadStateDict(whole.stateDict());
    const r = await fit(whole, { train: loader(), epochs: 2, optimizer: opt, scheduler: { sched: 'none' } });
    const out = join(tmp, 'half');
    const r1 = await fit(ref, { train: loader(), epochs: 1, optimizer: opt, scheduler: { sched: 'none' }, outDir: out });
    const cont = await newModel();
    const r2 = await fit(cont, { train: loader(), epochs: 2, optimizer: opt, scheduler: { sched: 'none' }, resume: join(out, 'last') });
    const sa = whole.stateDict();
    const sb = cont.stateDict();
    let worst = 0;
    for (const [k, t] of Object.entries(sa)) {
      const u = sb[k]!.data;
      for (let i = 0; i < t.data.length; i++) worst = Math.max(worst, Math.abs(Number(t.data[i]) - Number(u[i])));
    }
    expect(worst).toBeLessThan(1e-5);
    for (const o of [r.optimizer, r1.optimizer, r2.optimizer]) o.dispose();
    for (const m of [whole, ref, cont]) m.dispose();
  });

  it('bad options and a folder that is no checkpoint are FitErrors', async () => {
    const model = await newModel();
    const train = new DataLoader(subset(0, 16), createEvalTransform(cfg), { batchSize: 16 });
    await expect(fit(model, { train, epochs: 0 })).rejects.toThrow(/epochs must be an integer >= 1, got 0/);
    await expect(fit(model, { train, epochs: 1, scheduler: { sched: 'plateau' as never } })).rejects.toThrow(FitError);
    await expect(fit(model, { train, epochs: 1, resume: tmp })).rejects.toThrow(/train_state\.json cannot be read/);
    model.dispose();
  });
});
