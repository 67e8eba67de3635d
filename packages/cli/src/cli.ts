/**
 * `zoo`: list, inspect, run and time @zoo models from the command line. Results go to stdout; progress, warnings
 * and errors to stderr. Exit codes: 0 success, 1 user error (unknown model, missing image, bad weights…), 2 bad usage.
 */
import { existsSync, statSync, writeFileSync } from 'node:fs';
import { basename } from 'node:path';
import { parseArgs } from 'node:util';
import * as tf from '@tensorflow/tfjs-core';
import {
  type BackendName,
  type CreateModelOptions,
  createModel,
  type FeatureModel,
  familyPackages,
  getModelModule,
  listModels,
  listModules,
  type StateDict,
  setBackend,
  toTimmDict,
  UnknownModelError,
  type VisionModel,
  writeSafetensors,
} from '@zoo/core';
import { createNodeTransform, MAX_NODE_THREADS } from '@zoo/core/node';
import { coreData } from './core-data.js';
import { discoverPlugins, importPlugin, PluginError } from './plugins.js';
import { cmdTrain, cmdValidate, TRAIN_HELP, VALIDATE_HELP } from './train.js';

/** Bad command line: exit 2. */
export class UsageError extends Error {}
/** A mistake in what was asked for (unknown model, missing file…): exit 1, one line, no stack. */
export class UserError extends Error {}

type Out = (s: string) => void;
interface Io {
  out: Out;
  err: Out;
}

const HELP: Record<string, string> = {
  main: `Usage: zoo <command> [options]

Commands:
  list [filter]             registered model names (fnmatch filter, e.g. 'resnet5*')
  info <model>              pretrained cfg, parameter count and feature levels of a model
  predict <model> <image…>  top-k ImageNet (or the model's own) classes of images
  features <model> <image>  feature maps (NHWC) of one image, optionally saved as safetensors
  bench <model>             forward-pass timing (median, min, max, images/s)
  export <model> --onnx f   the model as an ONNX file (runs on onnxruntime: predict/bench --engine onnx)
  train <model> --data DIR  train or fine-tune on an image folder (timm's train.py), checkpoints in --out
  validate <model> --data DIR  top-1 / top-5 / loss on an image folder (timm's validate.py)

Options of every command:
  --plugin <pkg>            also load this model package (repeatable; a package name or a path). Installed
                            packages with the keyword 'zoo-models' in their package.json are loaded anyway.

Run 'zoo <command> --help' for a command's options.
Environment: HF_ENDPOINT, HF_TOKEN, HF_HOME / HF_HUB_CACHE, HF_HUB_OFFLINE (pretrained downloads), ZOO_DEBUG=1 (stack traces),
  ZOO_NO_PLUGIN_DISCOVERY=1 (load only the official families and --plugin packages).`,
  list: `Usage: zoo list [filter] [--pretrained] [--module <name>]

One model name per line, naturally sorted.
  filter              fnmatch pattern ('*' and '?'), e.g. 'resnet*'
  --pretrained        only names with pretrained weights, with their tags (arch.tag)
  --module <name>     only models of one family module (e.g. resnet)`,
  info: `Usage: zoo info <model> [--json]

Prints the model's pretrained cfg, parameter count and feature_info (no weights are downloaded).
  --json              machine-readable output`,
  predict: `Usage: zoo predict <model> <image…> [--top-k N] [--weights file.safetensors] [--json] [--backend wasm|cpu] [--threads N] [--engine tfjs|onnx]

Classifies images (PNG, JPEG, WebP, …) with the model's own preprocessing.
  --top-k N           classes per image (default 5)
  --weights <file>    load weights from a local .safetensors / .pth file instead of the pretrained download
  --json              print [{ "image", "top": [{ "index", "label", "probability" }] }]
  --backend <name>    tfjs backend: wasm (default) or cpu
  --threads N         wasm threads, 1 to 8 (default: ZOO_NUM_THREADS, else one per core); onnxruntime's with --engine onnx
  --engine <name>     tfjs (default) or onnx: export the model and run it on onnxruntime-node (@zoo/onnx)`,
  features: `Usage: zoo features <model> <image> [--out-indices 1,2,3] [--save out.safetensors] [--weights file] [--backend wasm|cpu] [--threads N]

Runs the model as a feature extractor on one image and prints each level's module name and NHWC shape.
  --out-indices <list>  feature levels to take, comma separated (default: all)
  --save <file>         write the maps to a safetensors file, one NHWC float32 tensor per level, keyed by module name
  --weights <file>      load weights from a local file instead of the pretrained download
  --backend <name>      tfjs backend: wasm (default) or cpu
  --threads N           wasm threads, 1 to 8 (default: ZOO_NUM_THREADS, else one per core)`,
  bench: `Usage: zoo bench <model> [--batch N] [--runs N] [--warmup N] [--size S] [--backend wasm|cpu] [--threads N] [--engine tfjs|onnx] [--json]

Times forward passes of a randomly initialised model on random input.
  --batch N           images per forward pass (default 1)
  --runs N            timed runs (default 10)
  --warmup N          untimed runs first (default 1)
  --size S            square input size (default: the model's input size)
  --backend <name>    tfjs backend: wasm (default) or cpu
  --threads N         wasm threads, 1 to 8 (default: ZOO_NUM_THREADS, else one per core); onnxruntime's with --engine onnx
  --engine <name>     tfjs (default) or onnx: export the model and time it on onnxruntime-node (@zoo/onnx)
  --json              machine-readable output`,
  export: `Usage: zoo export <model> --onnx out.onnx [--pretrained | --weights file] [--batch N] [--input-size C,H,W] [--opset N] [--layout NCHW|NHWC] [--fp16]

Writes the model as an ONNX file (timm's onnx_export defaults: input 'input0' NCHW, output 'output0', dynamic batch).
  --onnx <file>         where to write the .onnx file (required)
  --pretrained          with the pretrained weights (downloaded once, then cached)
  --weights <file>      with weights from a local .safetensors / .pth file
  --batch N             a fixed batch size (default: dynamic)
  --input-size C,H,W    the input size to export at (default: the model's)
  --opset N             ONNX opset, 15 to 17 (default 17)
  --layout <name>       NCHW (default, as timm) or NHWC (as model.forward)
  --fp16                store the weights as float16 (half the file; computed in float32)`,
  train: TRAIN_HELP,
  validate: VALIDATE_HELP,
};

