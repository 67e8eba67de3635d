/**
 * `pnpm bench`: per model, our forward time next to a raw fused-op reference built from the same weights (ResNet-50),
 * single- and multi-threaded; weight loading time and memory against reading the file + one tensor per entry; and
 * images/s through `createPool` with one worker and with one per core; first, the machine's own ceiling (XNNPACK's GEMM
 * on one thread, on all, and one process per core at once), and last, the issue's targets checked against the run.
 * Every measurement but the pool runs in a fresh process. Writes bench-results/latest.{json,md} and docs/bench.svg.
 *
 * The onnx column (#17): each model exported by @zoo/onnx and run on onnxruntime-node, next to our tfjs forward and,
 * with `--timm-onnx DIR` (a folder of `<model>.onnx` files from shared/tools/onnx_export_timm.py; never commit
 * them), timm's own export on onnxruntime, 1 and N threads. `--onnx-only` runs just that column and its targets.
 *
 * Train throughput (#22): images/s of `trainStep` for resnet18 @ 64² batch 16 and efficientnet_b0 @ 128² batch 8, on
 * 1 thread and on N, with the tensor count after warmup and at the end (it must not grow). `--train-only` runs just
 * that section (to bench-results/train-latest.json); `--train-steps N` (default 5).
 *
 * Flags: --models resnet50,efficientnet_b0  --iters 10  --images 16  --threads N  --load-reps 3  --pool-reps 5
 *        --timm-onnx DIR  --onnx-only  --train-only  --train-steps N
 */
import { spawn, spawnSync } from 'node:child_process';
import { mkdirSync, writeFileSync } from 'node:fs';
import { availableParallelism, cpus, loadavg, tmpdir } from 'node:os';
import { dirname, join } from 'node:path';
import { fileURLToPath } from 'node:url';
import { createPool, resolveNumThreads } from '@zoo/core/node';
import { barChartSvg, type ChartGroup } from './chart.js';
import type { Job } from './measure.js';
import { hasRaw } from './raw.js';

const here = dirname(fileURLToPath(import.meta.url));
const pkgDir = join(here, '..');
const repoRoot = join(pkgDir, '..', '..');

interface ModelSpec {
  name: string;
  pkg: string;
  size: number;
}

const ALL: ModelSpec[] = [
  { name: 'resnet50', pkg: '@zoo/resnet', size: 224 },
  { name: 'efficientnet_b0', pkg: '@zoo/efficientnet', size: 224 },
  { name: 'vit_small_patch16_224', pkg: '@zoo/vit', size: 224 },
  // The other families' flagships: forward, threads, loading and pool, without a raw reference.
  { name: 'convnext_tiny', pkg: '@zoo/convnext', size: 224 },
  { name: 'densenet121', pkg: '@zoo/densenet', size: 224 },
  { name: 'cspresnet50', pkg: '@zoo/cspnet', size: 256 },
  { name: 'xception41', pkg: '@zoo/xception', size: 299 },
  { name: 'repvgg_a0', pkg: '@zoo/byobnet', size: 224 },
  { name: 'regnety_016', pkg: '@zoo/regnet', size: 224 },
  { name: 'resnetv2_50x1_bit', pkg: '@zoo/resnetv2', size: 224 },
  { name: 'eca_nfnet_l0', pkg: '@zoo/nfnet', size: 224 },
  { name: 'hgnetv2_b0', pkg: '@zoo/hgnet', size: 224 },
  { name: 'repvit_m1_1', pkg: '@zoo/repvit', size: 224 },
  { name: 'dla34', pkg: '@zoo/dla', size: 224 },
  { name: 'hrnet_w18_small', pkg: '@zoo/hrnet', size: 224 },
  { name: 'vgg16', pkg: '@zoo/vgg', size: 224 },
  { name: 'inception_v3', pkg: '@zoo/inception', size: 299 },
  { name: 'rexnet_100', pkg: '@zoo/rexnet', size: 224 },
  { name: 'ghostnet_100', pkg: '@zoo/ghostnet', size: 224 },
  { name: 'mixer_b16_224', pkg: '@zoo/mlp-mixer', size: 224 },
  { name: 'convformer_s18', pkg: '@zoo/metaformer', size: 224 },
  { name: 'swin_tiny_patch4_window7_224', pkg: '@zoo/swin', size: 224 },
  { name: 'beit_base_patch16_224', pkg: '@zoo/beit', size: 224 },
  { name: 'vit_relpos_small_patch16_224', pkg: '@zoo/vit-relpos', size: 224 },
  { name: 'vit_small_r26_s32_224', pkg: '@zoo/vit-hybrid', size: 224 },
  { name: 'eva02_small_patch14_224', pkg: '@zoo/eva', size: 224 },
  { name: 'pvt_v2_b1', pkg: '@zoo/pvt', size: 224 },
  { name: 'levit_128', pkg: '@zoo/levit', size: 224 },
  { name: 'tiny_vit_5m_224', pkg: '@zoo/tiny-vit', size: 224 },
  { name: 'fastvit_sa12', pkg: '@zoo/fastvit', size: 256 },
  { name: 'maxvit_tiny_tf_224', pkg: '@zoo/maxxvit', size: 224 },
  { name: 'xcit_tiny_12_p16_224', pkg: '@zoo/xcit', size: 224 },
  { name: 'hiera_tiny_224', pkg: '@zoo/hiera', size: 224 },
  { name: 'efficientvit_b1', pkg: '@zoo/efficientvit', size: 224 },
  { name: 'mobilevit_s', pkg: '@zoo/mobilevit', size: 256 },
];

