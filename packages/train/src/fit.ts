/**
 * `fit`: timm's `train.py` loop for one model — epochs of {@link trainStep} over a {@link DataLoader}, the lr
 * schedule stepped per epoch (or per update), validation (loss, top-1, top-5 as timm's `validate`), checkpoints in
 * timm's hub format (core's `saveModel`: `config.json` + `model.safetensors`, loadable by `createModel('local-dir:…')`
 * and by Python timm), and resume from such a checkpoint. File access (checkpoints, resume) loads `node:fs` when used,
 * so the loop itself also runs in a page (without `outDir` / `resume`).
 */
import * as tf from '@tensorflow/tfjs-core';
import { type Param, readSafetensors, type SaveModelOptions, type StateDict, saveModel, type VisionModel, writeSafetensors } from '@zoo/core';
import type { DataLoader } from './data/loader.js';
import { createLoss, type LossFn } from './loss.js';
import { createOptimizer, type Optimizer, type OptimizerOptions } from './optim.js';
import { CosineLRScheduler, StepLRScheduler } from './scheduler.js';
import { trainStep } from './step.js';

/** Progress of {@link fit}, in the order they happen. */
export type FitEvent =
  | { type: 'epochStart'; epoch: number; epochs: number; lr: number; steps: number }
  | { type: 'step'; epoch: number; step: number; steps: number; loss: number; lr: number; imagesPerSec: number }
  | { type: 'validate'; epoch: number; step: number; steps: number }
  | { type: 'epochEnd'; epoch: number; epochs: number; trainLoss: number; lr: number; seconds: number; val?: ValidateResult }
  | { type: 'checkpoint'; epoch: number; dir: string; best: boolean };

export interface ValidateResult {
  loss: number;
  /** Top-1 accuracy in percent (timm's `accuracy`). */
  top1: number;
  /** Top-5 accuracy in percent (k capped at the number of classes, as timm's `accuracy`). */
  top5: number;
  count: number;
}

export interface SchedulerChoice {
  /** timm's `--sched`: cosine (default), step, or none (constant lr). */
  sched?: 'cosine' | 'step' | 'none';
  /** Warmup epochs from `warmupLr` (timm's `--warmup-epochs`). Default 0. */
  warmupEpochs?: number;
  /** Default 1e-5 (timm's `--warmup-lr`). */
  warmupLr?: number;
  /** Cosine's floor (timm's `--min-lr`). Default 0. */
  minLr?: number;
  /** Step schedule: decay every this many epochs (timm's `--decay-epochs`, default 90) by `decayRate` (0.1). */
  decayEpochs?: number;
  decayRate?: number;
  /** Step the schedule after every update instead of every epoch (timm's `--sched-on-updates`). Default false. */
  onUpdates?: boolean;
}

export interface FitOptions {
  train: DataLoader;
  val?: DataLoader;
  epochs: number;
  /** An optimizer of {@link createOptimizer}, or its options. Default `{ opt: 'sgd', lr: 0.05, weightDecay: 2e-5 }` (timm's train.py). */
  optimizer?: Optimizer | OptimizerOptions;
  scheduler?: SchedulerChoice;
  /** Label smoothing for the default loss (timm's `--smoothing`, default 0.1). */
  smoothing?: number;
  /** Another loss (logits, targets → scalar). */
  loss?: LossFn;
  /** Folder for checkpoints: `last/` after each epoch, `best/` when validation top-1 improves. */
  outDir?: string;
  /** What `saveModel` writes with the weights (model args, label names). `inChans` is added when it is not 3. */
  save?: SaveModelOptions;
  /** A checkpoint folder written by `fit` to continue from (weights, optimizer state, epoch). */
  resume?: string;
  onEvent?: (event: FitEvent) => void;
  /** Stops after the current step (the epoch's checkpoint is not written). */
  signal?: AbortSignal;
}

export interface FitResult {
  /** Per finished epoch: mean train loss, the lr at its start (the lr of the whole epoch unless stepped per update), validation. */
  history: { epoch: number; trainLoss: number; lr: number; val?: ValidateResult }[];
  best?: { epoch: number; top1: number };
  optimizer: Optimizer;
}

/** Raised for invalid fit options or an unreadable resume folder; the model is unchanged. */
export class FitError extends Error {
  override name = 'FitError';
}

/**
 * timm's `validate`: the model in eval mode over every batch of `loader`; mean loss (cross-entropy unless `loss` is
 * given), top-1 and top-5 accuracy in percent.
 */