const COMMANDS = ['list', 'info', 'predict', 'features', 'bench', 'export', 'train', 'validate'] as const;
type Command = (typeof COMMANDS)[number];

// ---------------------------------------------------------------------------------------------------------------
// helpers

function positiveInt(v: string | undefined, flag: string, dflt: number, min = 1): number {
  if (v === undefined) return dflt;
  if (!/^\d+$/.test(v) || Number(v) < min) throw new UsageError(`${flag} must be an integer >= ${min}, got '${v}'`);
  return Number(v);
}

/**
 * parseArgs calls `--top-k -1` "ambiguous" (a value that starts with '-'); say what is wrong with the value instead.
 */
function dashValueMessage(e: unknown, args: readonly string[]): string | undefined {
  const m = /Option '(--[\w-]+)/.exec(e instanceof Error ? e.message : '');
  if (!m || !/ambiguous/.test((e as Error).message)) return undefined;
  const flag = m[1]!;
  const value = args[args.indexOf(flag) + 1];
  if (value === undefined) return undefined;
  if (/^-\d/.test(value)) return `${flag} must be a positive integer, got '${value}'`;
  return `${flag} needs a value but got the option-like '${value}' (write ${flag}=${value} if that is the value)`;
}

function backendName(v: string | undefined): BackendName {
  const b = v ?? 'wasm';
  if (b !== 'wasm' && b !== 'cpu') throw new UsageError(`--backend must be wasm or cpu, got '${b}'`);
  return b;
}

function backendOptions(threads: string | undefined): { numThreads?: number } {
  if (threads === undefined) return {};
  const n = positiveInt(threads, '--threads', 1);
  if (n > MAX_NODE_THREADS) throw new UsageError(`--threads must be an integer from 1 to ${MAX_NODE_THREADS}, got '${threads}'`);
  return { numThreads: n };
}