function flag(name: string): string | undefined {
  const i = process.argv.indexOf(`--${name}`);
  return i >= 0 ? process.argv[i + 1] : undefined;
}

const iters = Number(flag('iters') ?? 10);
const nImages = Number(flag('images') ?? 16);
const loadReps = Number(flag('load-reps') ?? 3);
const poolReps = Number(flag('pool-reps') ?? 5);
const threads = resolveNumThreads(flag('threads') ? Number(flag('threads')) : undefined);
const cores = typeof availableParallelism === 'function' ? availableParallelism() : cpus().length;
const wanted = flag('models')?.split(',');
const models = wanted ? ALL.filter((m) => wanted.includes(m.name)) : ALL;
const timmOnnxDir = flag('timm-onnx');
const onnxOnly = process.argv.includes('--onnx-only');
const trainOnly = process.argv.includes('--train-only');
const trainSteps = Number(flag('train-steps') ?? 5);

const TRAIN: { name: string; pkg: string; size: number; batch: number }[] = [
  { name: 'resnet18', pkg: '@zoo/resnet', size: 64, batch: 16 },
  { name: 'efficientnet_b0', pkg: '@zoo/efficientnet', size: 128, batch: 8 },
];

interface TrainRun {
  model: string;
  threads: number;
  batch: number;
  size: number;
  steps: number;
  stepMs: number;
  imagesPerSec: number;
  tensorsAfterWarmup: number;
  tensorsAtEnd: number;
  peakRssMB: number;
}

/** Train throughput, each run in a fresh process: every TRAIN entry on 1 thread and on `threads`. */
function trainRates(): TrainRun[] {
  const runs: TrainRun[] = [];
  for (const t of TRAIN) {
    for (const n of [...new Set([1, threads])]) {
      const r = child<Omit<TrainRun, 'model'>>({ kind: 'train', model: t.name, pkg: t.pkg, threads: n, steps: trainSteps, size: t.size, batch: t.batch });
      runs.push({ model: t.name, ...r });
      console.log(`train ${t.name} ${t.size}² batch ${t.batch}, ${r.threads} thread(s): ${fmt(r.stepMs)} ms/step, ${fmt(r.imagesPerSec, 2)} images/s; tensors ${r.tensorsAfterWarmup} → ${r.tensorsAtEnd} over ${r.steps} steps`);
    }
  }
  return runs;
}

function trainMarkdown(runs: TrainRun[]): string[] {
  return [
    '',
    '| train step (#22) | input | batch | threads | ms/step | images/s | tensors after warmup → end |',
    '|---|---|---|---|---|---|---|',
    ...runs.map((r) => `| ${r.model} | ${r.size}² | ${r.batch} | ${r.threads} | ${fmt(r.stepMs)} | ${fmt(r.imagesPerSec, 2)} | ${r.tensorsAfterWarmup} → ${r.tensorsAtEnd} |`),
  ];
}