export async function validate(model: VisionModel, loader: DataLoader, options: { loss?: LossFn; onBatch?: (step: number, steps: number) => void } = {}): Promise<ValidateResult> {
  const lossFn = options.loss ?? createLoss();
  const wasTraining = model.training;
  model.eval();
  let lossSum = 0;
  let c1 = 0;
  let c5 = 0;
  let count = 0;
  let step = 0;
  try {
    for await (const batch of loader.epoch(0)) {
      try {
        const [l, k1, k5] = tf.tidy(() => {
          const logits = model.forward(batch.x) as tf.Tensor2D;
          const classes = logits.shape[1];
          const k = Math.min(5, classes);
          const { indices } = tf.topk(logits, k);
          const hit = tf.cast(tf.equal(indices, tf.expandDims(batch.y, 1)), 'float32');
          const top1 = tf.sum(tf.slice(hit, [0, 0], [-1, 1]));
          return [tf.mul(lossFn(logits, batch.y), batch.size), top1, tf.sum(hit)];
        });
        const [lv, a1, a5] = await Promise.all([l.data(), k1.data(), k5.data()]);
        tf.dispose([l, k1, k5]);
        lossSum += lv[0]!;
        c1 += a1[0]!;
        c5 += a5[0]!;
        count += batch.size;
      } finally {
        batch.dispose();
      }
      options.onBatch?.(++step, loader.length);
    }
  } finally {
    model.train(wasTraining);
  }
  return { loss: lossSum / Math.max(1, count), top1: (100 * c1) / Math.max(1, count), top5: (100 * c5) / Math.max(1, count), count };
}

/** What `fit` writes beside a checkpoint's weights to resume from it. */
interface TrainState {
  format: 'zoo-train-state';
  /** Epochs finished. */
  epoch: number;
  stepCount: number;
  best?: { epoch: number; top1: number };
}

/**
 * The optimizer's per-parameter tensors. The Optimizer class keeps them in a private map; `fit` reads and fills it
 * to save and resume (tfjs layouts, keyed `<param>.<slot>`).
 */
function optimizerSlots(optimizer: Optimizer): Map<Param, tf.Tensor[]> | undefined {
  const state = (optimizer as unknown as { state?: unknown }).state;
  return state instanceof Map ? (state as Map<Param, tf.Tensor[]>) : undefined;
}

const join = (dir: string, file: string) => `${dir.replace(/[\\/]+$/, '')}/${file}`;
const fsp = () => import('node:fs/promises');

async function saveOptimizer(optimizer: Optimizer, file: string): Promise<void> {
  const slots = optimizerSlots(optimizer);
  const sd: StateDict = {};
  const names = new Map<Param, string>();
  for (const g of optimizer.groups) for (const [n, p] of g.params) names.set(p, n);
  for (const [p, ts] of slots ?? []) {
    const name = names.get(p);
    if (!name) continue;
    for (let k = 0; k < ts.length; k++) sd[`${name}.${k}`] = { dtype: 'float32', shape: [...ts[k]!.shape], data: (await ts[k]!.data()) as Float32Array };
  }
  await (await fsp()).writeFile(file, writeSafetensors(sd, { format: 'zoo-optimizer', opt: optimizer.opt, layout: 'tfjs' }));
}

async function loadOptimizer(optimizer: Optimizer, file: string): Promise<number> {
  const slots = optimizerSlots(optimizer);
  if (!slots) return 0;
  const file_ = readSafetensors(await (await fsp()).readFile(file), { source: file });
  const sd = file_.tensors as StateDict;
  let n = 0;
  for (const g of optimizer.groups) {
    for (const [name, p] of g.params) {
      const ts: tf.Tensor[] = [];
      for (let k = 0; sd[`${name}.${k}`]; k++) {
        const t = sd[`${name}.${k}`]!;
        if (t.shape.join() !== p.value.shape.join()) throw new FitError(`${file}: optimizer state ${name}.${k} has shape [${t.shape.join(', ')}], the parameter [${p.value.shape.join(', ')}]`);
        ts.push(tf.tensor(t.data as Float32Array, t.shape, 'float32'));
      }
      if (ts.length) {
        for (const old of slots.get(p) ?? []) old.dispose();
        slots.set(p, ts);
        n++;
      }
    }
  }
  return n;
}

async function readState(dir: string): Promise<TrainState> {
  let state: TrainState;
  try {
    state = JSON.parse(await (await fsp()).readFile(join(dir, 'train_state.json'), 'utf8')) as TrainState;
  } catch (e) {
    throw new FitError(`resume: ${join(dir, 'train_state.json')} cannot be read (${e instanceof Error ? e.message : String(e)}); resume from a folder fit wrote (its last/ or best/)`);
  }
  if (state.format !== 'zoo-train-state' || !Number.isInteger(state.epoch)) throw new FitError(`resume: ${join(dir, 'train_state.json')} is not a fit train state`);
  return state;
}

/**
 * Trains `model` for `epochs` epochs (timm's train.py loop): `model.train()`, a step per batch of `train`, the lr
 * schedule, validation on `val` after each epoch, checkpoints in `outDir`. Resuming restores the weights (and
 * BatchNorm statistics), the optimizer's state (momentum buffers / Adam moments and its step count), the epoch to
 * continue from and the best top-1 so far; the schedule continues from that epoch.
 */