function engineName(v: string | undefined): 'tfjs' | 'onnx' {
  const e = v ?? 'tfjs';
  if (e !== 'tfjs' && e !== 'onnx') throw new UsageError(`--engine must be tfjs or onnx, got '${e}'`);
  return e;
}

/** @zoo/onnx, loaded only when asked for: it and onnxruntime-node are optional peers of the CLI. */
async function loadOnnx(): Promise<typeof import('@zoo/onnx')> {
  try {
    return await import('@zoo/onnx');
  } catch (e) {
    throw new UserError(
      `zoo export and --engine onnx need the optional packages @zoo/onnx and onnxruntime-node beside @zoo/cli (ONNXRUNTIME_NODE_INSTALL=skip npm i @zoo/onnx onnxruntime-node): ${oneLine(e)}`,
    );
  }
}

/** One line of an error message (core's messages may span lines). */
function oneLine(e: unknown): string {
  const msg = e instanceof Error ? e.message : String(e);
  return msg.replace(/\s*\n\s*/g, ' ').trim();
}

/** Family packages registered when installed (optional peer dependencies). */
const OPTIONAL_FAMILIES = [
  '@zoo/efficientnet', '@zoo/vit', '@zoo/convnext', '@zoo/densenet', '@zoo/cspnet', '@zoo/xception', '@zoo/inception', '@zoo/ghostnet', '@zoo/repvit',
  '@zoo/hgnet', '@zoo/vgg', '@zoo/regnet', '@zoo/rexnet', '@zoo/dla', '@zoo/hrnet', '@zoo/nfnet', '@zoo/metaformer', '@zoo/mlp-mixer', '@zoo/byobnet', '@zoo/resnetv2', '@zoo/swin', '@zoo/pvt', '@zoo/levit', '@zoo/tiny-vit', '@zoo/eva', '@zoo/beit', '@zoo/vit-relpos', '@zoo/fastvit', '@zoo/maxxvit', '@zoo/xcit', '@zoo/hiera', '@zoo/vit-hybrid', '@zoo/efficientvit', '@zoo/mobilevit',
];

let familiesLoaded: Promise<void> | undefined;
/** `--plugin` packages of this run. */
let pluginSpecs: string[] = [];
/**
 * Registers the model families: @zoo/resnet always, the other official ones where installed, then `--plugin`
 * packages (a failure is an error) and discovered `zoo-models` packages (a failure is a warning).
 */
function loadFamilies(io?: Io): Promise<void> {
  familiesLoaded ??= (async () => {
    await import('@zoo/resnet');
    for (const spec of OPTIONAL_FAMILIES as readonly string[]) {
      try {
        await import(spec);
      } catch (e) {
        if (process.env.ZOO_DEBUG) process.stderr.write(`zoo: note: ${spec} not loaded: ${oneLine(e)}\n`);
      }
    }
    const cwd = process.cwd();
    try {
      for (const spec of pluginSpecs) await importPlugin(spec, cwd);
    } catch (e) {
      throw e instanceof PluginError ? new UserError(oneLine(e)) : e;
    }
    if (process.env.ZOO_NO_PLUGIN_DISCOVERY === '1') return;
    const official = new Set(['@zoo/resnet', ...OPTIONAL_FAMILIES]);
    for (const name of discoverPlugins(cwd)) {
      if (official.has(name) || pluginSpecs.includes(name)) continue;
      try {
        await importPlugin(name, cwd);
      } catch (e) {
        (io?.err ?? ((s: string) => process.stderr.write(`${s}\n`)))(`zoo: warning: ${oneLine(e)}`);
      }
    }
  })();
  return familiesLoaded;
}

/** Takes every `--plugin <pkg>` / `--plugin=<pkg>` out of the command line. */
function takePlugins(argv: string[]): { argv: string[]; plugins: string[] } {
  const rest: string[] = [];
  const plugins: string[] = [];
  for (let i = 0; i < argv.length; i++) {
    const a = argv[i]!;
    if (a === '--') {
      rest.push(...argv.slice(i));
      break;
    }
    if (a === '--plugin') {
      const v = argv[i + 1];
      if (v === undefined || v.startsWith('-')) throw new UsageError('--plugin needs a package name or a path');
      plugins.push(v);
      i++;
    } else if (a.startsWith('--plugin=')) {
      if (a.length === 9) throw new UsageError('--plugin needs a package name or a path');
      plugins.push(a.slice(9));
    } else rest.push(a);
  }
  return { argv: rest, plugins };
}