const childArgs = (job: Job, extraArgs: string[]) => [...process.execArgv, ...extraArgs, join(here, 'measure.ts'), JSON.stringify(job)];
const childEnv = () => ({ ...process.env, ZOO_NUM_THREADS: undefined });

function parseResult<T>(job: Job, status: number | null, stdout: string, stderr: string): T {
  const line = stdout.split('\n').reverse().find((l) => l.startsWith('RESULT '));
  const what = 'model' in job ? `${job.kind} ${job.model}` : job.kind;
  if (status !== 0 || !line) throw new Error(`measurement ${what} failed (exit ${status}):\n${(stderr || stdout).slice(-2000)}`);
  return JSON.parse(line.slice('RESULT '.length)) as T;
}

/** One measurement in a fresh process, waited for. */
function child<T>(job: Job, extraArgs: string[] = []): T {
  const r = spawnSync(process.execPath, childArgs(job, extraArgs), { cwd: pkgDir, encoding: 'utf8', maxBuffer: 64 * 2 ** 20, env: childEnv() });
  return parseResult<T>(job, r.status, r.stdout, r.stderr);
}

/** One measurement in a fresh process, running beside others. */
function childAsync<T>(job: Job): Promise<T> {
  return new Promise((resolve, reject) => {
    const p = spawn(process.execPath, childArgs(job, []), { cwd: pkgDir, env: childEnv() });
    let stdout = '';
    let stderr = '';
    p.stdout.on('data', (d) => (stdout += d));
    p.stderr.on('data', (d) => (stderr += d));
    p.on('error', reject);
    p.on('close', (code) => {
      try {
        resolve(parseResult<T>(job, code, stdout, stderr));
      } catch (e) {
        reject(e);
      }
    });
  });
}

interface Machine {
  n: number;
  /** GFLOP/s of one n×n float32 GEMM stream on one thread, on `threads` threads, and per process with one single-thread process per core at once. */
  oneThread: number;
  threads: number | null;
  perProcess: number[] | null;
}

/**
 * What this machine's cores do at best through tfjs-wasm (XNNPACK's float32 GEMM, the kernel every conv and linear
 * ends in): the ceiling for forward times (GFLOP/s) and for pool scaling (one process per core at once vs one alone).
 */
async function machineCeiling(): Promise<Machine> {
  const n = 1024;
  const secs = 4;
  const oneThread = child<{ gflops: number }>({ kind: 'gemm', threads: 1, n, secs }).gflops;
  const multi = threads > 1 ? child<{ gflops: number }>({ kind: 'gemm', threads, n, secs }).gflops : null;
  let perProcess: number[] | null = null;
  if (cores > 1) {
    const startAt = Date.now() + 8000; // all started and warm by then
    perProcess = (await Promise.all(Array.from({ length: cores }, () => childAsync<{ gflops: number }>({ kind: 'gemm', threads: 1, n, secs, startAt })))).map((r) => r.gflops);
  }
  return { n, oneThread, threads: multi, perProcess };
}

type PoolRate = { workers: number; imagesPerSec: number; images: number; startMs: number; samples: number[] };

/**
 * Pool throughput, one worker busy against all of them, measured on the same pool and interleaved `poolReps` times
 * (so drift in the machine's load hits both alike): "one worker" feeds the pool one image at a time (one worker
 * computes, the others wait), "all" hands it every image at once. Rates are medians over the repetitions.
 */
