/**
 * `zoo train` and `zoo validate`: timm's train.py and validate.py on an image folder (one subfolder per class), with
 * @zoo/train's `fit` / `validate`, a progress bar on stderr and results on stdout.
 */
import { existsSync, statSync } from 'node:fs';
import { join } from 'node:path';
import { parseArgs } from 'node:util';
import { type CreateModelOptions, type DataConfig, freeze, freezeExcept, resolveDataConfig, setBackend, type VisionModel } from '@zoo/core';
import {
  createEvalTransform,
  createTrainTransform,
  DataLoader,
  type FitEvent,
  fit,
  type OptName,
  type SampleTransform,
  type TrainTransformOptions,
  validate,
} from '@zoo/train';
import { ImageFolder, searchSplit } from '@zoo/train/node';

type Out = (s: string) => void;
interface Io {
  out: Out;
  err: Out;
}

/** What the CLI's main module lends these commands (its error classes and model loading). */
export interface TrainHelpers {
  UsageError: new (msg: string) => Error;
  UserError: new (msg: string) => Error;
  loadModel(name: string, io: Io, opts: { weights?: string; pretrained?: boolean; extra?: CreateModelOptions }): Promise<VisionModel>;
  backendOptions(threads: string | undefined): { numThreads?: number };
}

export const TRAIN_HELP = `Usage: zoo train <model> --data DIR [--pretrained | --weights f] [--epochs N] [--batch-size N] [--lr X] [--opt name] [--out DIR] …

Trains (or fine-tunes) a model on an image folder as timm's train.py: DIR/train (or DIR/training, else DIR) and
DIR/validation (or val, valid, eval…; optional) hold one subfolder of images per class. The classifier gets one
output per class. Checkpoints (timm's hub format: config.json + model.safetensors, plus the optimizer state) go to
OUT/last after each epoch and OUT/best when validation top-1 improves; load them with 'local-dir:OUT/best'.
  --data <dir>            the image folder (required)
  --train-split <name>    default train;  --val-split <name>  default validation ('' for none)
  --pretrained            start from the pretrained weights (downloaded once, then cached)
  --weights <file>        start from weights in a local .safetensors / .pth file
  --epochs N              default 10
  --batch-size N          default 32 (the last partial batch is dropped, as timm)
  --lr X                  default: timm's lr_base 0.1 (adam/adamw/rmsproptf: 0.005) scaled by batch size / 256
  --opt <name>            sgd (Nesterov, default), momentum, adam, adamw, rmsproptf
  --momentum X            default 0.9;  --weight-decay X  default 2e-5
  --smoothing X           label smoothing, default 0.1
  --sched <name>          cosine (default), step, none;  --warmup-epochs N  default 0;  --min-lr X  default 0
  --decay-epochs N        step schedule, default 90;  --decay-rate X  default 0.1
  --freeze <list>         freeze these submodules (comma separated, e.g. conv1,bn1,layer1)
  --head-only             train only the classifier (everything else frozen)
  --img-size N            square input size (default: the model's);  --in-chans N  1 or 3 (default 3)
  --aa <spec>             RandAugment as timm's --aa, e.g. rand-m9-mstd0.5 (turns color jitter off, as timm)
  --no-aug                no augmentation (resize + center crop, as evaluation)
  --scale lo,hi           RandomResizedCrop scale, default 0.08,1;  --ratio lo,hi  default 0.75,1.3333
  --hflip P               default 0.5;  --color-jitter X  default 0.4
  --train-interpolation   random (bilinear or bicubic per image, default), bilinear, bicubic, …
  --seed N                default 42 (shuffles and augmentation draws)
  --resume <dir>          continue from a checkpoint folder written by zoo train (OUT/last)
  --out <dir>             default ./output/train/<model>
  --threads N             wasm threads, 1 to 8
  --json                  print the per-epoch history as JSON`;

export const VALIDATE_HELP = `Usage: zoo validate <model> --data DIR [--split name] [--pretrained | --weights f] [--batch-size N] [--img-size N] [--json]

Evaluates a model on an image folder as timm's validate.py: loss (cross-entropy), top-1 and top-5 accuracy. The
model may be a checkpoint folder written by zoo train: 'local-dir:OUT/best'.
  --data <dir>            the image folder (its 'validation' / 'val' / … subfolder when there is one)
  --split <name>          default validation
  --pretrained            the pretrained weights (implied for local-dir: and hf-hub: names)
  --weights <file>        weights from a local .safetensors / .pth file
  --batch-size N          default 32
  --img-size N            square input size (default: the model's);  --in-chans N  1 or 3
  --threads N             wasm threads, 1 to 8
  --json                  print { top1, top5, loss, count } as JSON`;