function progress(err: Out): NonNullable<CreateModelOptions['onProgress']> {
  const tty = Boolean(process.stderr.isTTY);
  let last = 0;
  let lastFile = '';
  const mb = (n: number) => (n / 1e6).toFixed(1);
  return ({ loaded, total, file }) => {
    const now = Date.now();
    const done = total !== undefined && loaded >= total;
    if (!done && file === lastFile && now - last < (tty ? 100 : 2000)) return;
    if (!tty && done && file === lastFile && last === -1) return;
    lastFile = file;
    last = done ? -1 : now;
    const pct = total ? ` (${Math.floor((100 * loaded) / total)}%)` : '';
    const line = `downloading ${file}: ${mb(loaded)}${total ? `/${mb(total)}` : ''} MB${pct}`;
    if (tty) process.stderr.write(`\r${line}\x1b[K${done ? '\n' : ''}`);
    else err(line);
  };
}

interface LoadOptions {
  weights?: string;
  pretrained?: boolean;
  extra?: CreateModelOptions;
}

async function loadModel(name: string, io: Io, opts: LoadOptions & { extra: { featuresOnly: true } }): Promise<FeatureModel>;
async function loadModel(name: string, io: Io, opts?: LoadOptions): Promise<VisionModel>;
async function loadModel(name: string, io: Io, opts: LoadOptions = {}): Promise<VisionModel | FeatureModel> {
  await loadFamilies(io);
  const { weights } = opts;
  if (weights !== undefined && !(existsSync(weights) && statSync(weights).isFile())) throw new UserError(`weights file not found: ${weights}`);
  const options: CreateModelOptions = { ...opts.extra };
  if (weights !== undefined) {
    options.pretrained = true;
    options.pretrainedCfgOverlay = { file: weights, url: undefined, hfHubId: undefined };
  } else if (opts.pretrained) {
    options.pretrained = true;
    options.onProgress = progress(io.err);
    options.onRetry = ({ file, url, attempt, retries, delayMs, reason }) =>
      io.err(`zoo: ${file}: ${reason} at ${url}; retry ${attempt}/${retries} in ${(delayMs / 1000).toFixed(1)} s`);
  }
  try {
    return await createModel(name, options);
  } catch (e) {
    if (e instanceof UnknownModelError) throw new UserError(`${e.message.replace(/ Use listModels\(\) to see what is registered\.$/, '')} Run \`zoo list\` for the installed models.`);
    if (weights !== undefined) throw new UserError(`cannot load weights from ${weights}: ${oneLine(e)}`);
    throw e;
  }
}

function checkImages(paths: string[]): void {
  for (const p of paths) if (!(existsSync(p) && statSync(p).isFile())) throw new UserError(`image not found: ${p}`);
}

async function withImage<T>(path: string, f: () => Promise<T>): Promise<T> {
  try {
    return await f();
  } catch (e) {
    throw new UserError(`cannot read image ${path}: ${oneLine(e)}`);
  }
}

// ---------------------------------------------------------------------------------------------------------------
// commands

async function cmdList(args: string[], io: Io): Promise<void> {
  const { values, positionals } = parseArgs({
    args,
    allowPositionals: true,
    options: { pretrained: { type: 'boolean' }, module: { type: 'string' } },
  });
  if (positionals.length > 1) throw new UsageError(`list takes at most one filter, got ${positionals.length}`);
  await loadFamilies(io);
  if (values.module !== undefined && !listModules().includes(values.module)) {
    const fam = familyPackages()[values.module];
    const why = !fam ? '' : fam.planned ? ` (timm's ${values.module} will be registered by the planned package ${fam.pkg}, not built yet)` : ` (registered by ${fam.pkg}, which is not installed: npm i ${fam.pkg})`;
    throw new UserError(`unknown module '${values.module}'${why}; modules: ${listModules().join(', ')}`);
  }
  const names = listModels({ filter: positionals[0] ?? '', module: values.module, pretrained: values.pretrained ?? false });
  if (names.length) io.out(names.join('\n'));
}