async function poolRates(m: ModelSpec, file: string, workers: number): Promise<{ one: PoolRate; many: PoolRate | null }> {
  const t0 = performance.now();
  const pool = await createPool({ model: m.name, options: { checkpointPath: file }, workers, modules: [m.pkg], resolveFrom: pkgDir });
  const startMs = performance.now() - t0;
  try {
    const image = () => {
      const data = new Float32Array(m.size * m.size * 3);
      for (let i = 0; i < data.length; i++) data[i] = Math.sin(i);
      return { data, shape: [m.size, m.size, 3] };
    };
    // First forward per worker folds BN / builds kernels: not part of the steady rate.
    await pool.run(Array.from({ length: workers }, image));
    const images = Array.from({ length: Math.max(nImages, workers) }, image);
    const oneSamples: number[] = [];
    const manySamples: number[] = [];
    for (let rep = 0; rep < poolReps; rep++) {
      const n1 = Math.max(2, Math.ceil(images.length / workers));
      let t = performance.now();
      for (let i = 0; i < n1; i++) await pool.run([images[i]!]);
      oneSamples.push(n1 / ((performance.now() - t) / 1000));
      if (workers > 1) {
        t = performance.now();
        await pool.run(images);
        manySamples.push(images.length / ((performance.now() - t) / 1000));
      }
    }
    const med = (xs: number[]) => [...xs].sort((p, q) => p - q)[xs.length >> 1]!;
    return {
      one: { workers: 1, imagesPerSec: med(oneSamples), images: Math.max(2, Math.ceil(images.length / workers)), startMs, samples: oneSamples },
      many: workers > 1 ? { workers, imagesPerSec: med(manySamples), images: images.length, startMs, samples: manySamples } : null,
    };
  } finally {
    await pool.close();
  }
}

const fmt = (v: number | undefined, d = 1) => (v === undefined || Number.isNaN(v) ? '—' : v.toFixed(d));

function machineLine(m: Machine): string {
  const parts = [`XNNPACK float32 GEMM (${m.n}×${m.n}) ${fmt(m.oneThread)} GFLOP/s on 1 thread`];
  if (m.threads !== null) parts.push(`${fmt(m.threads)} on ${threads} threads (×${fmt(m.threads / m.oneThread, 2)})`);
  if (m.perProcess) {
    const sum = m.perProcess.reduce((a, b) => a + b, 0);
    parts.push(`${m.perProcess.length} single-thread processes at once ${m.perProcess.map((g) => fmt(g)).join(' + ')} (×${fmt(sum / m.oneThread, 2)} of one alone)`);
  }
  return parts.join(', ');
}

interface Target {
  what: string;
  measured: string;
  met: boolean;
  context?: string;
}

/** The issue's targets (#10), checked against this run. */
function checkTargets(results: Record<string, any>[], machine: Machine): Target[] {
  const out: Target[] = [];
  const ratioBound: Record<string, number> = { resnet50: 1.05, efficientnet_b0: 1.1, vit_small_patch16_224: 1.1 };
  for (const r of results) {
    const bound = ratioBound[r.model as string];
    if (bound !== undefined) {
      for (const f of [r.forward.single, r.forward.multi].filter(Boolean)) {
        if (f.ratio !== undefined) out.push({ what: `${r.model} ours/raw ≤ ${bound}, ${f.threads} thread${f.threads > 1 ? 's' : ''}`, measured: fmt(f.ratio, 3), met: f.ratio <= bound });
      }
    }
    if (r.model === 'resnet50') {
      const m = r.forward.multi;
      if (m) {
        const needed = (2 * m.gmacs) / 0.16;
        out.push({
          what: `resnet50 with ${m.threads} threads ≤ 160 ms`, measured: `${fmt(m.oursMs)} ms`, met: m.oursMs <= 160,
          context: `160 ms needs ${fmt(needed)} GFLOP/s; this machine's GEMM on ${threads} threads: ${fmt(machine.threads ?? undefined)}, raw reference ${fmt(m.rawMs)} ms`,
        });
      }
      out.push({ what: 'resnet50 load ≤ 2× file + tensors', measured: `×${fmt(r.load.ratio, 2)}`, met: r.load.ratio <= 2 });
      out.push({ what: 'resnet50 RSS growth ≤ 2.5× weights', measured: `×${fmt(r.load.rssRatio, 2)}`, met: r.load.rssRatio <= 2.5 });
    }
    const p = r.pool;
    if (p.many) {
      const scale = p.many.imagesPerSec / p.one.imagesPerSec;
      const ceiling = machine.perProcess ? machine.perProcess.reduce((a: number, b: number) => a + b, 0) / machine.oneThread : undefined;
      out.push({ what: `${r.model} pool ${p.many.workers} workers ≥ 1.8× one`, measured: `×${fmt(scale, 2)}`, met: scale >= 1.8, context: ceiling ? `GEMM alone on every core: ×${fmt(ceiling, 2)}` : undefined });
    }
  }
  return out;
}

type OnnxRun = { threads: number; exportMs: number; onnxMB: number; maxAbsDiff: number; relDiff?: number; tfjsMs: number; oursOrtMs: number; timmOrtMs?: number; ratioTimm?: number; speedupVsTfjs: number };