export async function fit(model: VisionModel, options: FitOptions): Promise<FitResult> {
  const { train, val, epochs } = options;
  if (!(Number.isInteger(epochs) && epochs >= 1)) throw new FitError(`fit: epochs must be an integer >= 1, got ${String(epochs)}`);
  const sched = options.scheduler ?? {};
  const schedName = sched.sched ?? 'cosine';
  if (!['cosine', 'step', 'none'].includes(schedName)) throw new FitError(`fit: unknown scheduler '${schedName}' (cosine, step or none)`);
  let state: TrainState | undefined;
  if (options.resume) {
    state = await readState(options.resume);
    const file = join(options.resume, 'model.safetensors');
    const weights = readSafetensors(await (await fsp()).readFile(file), { source: file });
    model.loadStateDict(weights.tensors as StateDict);
  }
  const optimizer = options.optimizer && 'step' in options.optimizer ? options.optimizer : createOptimizer(model, options.optimizer ?? { opt: 'sgd', lr: 0.05, weightDecay: 2e-5 });
  const lossFn = options.loss ?? createLoss({ smoothing: options.smoothing ?? 0.1 });
  const stepsPerEpoch = train.length;
  const onUpdates = sched.onUpdates ?? false;
  const warmupT = (sched.warmupEpochs ?? 0) * (onUpdates ? stepsPerEpoch : 1);
  const common = { warmupT, warmupLrInit: sched.warmupLr ?? 1e-5, tInEpochs: !onUpdates };
  const scheduler =
    schedName === 'cosine'
      ? new CosineLRScheduler(optimizer, { ...common, tInitial: epochs * (onUpdates ? stepsPerEpoch : 1), lrMin: sched.minLr ?? 0 })
      : schedName === 'step'
        ? new StepLRScheduler(optimizer, { ...common, decayT: (sched.decayEpochs ?? 90) * (onUpdates ? stepsPerEpoch : 1), decayRate: sched.decayRate ?? 0.1 })
        : undefined;
  let start = 0;
  let best = state?.best;
  if (state && options.resume) {
    start = state.epoch;
    await loadOptimizer(optimizer, join(options.resume, 'optimizer.safetensors'));
    optimizer.stepCount = state.stepCount;
  }
  // timm: scheduler.step(start_epoch) before the first epoch
  scheduler?.step(start);
  scheduler?.stepUpdate(start * stepsPerEpoch);
  const emit = options.onEvent ?? (() => {});
  // a model built for other than 3 input channels is rebuilt so by whoever loads the checkpoint (timm's model_args)
  const inChans = (model as { inChans?: number }).inChans;
  const saveOptions: SaveModelOptions = { ...options.save, modelArgs: { ...(inChans && inChans !== 3 ? { inChans } : {}), ...options.save?.modelArgs } };
  const history: FitResult['history'] = [];
  const lr = () => optimizer.groups[optimizer.groups.length - 1]?.lr ?? 0;
  for (let epoch = start; epoch < epochs; epoch++) {
    model.train();
    const epochLr = lr();
    emit({ type: 'epochStart', epoch, epochs, lr: epochLr, steps: stepsPerEpoch });
    const t0 = performance.now();
    let lossSum = 0;
    let seen = 0;
    let step = 0;
    for await (const batch of train.epoch(epoch)) {
      const ts = performance.now();
      let loss: number;
      try {
        ({ loss } = await trainStep(model, optimizer, batch.x, batch.y, lossFn));
      } finally {
        batch.dispose();
      }
      if (!Number.isFinite(loss)) throw new FitError(`fit: the loss is ${loss} at epoch ${epoch} step ${step}; lower the learning rate`);
      lossSum += loss * batch.size;
      seen += batch.size;
      step++;
      scheduler?.stepUpdate(epoch * stepsPerEpoch + step);
      emit({ type: 'step', epoch, step, steps: stepsPerEpoch, loss, lr: lr(), imagesPerSec: (batch.size * 1000) / (performance.now() - ts) });
      if (options.signal?.aborted) {
        model.eval();
        return { history, best, optimizer };
      }
    }
    const valResult = val ? await validate(model, val, { onBatch: (s, n) => emit({ type: 'validate', epoch, step: s, steps: n }) }) : undefined;
    scheduler?.step(epoch + 1);
    const trainLoss = lossSum / Math.max(1, seen);
    history.push({ epoch, trainLoss, lr: epochLr, val: valResult });
    emit({ type: 'epochEnd', epoch, epochs, trainLoss, lr: epochLr, seconds: (performance.now() - t0) / 1000, val: valResult });
    const improved = valResult !== undefined && (best === undefined || valResult.top1 > best.top1);
    if (improved) best = { epoch, top1: valResult.top1 };
    if (options.outDir) {
      const trainState: TrainState = { format: 'zoo-train-state', epoch: epoch + 1, stepCount: optimizer.stepCount, best };
      for (const [sub, isBest] of [['last', false], ...(improved ? [['best', true]] : [])] as [string, boolean][]) {
        const dir = join(options.outDir, sub);
        model.eval();
        await saveModel(model, dir, saveOptions);
        await (await fsp()).writeFile(join(dir, 'train_state.json'), `${JSON.stringify(trainState, null, 2)}\n`);
        await saveOptimizer(optimizer, join(dir, 'optimizer.safetensors'));
        emit({ type: 'checkpoint', epoch, dir, best: isBest });
      }
    }
  }
  model.eval();
  return { history, best, optimizer };
}
