import type { PretrainedCfg } from '../config/pretrained.js';
import type { HubRetryCallback } from '../hub/http.js';
import type { VisionModel } from '../model.js';
import { loadCheckpointSource, localCheckpointPath, readCheckpoint } from '../weights/checkpoint.js';
import { formatShape, numel, type StateDict, type TensorData } from '../weights/types.js';

export interface LoadPretrainedOptions {
  numClasses: number;
  inChans: number;
  filterFn?: (sd: StateDict, model: VisionModel) => StateDict;
  strict?: boolean;
  cacheDir?: string;
  onProgress?: (p: { loaded: number; total?: number; file: string }) => void;
  onRetry?: HubRetryCallback;
}

export type PretrainedSource =
  | { from: 'state_dict'; stateDict: StateDict }
  | { from: 'file'; file: string | Uint8Array }
  | { from: 'hf-hub'; repoId: string; filename?: string }
  | { from: 'local-dir'; dir: string }
  | { from: 'url'; url: string }
  | { from: '' };

/** timm's `_resolve_pretrained_source`: in-memory state dict > file > hf-hub id > url (`source` can force hub / folder). */
export function resolvePretrainedSource(cfg: PretrainedCfg): PretrainedSource {
  const source = (cfg.source as string | undefined) ?? '';
  const hubFile = cfg.hfHubFilename;
  if (source === 'hf-hub') {
    if (!cfg.hfHubId) throw new Error(`pretrained cfg has source 'hf-hub' but no hfHubId`);
    return { from: 'hf-hub', repoId: cfg.hfHubId, filename: hubFile };
  }
  if (source === 'local-dir') return { from: 'local-dir', dir: cfg.file as string };
  if (cfg.stateDict) return { from: 'state_dict', stateDict: cfg.stateDict as StateDict };
  if (cfg.file) return { from: 'file', file: cfg.file as string | Uint8Array };
  if (cfg.hfHubId) return { from: 'hf-hub', repoId: cfg.hfHubId, filename: hubFile };
  if (cfg.url) return { from: 'url', url: cfg.url };
  return { from: '' };
}

const isNode = typeof process !== 'undefined' && !!process.versions?.node;

/**
 * The local file a pretrained cfg's weights are in, when there is one (Node: a `file` path, a `local-dir` folder, or
 * the hub file in the huggingface_hub cache, downloaded first if needed); `null` for in-memory weights, URLs, or
 * outside Node. `source` names the weights in errors.
 */
export async function pretrainedWeightsFile(cfg: PretrainedCfg, opts: Pick<LoadPretrainedOptions, 'cacheDir' | 'onProgress' | 'onRetry'> = {}): Promise<{ path: string; source: string } | null> {
  if (!isNode) return null;
  const src = resolvePretrainedSource(cfg);
  switch (src.from) {
    case 'file': {
      const path = typeof src.file === 'string' ? localCheckpointPath(src.file) : null;
      return path === null ? null : { path, source: src.file as string };
    }
    case 'local-dir': {
      const path = await dirWeightsFile(src.dir);
      return { path, source: path };
    }
    case 'hf-hub': {
      const hub = await import('../hub/index.js');
      return hubWeights(src, opts, async (repoId, filename, o) => ({ path: await hub.downloadHubFile(repoId, filename, o), source: `${repoId}/${filename}` }));
    }
    default:
      return null;
  }
}

/** Reads the weights a pretrained cfg points at, wherever they are. */
export async function fetchPretrainedStateDict(cfg: PretrainedCfg, opts: Pick<LoadPretrainedOptions, 'cacheDir' | 'onProgress' | 'onRetry'> = {}): Promise<StateDict> {
  const src = resolvePretrainedSource(cfg);
  switch (src.from) {
    case 'state_dict':
      return src.stateDict;
    case 'file':
      return loadCheckpointSource(src.file);
    case 'url':
      return loadCheckpointSource(src.url);
    case 'local-dir':
      return loadFromDir(src.dir);
    case 'hf-hub': {
      const hub = await import('../hub/index.js');
      return hubWeights(src, opts, async (repoId, filename, o) => readCheckpoint(await hub.fetchHubFileBytes(repoId, filename, o), `${repoId}/${filename}`));
    }
    default:
      throw new Error(`No pretrained weights exist for ${cfg.architecture ?? 'this model'}. Use pretrained: false for random init, or give pretrainedCfgOverlay: { file } / checkpointPath.`);
  }
}