/** The onnx column per model: 1 thread and `threads` threads, each in a fresh process. */
function onnxColumn(m: ModelSpec, file: string): OnnxRun[] {
  const timmOnnx = timmOnnxDir ? join(timmOnnxDir, `${m.name}.onnx`) : undefined;
  const out: OnnxRun[] = [];
  for (const t of threads > 1 ? [1, threads] : [1]) {
    const r = child<OnnxRun>({ kind: 'onnx', model: m.name, pkg: m.pkg, file, threads: t, iters, size: m.size, timmOnnx });
    console.log(
      `onnx, ${t} thread${t > 1 ? 's' : ''}: tfjs ${fmt(r.tfjsMs)} ms, ours on onnxruntime ${fmt(r.oursOrtMs)} ms (×${fmt(r.speedupVsTfjs, 2)} faster)` +
        (r.timmOrtMs !== undefined ? `, timm's ONNX on onnxruntime ${fmt(r.timmOrtMs)} ms, ours/timm ${fmt(r.ratioTimm, 3)}` : ", timm's ONNX not given (--timm-onnx DIR)") +
        `; export ${fmt(r.exportMs, 0)} ms, ${fmt(r.onnxMB)} MB, max |ORT - tfjs| ${r.maxAbsDiff.toExponential(1)}${r.relDiff === undefined ? '' : ` (${r.relDiff.toExponential(1)} of max(1, max |tfjs|))`}`,
    );
    out.push(r);
  }
  return out;
}

/** The targets of #17, checked against the onnx column. */
function onnxTargets(results: { model: string; onnx?: OnnxRun[] }[]): Target[] {
  const out: Target[] = [];
  for (const r of results) {
    for (const o of r.onnx ?? []) {
      if (o.ratioTimm !== undefined) {
        out.push({ what: `${r.model} on onnxruntime ≤ 1.10× timm's ONNX, ${o.threads} thread${o.threads > 1 ? 's' : ''}`, measured: `×${fmt(o.ratioTimm, 3)}`, met: o.ratioTimm <= 1.1, context: `${fmt(o.oursOrtMs)} vs ${fmt(o.timmOrtMs)} ms` });
      }
    }
    if (r.model === 'resnet50' && r.onnx?.[0]) out.push({ what: 'resnet50 export ≤ 5 s', measured: `${fmt(r.onnx[0].exportMs / 1000, 2)} s`, met: r.onnx[0].exportMs <= 5000 });
  }
  return out;
}