function num(v: string | undefined, flag: string, dflt: number, h: TrainHelpers, check: (x: number) => boolean = (x) => x >= 0): number {
  if (v === undefined) return dflt;
  const x = Number(v);
  if (v.trim() === '' || !Number.isFinite(x) || !check(x)) throw new h.UsageError(`${flag}: bad value '${v}'`);
  return x;
}

function int(v: string | undefined, flag: string, dflt: number, h: TrainHelpers, min = 1): number {
  if (v === undefined) return dflt;
  if (!/^\d+$/.test(v) || Number(v) < min) throw new h.UsageError(`${flag} must be an integer >= ${min}, got '${v}'`);
  return Number(v);
}

function pair(v: string | undefined, flag: string, h: TrainHelpers): [number, number] | undefined {
  if (v === undefined) return undefined;
  const p = v.split(',').map(Number);
  if (p.length !== 2 || !p.every((x) => Number.isFinite(x) && x > 0) || p[0]! > p[1]!) throw new h.UsageError(`${flag} must be lo,hi (0 < lo <= hi), got '${v}'`);
  return p as [number, number];
}

function dataRoot(dir: string | undefined, h: TrainHelpers): string {
  if (dir === undefined) throw new h.UsageError('--data <dir> is required (an image folder, one subfolder per class)');
  if (!(existsSync(dir) && statSync(dir).isDirectory())) throw new h.UserError(`data folder not found: ${dir}`);
  return dir;
}

function folder(root: string, split: string, h: TrainHelpers, classToIdx?: Record<string, number>): ImageFolder {
  try {
    return new ImageFolder(searchSplit(root, split), classToIdx ? { classToIdx } : {});
  } catch (e) {
    throw new h.UserError(e instanceof Error ? e.message : String(e));
  }
}

function dataConfig(model: VisionModel, imgSize: string | undefined, inChans: number, h: TrainHelpers): DataConfig {
  const size = imgSize === undefined ? undefined : int(imgSize, '--img-size', 0, h, 8);
  const base = resolveDataConfig({ model });
  const mean = inChans === 1 ? [base.mean.reduce((a, b) => a + b, 0) / base.mean.length] : base.mean;
  const std = inChans === 1 ? [base.std.reduce((a, b) => a + b, 0) / base.std.length] : base.std;
  return { ...base, inputSize: [inChans, size ?? base.inputSize[1], size ?? base.inputSize[2]], mean, std };
}

function inChansOf(v: string | undefined, h: TrainHelpers): number {
  const c = int(v, '--in-chans', 3, h);
  if (c !== 1 && c !== 3) throw new h.UsageError(`--in-chans must be 1 or 3, got '${v}'`);
  return c;
}

/** A one-line progress bar on a terminal (redrawn), a line every few seconds otherwise. */
function progressBar(err: Out): { update(text: string, frac: number): void; done(): void } {
  const tty = Boolean(process.stderr.isTTY);
  let last = 0;
  let open = false;
  return {
    update(text, frac) {
      const now = Date.now();
      if (now - last < (tty ? 100 : 5000) && frac < 1) return;
      last = now;
      const width = 24;
      const filled = Math.round(Math.min(1, frac) * width);
      const line = `[${'#'.repeat(filled)}${'.'.repeat(width - filled)}] ${text}`;
      if (tty) {
        process.stderr.write(`\r${line}\x1b[K`);
        open = true;
      } else err(line);
    },
    done() {
      if (tty && open) process.stderr.write('\n');
      open = false;
    },
  };
}

const fmt = (x: number, d = 4) => (Math.abs(x) >= 1e-3 || x === 0 ? x.toFixed(d) : x.toExponential(2));