function need(positionals: string[], n: number, what: string): void {
  if (positionals.length < n) throw new UsageError(`missing ${what}`);
}

async function cmdInfo(args: string[], io: Io): Promise<void> {
  const { values, positionals } = parseArgs({ args, allowPositionals: true, options: { json: { type: 'boolean' } } });
  need(positionals, 1, 'model name');
  if (positionals.length > 1) throw new UsageError('info takes one model name');
  const name = positionals[0]!;
  const model = await loadModel(name, io);
  try {
    const info = {
      model: model.modelName || name,
      module: getModelModule(model.modelName || name) ?? null,
      params: model.numParams(),
      num_classes: model.numClasses,
      num_features: model.numFeatures,
      pretrained_cfg: toTimmDict(model.pretrainedCfg),
      feature_info: model.featureInfo.map((f) => ({ num_chs: f.numChs, reduction: f.reduction, module: f.module })),
    };
    if (values.json) {
      io.out(JSON.stringify(info, null, 2));
      return;
    }
    const lines = [
      `model:         ${info.model}`,
      `module:        ${info.module ?? '-'}`,
      `parameters:    ${info.params.toLocaleString('en-US')}`,
      `num_classes:   ${info.num_classes}`,
      `num_features:  ${info.num_features}`,
      'pretrained_cfg:',
      ...Object.entries(info.pretrained_cfg).map(([k, v]) => `  ${k}: ${JSON.stringify(v)}`),
      'feature_info:',
      '  idx  num_chs  reduction  module',
      ...info.feature_info.map((f, i) => `  ${String(i).padStart(3)}  ${String(f.num_chs).padStart(7)}  ${String(f.reduction).padStart(9)}  ${f.module}`),
    ];
    io.out(lines.join('\n'));
  } finally {
    model.dispose();
  }
}

async function cmdPredict(args: string[], io: Io): Promise<void> {
  const { values, positionals } = parseArgs({
    args,
    allowPositionals: true,
    options: {
      'top-k': { type: 'string' },
      weights: { type: 'string' },
      json: { type: 'boolean' },
      backend: { type: 'string' },
      threads: { type: 'string' },
      engine: { type: 'string' },
    },
  });
  need(positionals, 1, 'model name');
  need(positionals, 2, 'image path(s)');
  const [name, ...images] = positionals as [string, ...string[]];
  const topK = positiveInt(values['top-k'], '--top-k', 5);
  const backend = backendName(values.backend);
  const engineKind = engineName(values.engine);
  checkImages(images);
  const threads = backendOptions(values.threads);
  await setBackend(backend, threads);
  const model = await loadModel(name, io, { weights: values.weights, pretrained: true });
  const engine = engineKind === 'onnx' ? await (await loadOnnx()).onnxModel(model, { threads: threads.numThreads }) : null;
  try {
    const data = await coreData();
    const transform = createNodeTransform(data.resolveDataConfig({ model }));
    const results: { image: string; top: { index: number; label: string; probability: number }[] }[] = [];
    for (const image of images) {
      const [top] = await withImage(image, () => (engine ? engine.classify([image], { topK, transform }) : data.classify(model, [image], { topK, transform })));
      results.push({ image, top: top! });
    }
    if (values.json) {
      io.out(JSON.stringify(results, null, 2));
      return;
    }
    const blocks = results.map(({ image, top }) => {
      const w = Math.max(...top.map((p) => p.label.length));
      const rows = top.map((p, i) => `  ${i + 1}. ${(p.probability * 100).toFixed(2).padStart(6)}%  ${p.label.padEnd(w)}  (${p.index})`);
      return [`${image}:`, ...rows].join('\n');
    });
    io.out(blocks.join('\n\n'));
  } finally {
    await engine?.dispose();
    model.dispose();
  }
}

