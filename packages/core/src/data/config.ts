/**
 * Data (preprocessing) config resolution, following timm's `resolve_data_config` (timm/data/config.py):
 * explicit overrides win, then the pretrained cfg (test size / test crop when `useTestSize`), then timm's defaults.
 */
import type { PretrainedCfg } from '../config/pretrained.js';

export const DEFAULT_CROP_PCT = 0.875;
export const DEFAULT_CROP_MODE = 'center';
export const IMAGENET_DEFAULT_MEAN: readonly [number, number, number] = [0.485, 0.456, 0.406];
export const IMAGENET_DEFAULT_STD: readonly [number, number, number] = [0.229, 0.224, 0.225];
export const IMAGENET_INCEPTION_MEAN: readonly [number, number, number] = [0.5, 0.5, 0.5];
export const IMAGENET_INCEPTION_STD: readonly [number, number, number] = [0.5, 0.5, 0.5];
export const OPENAI_CLIP_MEAN: readonly [number, number, number] = [0.48145466, 0.4578275, 0.40821073];
export const OPENAI_CLIP_STD: readonly [number, number, number] = [0.26862954, 0.26130258, 0.27577711];

/** Resampling filters, named as timm names them (PIL's filters). */
export type Interpolation = 'nearest' | 'bilinear' | 'bicubic' | 'box' | 'hamming' | 'lanczos';
/** Eval crop modes of timm's `transforms_imagenet_eval`. */
export type CropMode = 'center' | 'squash' | 'border';

/** A resolved data config: timm's `resolve_data_config` result in camelCase. */
export interface DataConfig {
  /** `[C, H, W]` */
  inputSize: [number, number, number];
  interpolation: Interpolation | string;
  mean: number[];
  std: number[];
  cropPct: number;
  cropMode: CropMode | string;
}

/** Explicit settings; they take precedence over the pretrained cfg (timm's `args`). */
export interface DataConfigOverrides {
  inputSize?: [number, number, number] | number[];
  /** Square image size (used when `inputSize` is not given). */
  imgSize?: number;
  inChans?: number;
  chans?: number;
  interpolation?: string;
  mean?: number[];
  std?: number[];
  cropPct?: number;
  cropMode?: string;
}

export interface ResolveDataConfigOptions {
  /** Any object with a `pretrainedCfg` (a model). Used when `pretrainedCfg` is not given. */
  model?: { pretrainedCfg?: PretrainedCfg | null } | null;
  pretrainedCfg?: PretrainedCfg | null;
  overrides?: DataConfigOverrides | null;
  /** Use `testInputSize` / `testCropPct` of the pretrained cfg where it has them. */
  useTestSize?: boolean;
}

function isEmptyCfg(cfg: PretrainedCfg | null | undefined): boolean {
  return !cfg || Object.keys(cfg).length === 0;
}

/** Python truthiness for the values a cfg holds. */
function truthy(v: unknown): boolean {
  if (v === undefined || v === null || v === false || v === 0 || v === '') return false;
  if (Array.isArray(v)) return v.length > 0;
  return true;
}

function expandStats(values: number[], inChans: number, name: string): number[] {
  if (values.length === 1) return new Array<number>(inChans).fill(values[0]!);
  if (values.length !== inChans) {
    throw new Error(`resolveDataConfig: ${name} has ${values.length} values, expected 1 or ${inChans}`);
  }
  return [...values];
}

/**
 * timm's `resolve_data_config`: the input size, interpolation, mean/std, crop pct and crop mode a model expects.
 */
export function resolveDataConfig(options: ResolveDataConfigOptions = {}): DataConfig {
  const { model, useTestSize = false } = options;
  const args: DataConfigOverrides = options.overrides ?? {};
  if (!model && isEmptyCfg(options.pretrainedCfg) && Object.keys(args).length === 0) {
    throw new Error('resolveDataConfig: at least one of model, pretrainedCfg or overrides is required');
  }
  let cfg: PretrainedCfg = options.pretrainedCfg ?? {};
  if (isEmptyCfg(cfg) && model?.pretrainedCfg) cfg = model.pretrainedCfg;

  // input size
  let inChans = 3;
  if (args.inChans != null) inChans = args.inChans;
  else if (args.chans != null) inChans = args.chans;
  let inputSize: [number, number, number] = [inChans, 224, 224];
  if (args.inputSize != null) {
    if (args.inputSize.length !== 3) throw new Error('resolveDataConfig: inputSize must be [C, H, W]');
    inputSize = [args.inputSize[0]!, args.inputSize[1]!, args.inputSize[2]!];
    inChans = inputSize[0];
  } else if (args.imgSize != null) {
    if (!Number.isInteger(args.imgSize)) throw new Error('resolveDataConfig: imgSize must be an integer');
    inputSize = [inChans, args.imgSize, args.imgSize];
  } else if (useTestSize && cfg.testInputSize != null) {
    inputSize = [...cfg.testInputSize];
  } else if (cfg.inputSize != null) {
    inputSize = [...cfg.inputSize];
  }

  let interpolation = 'bicubic';
  if (truthy(args.interpolation)) interpolation = args.interpolation!;
  else if (truthy(cfg.interpolation)) interpolation = cfg.interpolation!;

  let mean: number[] = [...IMAGENET_DEFAULT_MEAN];
  if (args.mean != null) mean = expandStats([...args.mean], inChans, 'mean');
  else if (truthy(cfg.mean)) mean = [...cfg.mean!];

  let std: number[] = [...IMAGENET_DEFAULT_STD];
  if (args.std != null) std = expandStats([...args.std], inChans, 'std');
  else if (truthy(cfg.std)) std = [...cfg.std!];

  let cropPct = DEFAULT_CROP_PCT;
  if (truthy(args.cropPct)) cropPct = args.cropPct!;
  else if (useTestSize && truthy(cfg.testCropPct)) cropPct = cfg.testCropPct!;
  else if (truthy(cfg.cropPct)) cropPct = cfg.cropPct!;

  let cropMode: string = DEFAULT_CROP_MODE;
  if (truthy(args.cropMode)) cropMode = args.cropMode!;
  else if (truthy(cfg.cropMode)) cropMode = cfg.cropMode!;

  return { inputSize, interpolation, mean, std, cropPct, cropMode };
}