type HubOpts = { revision?: string; cacheDir?: string; onProgress?: LoadPretrainedOptions['onProgress']; onRetry?: HubRetryCallback };

/**
 * Gets a hub repo's weights with `get`: the named file, or (none named) model.safetensors when the repo has it, else
 * pytorch_model.bin, as timm does; when neither can be had the error says so rather than naming only the last.
 */
async function hubWeights<T>(src: { repoId: string; filename?: string }, opts: Pick<LoadPretrainedOptions, 'cacheDir' | 'onProgress' | 'onRetry'>, get: (repoId: string, filename: string, o: HubOpts) => Promise<T>): Promise<T> {
  const hub = await import('../hub/index.js');
  const { repoId, revision } = hub.parseHubRepoId(src.repoId);
  const o = { revision, cacheDir: opts.cacheDir, onProgress: opts.onProgress, onRetry: opts.onRetry };
  let filename = src.filename;
  if (!filename) filename = (await hub.hubFileExists(repoId, 'model.safetensors', o)) ? 'model.safetensors' : 'pytorch_model.bin';
  try {
    return await get(repoId, filename, o);
  } catch (e) {
    if (!src.filename && e instanceof hub.HubError && (e.code === 'EntryNotFound' || e.code === 'OfflineCacheMiss')) {
      const why = e.code === 'EntryNotFound' ? 'the repo has neither model.safetensors nor pytorch_model.bin' : 'neither model.safetensors nor pytorch_model.bin is in the hub cache and offline mode is on (HF_HUB_OFFLINE)';
      throw new hub.HubError(`No pretrained weights for '${repoId}' (revision '${revision ?? 'main'}'): ${why}. ${e.message}`, {
        status: e.status, repoId, filename, url: e.url, code: e.code, cause: e,
      });
    }
    throw e;
  }
}

/** The weights file in a local folder: `model.safetensors` (preferred) or `pytorch_model.bin`. */
async function dirWeightsFile(dir: string): Promise<string> {
  const fs = await import('node:fs/promises');
  const path = await import('node:path');
  for (const f of ['model.safetensors', 'pytorch_model.bin', 'open_clip_pytorch_model.bin']) {
    const p = path.join(dir, f);
    try {
      await fs.access(p);
    } catch {
      continue;
    }
    return p;
  }
  throw new Error(`no weights in ${dir}: expected model.safetensors or pytorch_model.bin`);
}

/** Reads `model.safetensors` (preferred) or `pytorch_model.bin` from a local folder. */
export async function loadFromDir(dir: string): Promise<StateDict> {
  return loadCheckpointSource(await dirWeightsFile(dir));
}

/**
 * timm's `adapt_input_conv`: a 3-channel first-conv weight `[O, 3, kh, kw]` for `inChans` inputs: summed for 1,
 * repeated and scaled by 3/N otherwise.
 */
export function adaptInputConv(inChans: number, w: TensorData): TensorData {
  if (w.shape.length !== 4) throw new Error(`adaptInputConv only supports 4-D conv weights, got ${formatShape(w.shape)}`);
  const [O, I, J, K] = w.shape as [number, number, number, number];
  const src = w.data as Float32Array;
  const hw = J * K;
  if (inChans === 1) {
    if (I > 3) {
      if (I % 3) throw new Error(`cannot adapt ${formatShape(w.shape)} to 1 channel`);
      const g = I / 3;
      const out = new Float32Array(O * g * hw);
      for (let o = 0; o < O; o++)
        for (let i = 0; i < g; i++)
          for (let c = 0; c < 3; c++)
            for (let k = 0; k < hw; k++) out[(o * g + i) * hw + k]! += src[(o * I + i * 3 + c) * hw + k]!;
      return { dtype: 'float32', shape: [O, g, J, K], data: out };
    }
    const out = new Float32Array(O * hw);
    for (let o = 0; o < O; o++) for (let c = 0; c < I; c++) for (let k = 0; k < hw; k++) out[o * hw + k]! += src[(o * I + c) * hw + k]!;
    return { dtype: 'float32', shape: [O, 1, J, K], data: out };
  }
  if (I !== 3) throw new Error('Weight format not supported by conversion.');
  const out = new Float32Array(O * inChans * hw);
  const scale = 3 / inChans;
  for (let o = 0; o < O; o++)
    for (let c = 0; c < inChans; c++)
      for (let k = 0; k < hw; k++) out[(o * inChans + c) * hw + k] = Math.fround(src[(o * 3 + (c % 3)) * hw + k]! * scale);
  return { dtype: 'float32', shape: [O, inChans, J, K], data: out };
}