function parseIndices(v: string | undefined): number[] | undefined {
  if (v === undefined) return undefined;
  const parts = v.split(',').map((s) => s.trim());
  if (!parts.length || parts.some((s) => !/^-?\d+$/.test(s))) throw new UsageError(`--out-indices must be comma separated integers, got '${v}'`);
  return parts.map(Number);
}

async function cmdFeatures(args: string[], io: Io): Promise<void> {
  const { values, positionals } = parseArgs({
    args,
    allowPositionals: true,
    options: {
      'out-indices': { type: 'string' },
      save: { type: 'string' },
      weights: { type: 'string' },
      backend: { type: 'string' },
      threads: { type: 'string' },
    },
  });
  need(positionals, 1, 'model name');
  need(positionals, 2, 'image path');
  if (positionals.length > 2) throw new UsageError('features takes one model and one image');
  const [name, image] = positionals as [string, string];
  const outIndices = parseIndices(values['out-indices']);
  const backend = backendName(values.backend);
  checkImages([image]);
  await setBackend(backend, backendOptions(values.threads));
  const extra: CreateModelOptions & { featuresOnly: true } = { featuresOnly: true };
  if (outIndices) extra.outIndices = outIndices;
  let model: FeatureModel;
  try {
    model = await loadModel(name, io, { weights: values.weights, pretrained: true, extra });
  } catch (e) {
    if (outIndices && e instanceof RangeError) throw new UserError(oneLine(e));
    throw e;
  }
  try {
    const data = await coreData();
    const transform = createNodeTransform(data.resolveDataConfig({ model }));
    const x = await withImage(image, () => transform(image));
    let out: tf.Tensor[] | Record<string, tf.Tensor>;
    try {
      out = model.forward(x) as unknown as tf.Tensor[] | Record<string, tf.Tensor>;
    } finally {
      x.dispose();
    }
    const names = model.featureInfo.moduleName() as string[];
    const entries: [string, tf.Tensor][] = Array.isArray(out) ? out.map((t, i) => [names[i] ?? String(i), t]) : Object.entries(out);
    try {
      const sd: StateDict = {};
      const lines: string[] = [];
      for (const [key, t] of entries) {
        lines.push(`${key}\t[${t.shape.join(', ')}]`);
        if (values.save) sd[key] = { dtype: 'float32', shape: [...t.shape], data: (await t.data()) as Float32Array };
      }
      io.out(lines.join('\n'));
      if (values.save) {
        const meta = { format: 'zoo-features', model: model.modelName || name, layout: 'NHWC', image: basename(image) };
        try {
          writeFileSync(values.save, writeSafetensors(sd, meta));
        } catch (e) {
          throw new UserError(`cannot write ${values.save}: ${oneLine(e)}`);
        }
        io.err(`saved ${entries.length} feature maps to ${values.save}`);
      }
    } finally {
      tf.dispose(entries.map(([, t]) => t));
    }
  } finally {
    model.dispose();
  }
}