/** The run as Markdown tables (for docs/performance.md). */
function markdown(report: { startedAt: string; cores: number; threads: number; node: string; loadavgStart: number[]; loadavgEnd: number[]; machine: Machine; machineEnd: Machine; targets: Target[]; results: Record<string, any>[] }): string {
  const lines = [
    `Run ${report.startedAt.slice(0, 16).replace('T', ' ')} UTC, ${report.cores} cores, node ${report.node}, load average ` +
      `${report.loadavgStart.map((l) => l.toFixed(2)).join(' / ')} at the start, ${report.loadavgEnd.map((l) => l.toFixed(2)).join(' / ')} at the end.`,
    '',
    `Machine ceiling at the start: ${machineLine(report.machine)}; at the end: ${machineLine(report.machineEnd)}.`,
    '',
    '| target | measured | met |',
    '|---|---|---|',
    ...report.targets.map((t) => `| ${t.what} | ${t.measured}${t.context ? ` (${t.context})` : ''} | ${t.met ? 'yes' : '**no**'} |`),
    '',
    '| model | ours 1 thread (ms) | raw 1 thread (ms) | ours/raw | ours ' + `${report.threads} threads (ms) | raw ${report.threads} threads (ms) | ours/raw | pool 1 worker (img/s) | pool ${report.cores} workers (img/s) | scaling |`,
    '|---|---|---|---|---|---|---|---|---|---|',
  ];
  for (const r of report.results) {
    const s = r.forward.single;
    const m = r.forward.multi;
    const p1 = r.pool.one;
    const pn = r.pool.many;
    lines.push(`| ${r.model} | ${fmt(s.oursMs)} | ${fmt(s.rawMs)} | ${fmt(s.ratio, 3)} | ${fmt(m?.oursMs)} | ${fmt(m?.rawMs)} | ${fmt(m?.ratio, 3)} | ${fmt(p1.imagesPerSec, 2)} | ${fmt(pn?.imagesPerSec, 2)} | ${pn ? `×${fmt(pn.imagesPerSec / p1.imagesPerSec, 2)}` : '—'} |`);
  }
  lines.push('', `| model | GMACs per image | ours 1 thread (GFLOP/s) | ours ${report.threads} threads (GFLOP/s) |`, '|---|---|---|---|');
  for (const r of report.results) lines.push(`| ${r.model} | ${fmt(r.forward.single.gmacs, 2)} | ${fmt(r.forward.single.oursGflops)} | ${fmt(r.forward.multi?.oursGflops)} |`);
  lines.push('', `| model | export (s) | tfjs 1 thread (ms) | ours on ORT 1 thread (ms) | timm's ONNX on ORT 1 thread (ms) | ours/timm | tfjs ${report.threads} threads (ms) | ours on ORT (ms) | timm on ORT (ms) | ours/timm |`, '|---|---|---|---|---|---|---|---|---|---|');
  for (const r of report.results) {
    const [o1, oN] = (r.onnx ?? []) as OnnxRun[];
    if (o1) lines.push(`| ${r.model} | ${fmt(o1.exportMs / 1000, 2)} | ${fmt(o1.tfjsMs)} | ${fmt(o1.oursOrtMs)} | ${fmt(o1.timmOrtMs)} | ${fmt(o1.ratioTimm, 3)} | ${fmt(oN?.tfjsMs)} | ${fmt(oN?.oursOrtMs)} | ${fmt(oN?.timmOrtMs)} | ${fmt(oN?.ratioTimm, 3)} |`);
  }
  lines.push('', '| model | weights (MB) | load, ours (ms) | file + tensors (ms) | ratio | RSS growth at ready (MB) | ×weights | first forward (ms) | RSS after first forward (MB) |', '|---|---|---|---|---|---|---|---|---|');
  for (const r of report.results) {
    const o = r.load.ours;
    lines.push(`| ${r.model} | ${fmt(r.weightsMB)} | ${fmt(o.loadMs, 0)} | ${fmt(r.load.baseline.loadMs, 0)} | ×${fmt(r.load.ratio, 2)} | ${fmt(o.peakRssGrowthMB, 0)} | ×${fmt(r.load.rssRatio, 2)} | ${fmt(o.firstForwardMs, 0)} | ${fmt(o.rssAfterFirstForwardMB, 0)} |`);
    if (r.load.raw) lines.push(`| ${r.model} (raw reference) | | ${fmt(r.load.raw.loadMs, 0)} | | | ${fmt(r.load.raw.peakRssGrowthMB, 0)} | | ${fmt(r.load.raw.firstForwardMs, 0)} | ${fmt(r.load.raw.rssAfterFirstForwardMB, 0)} |`);
  }
  return `${lines.join('\n')}\n`;
}