const asList = (v: string | string[] | undefined | null): string[] => (!v ? [] : Array.isArray(v) ? v : [v]);

/**
 * timm's `load_pretrained`: fetches the weights, runs the family filter, adapts the first conv for `inChans`,
 * drops the classifier when the class count differs (then loads non-strict), and loads.
 */
export async function loadPretrained(model: VisionModel, cfg: PretrainedCfg, opts: LoadPretrainedOptions): Promise<void> {
  if (await streamPretrained(model, cfg, opts)) return;
  let sd = { ...(await fetchPretrainedStateDict(cfg, opts)) };
  let strict = opts.strict ?? true;
  if (opts.filterFn) sd = opts.filterFn(sd, model);
  if (opts.inChans !== 3) {
    for (const name of asList(cfg.firstConv)) {
      const key = `${name}.weight`;
      const w = sd[key];
      if (!w) continue;
      try {
        sd[key] = adaptInputConv(opts.inChans, w);
      } catch {
        console.warn(`Unable to convert pretrained ${name} weights, using random init for this layer.`);
        delete sd[key];
        strict = false;
      }
    }
  }
  const labelOffset = (cfg.labelOffset as number | undefined) ?? 0;
  const classifiers = asList(cfg.classifier);
  if (classifiers.length) {
    if (opts.numClasses !== cfg.numClasses) {
      for (const c of classifiers) {
        delete sd[`${c}.weight`];
        delete sd[`${c}.bias`];
      }
      strict = false;
    } else if (labelOffset > 0) {
      for (const c of classifiers) {
        for (const suffix of ['weight', 'bias']) {
          const t = sd[`${c}.${suffix}`]!;
          const inner = numel(t.shape.slice(1));
          sd[`${c}.${suffix}`] = { ...t, shape: [t.shape[0]! - labelOffset, ...t.shape.slice(1)], data: (t.data as Float32Array).slice(labelOffset * inner) };
        }
      }
    }
  }
  model.loadStateDict(sd, { strict });
}

/**
 * The fast path of {@link loadPretrained} for a local safetensors file that needs no rewriting (no family filter,
 * 3 input channels, no label offset): the file streams into the model, each entry converted while the next is read
 * (a dropped classifier is simply not read). Returns false, having loaded nothing, where it does not apply.
 */
async function streamPretrained(model: VisionModel, cfg: PretrainedCfg, opts: LoadPretrainedOptions): Promise<boolean> {
  const labelOffset = (cfg.labelOffset as number | undefined) ?? 0;
  if (opts.filterFn || opts.inChans !== 3 || labelOffset > 0) return false;
  const file = await pretrainedWeightsFile(cfg, opts);
  if (!file) return false;
  const classifiers = asList(cfg.classifier);
  const drop = classifiers.length > 0 && opts.numClasses !== cfg.numClasses;
  const dropped = new Set(drop ? classifiers.flatMap((c) => [`${c}.weight`, `${c}.bias`]) : []);
  const { openSafetensorsStream } = await import('../weights/stream.js');
  const stream = await openSafetensorsStream(file.path, { source: file.source, skip: (k) => dropped.has(k) });
  if (!stream) return false;
  await model.loadStateDictStream(stream, { strict: (opts.strict ?? true) && !drop });
  return true;
}