async function cmdBench(args: string[], io: Io): Promise<void> {
  const { values, positionals } = parseArgs({
    args,
    allowPositionals: true,
    options: {
      batch: { type: 'string' },
      runs: { type: 'string' },
      warmup: { type: 'string' },
      size: { type: 'string' },
      backend: { type: 'string' },
      threads: { type: 'string' },
      engine: { type: 'string' },
      json: { type: 'boolean' },
    },
  });
  need(positionals, 1, 'model name');
  if (positionals.length > 1) throw new UsageError('bench takes one model name');
  const engineKind = engineName(values.engine);
  const name = positionals[0]!;
  const batch = positiveInt(values.batch, '--batch', 1);
  const runs = positiveInt(values.runs, '--runs', 10);
  const warmup = positiveInt(values.warmup, '--warmup', 1, 0);
  const size = values.size === undefined ? undefined : positiveInt(values.size, '--size', 0, 8);
  const backend = backendName(values.backend);
  const binfo = await setBackend(backend, backendOptions(values.threads));
  await loadFamilies(io);
  const extra: CreateModelOptions = {};
  // fixed-size models (e.g. ViTs) are built for their input size
  if (size !== undefined && listModels().includes(name.split('.')[0]!)) {
    const { getPretrainedCfg } = await import('@zoo/core');
    if (getPretrainedCfg(name)?.fixedInputSize) extra.imgSize = size;
  }
  const model = await loadModel(name, io, { extra });
  let engine: Awaited<ReturnType<Awaited<ReturnType<typeof loadOnnx>>['onnxModel']>> | null = null;
  try {
    const [c, h, w] = model.pretrainedCfg.inputSize ?? [3, 224, 224];
    const [H, W] = size !== undefined ? [size, size] : [h, w];
    if (engineKind === 'onnx') {
      engine = await (await loadOnnx()).onnxModel(model, { threads: binfo.threads, inputSize: [model.inChans ?? c, H, W] });
    }
    const x = tf.randomUniform([batch, H, W, model.inChans ?? c], -1, 1, 'float32');
    const times: number[] = [];
    try {
      for (let i = 0; i < warmup + runs; i++) {
        const t0 = performance.now();
        const y = engine ? ((await engine.forward(x)) as tf.Tensor) : model.forward(x);
        await y.data();
        y.dispose();
        if (i >= warmup) times.push(performance.now() - t0);
        io.err(`run ${i + 1}/${warmup + runs}${i < warmup ? ' (warmup)' : ''}: ${(performance.now() - t0).toFixed(1)} ms`);
      }
    } finally {
      x.dispose();
    }
    const sorted = [...times].sort((a, b) => a - b);
    const mid = sorted.length >> 1;
    const median = sorted.length % 2 ? sorted[mid]! : (sorted[mid - 1]! + sorted[mid]!) / 2;
    const res = {
      model: model.modelName || name,
      engine: engineKind,
      backend: engine ? 'onnxruntime-node' : binfo.backend,
      threads: binfo.threads,
      simd: binfo.simd,
      batch,
      input_size: [model.inChans ?? c, H, W],
      runs,
      median_ms: median,
      min_ms: sorted[0]!,
      max_ms: sorted[sorted.length - 1]!,
      images_per_s: (batch * 1000) / median,
    };
    if (values.json) {
      io.out(JSON.stringify(res, null, 2));
      return;
    }
    io.out(
      [
        `${res.model}  backend ${res.backend}${res.backend !== 'cpu' ? ` (threads ${res.threads}, simd ${res.simd ? 'on' : 'off'})` : ''}  batch ${batch}  input ${res.input_size.join('x')}  runs ${runs}`,
        `median ${median.toFixed(2)} ms  min ${res.min_ms.toFixed(2)} ms  max ${res.max_ms.toFixed(2)} ms  ${res.images_per_s.toFixed(2)} images/s`,
      ].join('\n'),
    );
  } finally {
    await engine?.dispose();
    model.dispose();
  }
}

function parseInputSize(v: string | undefined): [number, number, number] | undefined {
  if (v === undefined) return undefined;
  const parts = v.split(',').map((p) => p.trim());
  if (parts.length !== 3 || parts.some((p) => !/^\d+$/.test(p) || Number(p) < 1)) throw new UsageError(`--input-size must be C,H,W (positive integers), got '${v}'`);
  return parts.map(Number) as [number, number, number];
}