async function main() {
  const startedAt = new Date().toISOString();
  const load0 = loadavg();
  console.log(`@zoo bench — ${cores} cores, threads ${threads}, load average ${load0.map((l) => l.toFixed(2)).join(' ')}, node ${process.version}`);
  if (trainOnly) {
    const train = trainRates();
    mkdirSync(join(pkgDir, 'bench-results'), { recursive: true });
    const report = { startedAt, finishedAt: new Date().toISOString(), node: process.version, cores, threads, loadavgStart: load0, loadavgEnd: loadavg(), train };
    writeFileSync(join(pkgDir, 'bench-results', 'train-latest.json'), `${JSON.stringify(report, null, 2)}\n`);
    console.log('\nwrote packages/bench/bench-results/train-latest.json');
    return;
  }
  const machine = onnxOnly ? null : await machineCeiling();
  if (machine) console.log(`machine ceiling: ${machineLine(machine)}`);
  const results: Record<string, unknown>[] = [];
  for (const m of models) {
    try {
      await import(m.pkg);
    } catch (e) {
      console.log(`skip ${m.name}: ${m.pkg} is not available here (${(e as Error).message.split('\n')[0]})`);
      continue;
    }
    console.log(`\n== ${m.name}`);
    const file = join(tmpdir(), `zoo-bench-${m.name}.safetensors`);
    const raw = hasRaw(m.name);
    const w = child<{ bytes: number }>({ kind: 'weights', model: m.name, pkg: m.pkg, file });
    const weightsMB = w.bytes / 2 ** 20;
    if (onnxOnly) {
      results.push({ model: m.name, weightsMB, onnx: onnxColumn(m, file) });
      continue;
    }
    type Load = {
      loadMs: number; firstForwardMs?: number; rssGrowthMB: number; peakRssGrowthMB: number; peakRssMB: number;
      rssAfterFirstForwardMB: number; peakRssAfterFirstForwardMB: number;
    };
    // Each load in a fresh process, `loadReps` times, alternating; the run with the median load time is reported.
    const runs: Record<'baseline' | 'ours' | 'raw', Load[]> = { baseline: [], ours: [], raw: [] };
    for (let rep = 0; rep < loadReps; rep++) {
      for (const mode of ['baseline', 'ours', ...(raw ? ['raw' as const] : [])] as const) {
        runs[mode].push(child<Load>({ kind: 'load', model: m.name, pkg: m.pkg, file, mode, size: m.size }, ['--expose-gc']));
      }
    }
    const mid = (xs: Load[]) => [...xs].sort((a, b) => a.loadMs - b.loadMs)[xs.length >> 1]!;
    const base = mid(runs.baseline);
    const ours = mid(runs.ours);
    const rawLoad = raw ? mid(runs.raw) : null;
    console.log(`load: ours ${fmt(ours.loadMs)} ms vs file + tensors ${fmt(base.loadMs)} ms (×${fmt(ours.loadMs / base.loadMs, 2)}); ` +
      `RSS +${fmt(ours.rssGrowthMB)} MB (peak +${fmt(ours.peakRssGrowthMB)} MB, ×${fmt(ours.peakRssGrowthMB / weightsMB, 2)} of ${fmt(weightsMB)} MB weights); first forward ${fmt(ours.firstForwardMs)} ms, RSS then ${fmt(ours.rssAfterFirstForwardMB, 0)} MB` +
      (rawLoad ? ` (raw reference: load ${fmt(rawLoad.loadMs)} ms, first forward ${fmt(rawLoad.firstForwardMs)} ms, RSS then ${fmt(rawLoad.rssAfterFirstForwardMB, 0)} MB)` : ''));
    type Fwd = { threads: number; threaded: boolean; fallbackReason?: string; oursMs: number; oursMinMs: number; rawMs?: number; rawMinMs?: number; ratio?: number; maxAbsDiff?: number; peakRssMB: number; gmacs: number; oursGflops: number };
    const single = child<Fwd>({ kind: 'forward', model: m.name, pkg: m.pkg, file, threads: 1, iters, size: m.size });
    console.log(`forward b1, 1 thread: ours ${fmt(single.oursMs)} ms, raw ${fmt(single.rawMs)} ms, ours/raw ${fmt(single.ratio, 3)} (max |diff| ${single.maxAbsDiff?.toExponential(1) ?? '—'}); ${fmt(single.gmacs, 2)} GMACs, ${fmt(single.oursGflops)} GFLOP/s`);
    let multi: Fwd | null = null;
    if (threads > 1) {
      multi = child<Fwd>({ kind: 'forward', model: m.name, pkg: m.pkg, file, threads, iters, size: m.size });
      console.log(`forward b1, ${multi.threads} threads${multi.threaded ? '' : ` (fell back: ${multi.fallbackReason})`}: ours ${fmt(multi.oursMs)} ms, raw ${fmt(multi.rawMs)} ms, ours/raw ${fmt(multi.ratio, 3)}; ${fmt(multi.oursGflops)} GFLOP/s; peak RSS ${fmt(multi.peakRssMB, 0)} MB`);
    }
    const onnx = onnxColumn(m, file);
    const { one: pool1, many: poolN } = await poolRates(m, file, cores);
    console.log(`pool: 1 worker ${fmt(pool1.imagesPerSec, 2)} img/s` + (poolN ? `, ${poolN.workers} workers ${fmt(poolN.imagesPerSec, 2)} img/s (×${fmt(poolN.imagesPerSec / pool1.imagesPerSec, 2)})` : ''));
    results.push({ model: m.name, weightsMB, load: { ours, baseline: base, raw: rawLoad, ratio: ours.loadMs / base.loadMs, rssRatio: ours.peakRssGrowthMB / weightsMB }, forward: { single, multi }, onnx, pool: { one: pool1, many: poolN } });
  }
  if (onnxOnly || !machine) {
    const targets = onnxTargets(results as { model: string; onnx?: OnnxRun[] }[]);
    console.log('\ntargets (#17, onnx):');
    for (const t of targets) console.log(`  ${t.met ? 'met    ' : 'NOT MET'} ${t.what}: ${t.measured}${t.context ? ` (${t.context})` : ''}`);
    mkdirSync(join(pkgDir, 'bench-results'), { recursive: true });
    const report = { startedAt, finishedAt: new Date().toISOString(), node: process.version, cores, threads, iters, loadavgStart: load0, loadavgEnd: loadavg(), timmOnnx: timmOnnxDir ?? null, targets, results };
    writeFileSync(join(pkgDir, 'bench-results', 'onnx-latest.json'), `${JSON.stringify(report, null, 2)}\n`);
    console.log('\nwrote packages/bench/bench-results/onnx-latest.json');
    return;
  }
  console.log('\n== train throughput');
  const train = trainRates();
  // Again at the end: a ceiling that moved between the two says the machine's load changed during the run.
  const machineEnd = await machineCeiling();
  console.log(`\nmachine ceiling at the end: ${machineLine(machineEnd)}`);
  const targets = [...checkTargets(results, machine), ...onnxTargets(results as { model: string; onnx?: OnnxRun[] }[])];
  console.log('\ntargets (#10, #17):');
  for (const t of targets) console.log(`  ${t.met ? 'met    ' : 'NOT MET'} ${t.what}: ${t.measured}${t.context ? ` (${t.context})` : ''}`);
  const report = { startedAt, finishedAt: new Date().toISOString(), node: process.version, cores, threads, iters, loadReps, poolReps, loadavgStart: load0, loadavgEnd: loadavg(), machine, machineEnd, targets, results, train };
  mkdirSync(join(pkgDir, 'bench-results'), { recursive: true });
  writeFileSync(join(pkgDir, 'bench-results', 'latest.json'), `${JSON.stringify(report, null, 2)}\n`);
  const groups: ChartGroup[] = results.map((r) => {
    const f = r.forward as { single: { oursMs: number; rawMs?: number }; multi: { oursMs: number; rawMs?: number; threads: number } | null };
    const bars = [{ label: 'ours, 1 thread', value: f.single.oursMs }];
    if (f.single.rawMs !== undefined) bars.push({ label: 'raw fused, 1 thread', value: f.single.rawMs });
    if (f.multi) {
      bars.push({ label: `ours, ${f.multi.threads} threads`, value: f.multi.oursMs });
      if (f.multi.rawMs !== undefined) bars.push({ label: `raw fused, ${f.multi.threads} threads`, value: f.multi.rawMs });
    }
    const p = r.pool as { one: { imagesPerSec: number }; many: { imagesPerSec: number; workers: number } | null };
    bars.push({ label: 'pool, 1 worker (ms/img)', value: 1000 / p.one.imagesPerSec });
    if (p.many) bars.push({ label: `pool, ${p.many.workers} workers (ms/img)`, value: 1000 / p.many.imagesPerSec });
    return { name: r.model as string, bars };
  });
  const note = `${startedAt.slice(0, 16)}Z · ${cores} cores · node ${process.version} · tfjs wasm SIMD · load avg ${load0[0]!.toFixed(1)}→${loadavg()[0]!.toFixed(1)}`;
  writeFileSync(join(pkgDir, 'bench-results', 'latest.md'), `${markdown(report)}${trainMarkdown(train).join('\n')}\n`);
  mkdirSync(join(repoRoot, 'docs'), { recursive: true });
  writeFileSync(join(repoRoot, 'docs', 'bench.svg'), barChartSvg("Forward time, batch 1, at each model's input size (lower is better)", groups, 'ms', note));
  console.log(`\nwrote ${join('packages/bench/bench-results/latest.json')} and docs/bench.svg`);
}

await main();
