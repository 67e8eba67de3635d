/**
 * timm's PretrainedCfg, field for field, in camelCase. `toTimmDict` / `fromTimmDict` convert to and from timm's
 * snake_case (the form of `config.json` on the hub and of `PretrainedCfg.to_dict()`).
 */
export interface PretrainedCfg {
  url?: string;
  file?: string;
  stateDict?: unknown;
  hfHubId?: string;
  hfHubFilename?: string;
  source?: string;
  architecture?: string;
  tag?: string;
  customLoad?: boolean;
  inputSize?: [number, number, number];
  testInputSize?: [number, number, number];
  minInputSize?: [number, number, number];
  fixedInputSize?: boolean;
  interpolation?: string;
  cropPct?: number;
  testCropPct?: number;
  cropMode?: string;
  mean?: [number, number, number] | number[];
  std?: [number, number, number] | number[];
  numClasses?: number;
  labelOffset?: number;
  labelNames?: string[];
  labelDescriptions?: Record<string, string>;
  poolSize?: [number, number] | null;
  testPoolSize?: [number, number];
  firstConv?: string | string[] | null;
  classifier?: string | string[] | null;
  license?: string;
  description?: string;
  originUrl?: string;
  paperName?: string;
  paperIds?: string | string[];
  notes?: string[];
  /** A pool type a hub `config.json` may carry (not a timm dataclass field; read into `globalPool`). */
  globalPool?: string;
}

/** timm's PretrainedCfg dataclass defaults (the values `to_dict()` drops when unchanged are the ones with no default). */
export const PRETRAINED_CFG_DEFAULTS: Readonly<PretrainedCfg> = Object.freeze({
  customLoad: false,
  inputSize: [3, 224, 224],
  fixedInputSize: false,
  interpolation: 'bicubic',
  cropPct: 0.875,
  cropMode: 'center',
  mean: [0.485, 0.456, 0.406],
  std: [0.229, 0.224, 0.225],
  numClasses: 1000,
}) as PretrainedCfg;

/** Whether a cfg names a weight source (timm's `has_weights`). */
export function hasWeights(cfg: PretrainedCfg): boolean {
  return Boolean(cfg.url || cfg.file || cfg.hfHubId);
}

export function snakeToCamel(s: string): string {
  return s.replace(/_([a-z0-9])/g, (_, c: string) => c.toUpperCase());
}

export function camelToSnake(s: string): string {
  return s.replace(/[A-Z]/g, (c) => `_${c.toLowerCase()}`);
}

/** timm's snake_case dict → our camelCase cfg. Unknown fields are kept (camelCased) at run time. */
export function fromTimmDict(d: Record<string, unknown>): PretrainedCfg {
  const out: Record<string, unknown> = {};
  for (const [k, v] of Object.entries(d)) out[snakeToCamel(k)] = v;
  return out as PretrainedCfg;
}

const KEEP_NULL = new Set(['pool_size', 'first_conv', 'classifier']);

/**
 * Our camelCase cfg → timm's snake_case dict, as `PretrainedCfg.to_dict()` writes it: null fields dropped except
 * pool_size, first_conv and classifier; an in-memory state dict is never serialised.
 */
export function toTimmDict(cfg: PretrainedCfg): Record<string, unknown> {
  const out: Record<string, unknown> = {};
  for (const [k, v] of Object.entries(cfg)) {
    if (v === undefined || k === 'stateDict') continue;
    const sk = camelToSnake(k);
    if (v === null && !KEEP_NULL.has(sk)) continue;
    out[sk] = v;
  }
  return out;
}