export async function cmdTrain(args: string[], io: Io, h: TrainHelpers): Promise<void> {
  const { values, positionals } = parseArgs({
    args,
    allowPositionals: true,
    options: {
      data: { type: 'string' },
      'train-split': { type: 'string' },
      'val-split': { type: 'string' },
      pretrained: { type: 'boolean' },
      weights: { type: 'string' },
      epochs: { type: 'string' },
      'batch-size': { type: 'string' },
      lr: { type: 'string' },
      opt: { type: 'string' },
      momentum: { type: 'string' },
      'weight-decay': { type: 'string' },
      smoothing: { type: 'string' },
      sched: { type: 'string' },
      'warmup-epochs': { type: 'string' },
      'min-lr': { type: 'string' },
      'decay-epochs': { type: 'string' },
      'decay-rate': { type: 'string' },
      freeze: { type: 'string' },
      'head-only': { type: 'boolean' },
      'img-size': { type: 'string' },
      'in-chans': { type: 'string' },
      'no-aug': { type: 'boolean' },
      aa: { type: 'string' },
      scale: { type: 'string' },
      ratio: { type: 'string' },
      hflip: { type: 'string' },
      'color-jitter': { type: 'string' },
      'train-interpolation': { type: 'string' },
      seed: { type: 'string' },
      resume: { type: 'string' },
      out: { type: 'string' },
      threads: { type: 'string' },
      json: { type: 'boolean' },
    },
  });
  if (positionals.length !== 1) throw new h.UsageError('train takes one model name');
  const name = positionals[0]!;
  if (values.pretrained && values.weights !== undefined) throw new h.UsageError('give --pretrained or --weights, not both');
  const root = dataRoot(values.data, h);
  const epochs = int(values.epochs, '--epochs', 10, h);
  const batchSize = int(values['batch-size'], '--batch-size', 32, h);
  const opt = (values.opt ?? 'sgd') as OptName;
  if (!['sgd', 'nesterov', 'momentum', 'adam', 'adamw', 'rmsproptf'].includes(opt)) {
    throw new h.UsageError(`--opt must be one of sgd, nesterov, momentum, adam, adamw, rmsproptf; got '${opt}'`);
  }
  // timm's train.py: lr = lr_base · batch / 256 (lr_base 0.1; 0.005 for the adaptive optimizers, linear scaling)
  const lrBase = ['adam', 'adamw', 'rmsproptf'].includes(opt) ? 0.005 : 0.1;
  const lr = num(values.lr, '--lr', (lrBase * batchSize) / 256, h, (x) => x > 0);
  const sched = values.sched ?? 'cosine';
  if (sched !== 'cosine' && sched !== 'step' && sched !== 'none') throw new h.UsageError(`--sched must be cosine, step or none; got '${sched}'`);
  const inChans = inChansOf(values['in-chans'], h);
  const seed = int(values.seed, '--seed', 42, h, 0);
  const aug: TrainTransformOptions = {
    scale: pair(values.scale, '--scale', h),
    ratio: pair(values.ratio, '--ratio', h),
    hflip: num(values.hflip, '--hflip', 0.5, h, (x) => x >= 0 && x <= 1),
    colorJitter: num(values['color-jitter'], '--color-jitter', 0.4, h),
    interpolation: (values['train-interpolation'] ?? 'random') as TrainTransformOptions['interpolation'],
    autoAugment: values.aa,
  };
  const smoothing = num(values.smoothing, '--smoothing', 0.1, h, (x) => x >= 0 && x < 1);
  const trainSet = folder(root, values['train-split'] ?? 'train', h);
  const valSplit = values['val-split'] ?? 'validation';
  const valRoot = valSplit ? searchSplit(root, valSplit) : '';
  const trainRoot = searchSplit(root, values['train-split'] ?? 'train');
  // a validation folder that is the training folder itself (no split subfolders) is not used for validation
  const valSet = valRoot && valRoot !== trainRoot ? folder(root, valSplit, h, { ...trainSet.classToIdx }) : undefined;
  if (trainSet.length < batchSize) throw new h.UserError(`${trainSet.root}: ${trainSet.length} images make no full batch of ${batchSize}; lower --batch-size`);
  const out = values.out ?? join('output', 'train', name.replace(/[:/\\]/g, '_'));

  await setBackend('wasm', h.backendOptions(values.threads));
  const numClasses = trainSet.classes.length;
  const model = await h.loadModel(name, io, { weights: values.weights, pretrained: values.pretrained, extra: { numClasses, ...(inChans !== 3 ? { inChans } : {}) } });
  try {
    try {
      if (values['head-only']) freezeExcept(model, [String(model.pretrainedCfg.classifier ?? 'fc')]);
      if (values.freeze) freeze(model, values.freeze.split(',').map((s) => s.trim()).filter(Boolean));
    } catch (e) {
      throw new h.UserError(`--freeze: ${e instanceof Error ? e.message : String(e)}`);
    }
    const cfg = dataConfig(model, values['img-size'], inChans, h);
    let trainTransform: SampleTransform;
    try {
      trainTransform = values['no-aug'] ? createEvalTransform(cfg) : createTrainTransform(cfg, aug);
    } catch (e) {
      throw new h.UsageError(e instanceof Error ? e.message : String(e));
    }
    const train = new DataLoader(trainSet, trainTransform, { batchSize, shuffle: true, dropLast: true, seed });
    const val = valSet ? new DataLoader(valSet, createEvalTransform(cfg), { batchSize }) : undefined;
    io.err(
      `train ${model.modelName || name}: ${trainSet.length} images, ${numClasses} classes (${trainSet.classes.join(', ')})${valSet ? `; validation ${valSet.length} images` : '; no validation folder'}; input ${cfg.inputSize.join('x')}, ${opt} lr ${fmt(lr)}, ${epochs} epochs of ${train.length} steps`,
    );
    const bar = progressBar(io.err);
    const onEvent = (e: FitEvent) => {
      if (e.type === 'step') bar.update(`epoch ${e.epoch + 1}/${epochs} step ${e.step}/${e.steps} loss ${fmt(e.loss)} lr ${fmt(e.lr, 5)} ${e.imagesPerSec.toFixed(1)} img/s`, e.step / e.steps);
      else if (e.type === 'validate') bar.update(`epoch ${e.epoch + 1}/${epochs} validating ${e.step}/${e.steps}`, e.step / e.steps);
      else if (e.type === 'epochEnd') {
        bar.done();
        const v = e.val ? `  val loss ${fmt(e.val.loss)}  top-1 ${e.val.top1.toFixed(2)}  top-5 ${e.val.top5.toFixed(2)}` : '';
        if (!values.json) io.out(`epoch ${e.epoch + 1}/${epochs}  train loss ${fmt(e.trainLoss)}${v}  lr ${fmt(e.lr, 5)}  ${e.seconds.toFixed(1)} s`);
      }
    };
    const labelNames = [...trainSet.classes];
    const result = await fit(model, {
      train,
      val,
      epochs,
      optimizer: { opt, lr, momentum: num(values.momentum, '--momentum', 0.9, h), weightDecay: num(values['weight-decay'], '--weight-decay', 2e-5, h) },
      scheduler: {
        sched,
        warmupEpochs: int(values['warmup-epochs'], '--warmup-epochs', 0, h, 0),
        minLr: num(values['min-lr'], '--min-lr', 0, h),
        decayEpochs: int(values['decay-epochs'], '--decay-epochs', 90, h),
        decayRate: num(values['decay-rate'], '--decay-rate', 0.1, h),
      },
      smoothing,
      outDir: out,
      save: { labelNames },
      resume: values.resume,
      onEvent,
    });
    result.optimizer.dispose();
    if (values.json) io.out(JSON.stringify({ history: result.history, best: result.best ?? null, out }, null, 2));
    else io.out(`checkpoint: ${join(out, 'last')}${result.best ? `; best top-1 ${result.best.top1.toFixed(2)} at epoch ${result.best.epoch + 1}: ${join(out, 'best')}` : ''}`);
  } finally {
    model.dispose();
  }
}