async function cmdExport(args: string[], io: Io): Promise<void> {
  const { values, positionals } = parseArgs({
    args,
    allowPositionals: true,
    options: {
      onnx: { type: 'string' },
      pretrained: { type: 'boolean' },
      weights: { type: 'string' },
      batch: { type: 'string' },
      'input-size': { type: 'string' },
      opset: { type: 'string' },
      layout: { type: 'string' },
      fp16: { type: 'boolean' },
    },
  });
  need(positionals, 1, 'model name');
  if (positionals.length > 1) throw new UsageError('export takes one model name');
  if (!values.onnx) throw new UsageError('--onnx <file> is required (where to write the ONNX model)');
  if (values.pretrained && values.weights !== undefined) throw new UsageError('give --pretrained or --weights, not both');
  const batch = values.batch === undefined ? 'dynamic' : positiveInt(values.batch, '--batch', 1);
  const inputSize = parseInputSize(values['input-size']);
  const opset = values.opset === undefined ? undefined : positiveInt(values.opset, '--opset', 15);
  if (opset !== undefined && opset > 17) throw new UsageError(`--opset must be 15, 16 or 17, got '${values.opset}'`);
  const layout = values.layout ?? 'NCHW';
  if (layout !== 'NCHW' && layout !== 'NHWC') throw new UsageError(`--layout must be NCHW or NHWC, got '${layout}'`);
  const { exportOnnx } = await loadOnnx();
  await setBackend('wasm');
  const t0 = performance.now();
  const model = await loadModel(positionals[0]!, io, { weights: values.weights, pretrained: values.pretrained, extra: inputSize && inputSize[0] !== 3 ? { inChans: inputSize[0] } : {} });
  try {
    const bytes = await exportOnnx(model, { batch, inputSize, opset, layout, dtype: values.fp16 ? 'float16' : 'float32' });
    writeFileSync(values.onnx, bytes);
    io.out(`${values.onnx}: ${model.modelName || positionals[0]} as ONNX (opset ${opset ?? 17}, ${layout}, batch ${batch}${values.fp16 ? ', float16 weights' : ''}), ${(bytes.length / 1e6).toFixed(1)} MB in ${((performance.now() - t0) / 1000).toFixed(1)} s`);
  } finally {
    model.dispose();
  }
}

const RUN: Record<Command, (args: string[], io: Io) => Promise<void>> = {
  list: cmdList,
  info: cmdInfo,
  predict: cmdPredict,
  features: cmdFeatures,
  bench: cmdBench,
  export: cmdExport,
  train: (args, io) => cmdTrain(args, io, { UsageError, UserError, loadModel, backendOptions }),
  validate: (args, io) => cmdValidate(args, io, { UsageError, UserError, loadModel, backendOptions }),
};

// ---------------------------------------------------------------------------------------------------------------

/** Runs the CLI; resolves to the exit code. */
export async function main(argv: string[], io: Io = { out: (s) => process.stdout.write(`${s}\n`), err: (s) => process.stderr.write(`${s}\n`) }): Promise<number> {
  let plugins: ReturnType<typeof takePlugins>;
  try {
    plugins = takePlugins(argv);
  } catch (e) {
    io.err(`zoo: ${oneLine(e)} (see zoo --help)`);
    return 2;
  }
  pluginSpecs = plugins.plugins;
  const [cmd, ...rest] = plugins.argv;
  if (cmd === undefined) {
    io.err(HELP.main!);
    return 2;
  }
  if (cmd === '--help' || cmd === '-h' || cmd === 'help') {
    const topic = cmd === 'help' ? rest[0] : undefined;
    if (topic !== undefined && !(COMMANDS as readonly string[]).includes(topic)) {
      io.err(`zoo: unknown command '${topic}' (commands: ${COMMANDS.join(', ')})`);
      return 2;
    }
    io.out(HELP[topic ?? 'main']!);
    return 0;
  }
  if (cmd === '--version' || cmd === '-v') {
    const { createRequire } = await import('node:module');
    io.out((createRequire(import.meta.url)('../package.json') as { version: string }).version);
    return 0;
  }
  if (!(COMMANDS as readonly string[]).includes(cmd)) {
    io.err(`zoo: unknown command '${cmd}' (commands: ${COMMANDS.join(', ')}; see zoo --help)`);
    return 2;
  }
  const command = cmd as Command;
  if (rest.includes('--help') || rest.includes('-h')) {
    io.out(HELP[command]!);
    return 0;
  }
  try {
    await RUN[command](rest, io);
    return 0;
  } catch (e) {
    const code = (e as { code?: unknown }).code;
    if (e instanceof UsageError || (typeof code === 'string' && code.startsWith('ERR_PARSE_ARGS'))) {
      // parseArgs' messages go on with advice about '--'; the first sentence says it
      const msg = e instanceof UsageError ? oneLine(e) : (dashValueMessage(e, rest) ?? oneLine(e).replace(/\. .*$/, ''));
      io.err(`zoo ${command}: ${msg} (see zoo ${command} --help)`);
      return 2;
    }
    if (process.env.ZOO_DEBUG && e instanceof Error && e.stack) io.err(e.stack);
    io.err(`zoo ${command}: error: ${oneLine(e)}`);
    return 1;
  }
}