export async function cmdValidate(args: string[], io: Io, h: TrainHelpers): Promise<void> {
  const { values, positionals } = parseArgs({
    args,
    allowPositionals: true,
    options: {
      data: { type: 'string' },
      split: { type: 'string' },
      pretrained: { type: 'boolean' },
      weights: { type: 'string' },
      'batch-size': { type: 'string' },
      'img-size': { type: 'string' },
      'in-chans': { type: 'string' },
      threads: { type: 'string' },
      json: { type: 'boolean' },
    },
  });
  if (positionals.length !== 1) throw new h.UsageError('validate takes one model name');
  const name = positionals[0]!;
  if (values.pretrained && values.weights !== undefined) throw new h.UsageError('give --pretrained or --weights, not both');
  const root = dataRoot(values.data, h);
  const batchSize = int(values['batch-size'], '--batch-size', 32, h);
  const inChans = inChansOf(values['in-chans'], h);
  const ds = folder(root, values.split ?? 'validation', h);
  await setBackend('wasm', h.backendOptions(values.threads));
  const hub = /^(local-dir|hf-hub|hf_hub):/.test(name);
  const model = await h.loadModel(name, io, { weights: values.weights, pretrained: values.pretrained || hub, extra: inChans !== 3 ? { inChans } : {} });
  try {
    if (ds.classes.length > model.numClasses) {
      throw new h.UserError(`${ds.root} has ${ds.classes.length} classes, the model ${model.numClasses} outputs`);
    }
    const cfg = dataConfig(model, values['img-size'], (model as { inChans?: number }).inChans ?? inChans, h);
    const loader = new DataLoader(ds, createEvalTransform(cfg), { batchSize });
    const bar = progressBar(io.err);
    const t0 = performance.now();
    const r = await validate(model, loader, { onBatch: (s, n) => bar.update(`batch ${s}/${n}`, s / n) });
    bar.done();
    const seconds = (performance.now() - t0) / 1000;
    if (values.json) io.out(JSON.stringify({ model: name, top1: r.top1, top5: r.top5, loss: r.loss, count: r.count, seconds }, null, 2));
    else io.out(`${name}: top-1 ${r.top1.toFixed(3)}  top-5 ${r.top5.toFixed(3)}  loss ${fmt(r.loss)}  (${r.count} images, ${seconds.toFixed(1)} s)`);
  } finally {
    model.dispose();
  }
}
