/**
 * Value checks for the options every model family shares, run before a model is built: a wrong type or range is a
 * {@link ModelOptionError} naming the option, the value and what is allowed, rather than a model that builds and
 * fails (or silently misbehaves) at its first forward.
 */

/** A model option with a value of the wrong type or out of range. */
export class ModelOptionError extends RangeError {
  override name = 'ModelOptionError';
  constructor(
    readonly option: string,
    readonly value: unknown,
    allowed: string,
    variant?: string,
  ) {
    super(`${variant ? `${variant}: ` : ''}option '${option}' is ${show(value)}; allowed: ${allowed}.`);
  }
}

function show(v: unknown): string {
  if (typeof v === 'string') return `the string ${JSON.stringify(v.slice(0, 60))}`;
  if (typeof v === 'number') return String(v);
  if (Array.isArray(v)) return `[${v.slice(0, 8).map(show).join(', ')}${v.length > 8 ? ', …' : ''}]`;
  if (v === null) return 'null';
  return typeof v === 'object' ? 'an object' : `${typeof v} ${String(v)}`;
}

/** The largest image side accepted (a bound on position-embedding and activation sizes, not a timm rule). */
export const MAX_IMG_SIZE = 16384;

const isInt = (v: unknown): v is number => typeof v === 'number' && Number.isSafeInteger(v);

function checkInt(variant: string, option: string, v: unknown, min: number, max = Number.MAX_SAFE_INTEGER): void {
  if (!isInt(v) || v < min || v > max) {
    throw new ModelOptionError(option, v, max === Number.MAX_SAFE_INTEGER ? `an integer ≥ ${min}` : `an integer from ${min} to ${max}`, variant);
  }
}

/**
 * Checks `numClasses` (integer ≥ 0), `inChans` (integer ≥ 1), `imgSize` (an integer or a pair of integers from 1
 * to {@link MAX_IMG_SIZE}), `outIndices` (an integer ≥ 1, or a list of integers), every drop rate
 * (`dropRate`, `dropPathRate`, `*DropRate`: a number in [0, 1)), and the flags `featuresOnly` / `pretrained`
 * (booleans). `undefined` means "not given" and passes.
 */
export function checkOptionValues(variant: string, options: Record<string, unknown>): void {
  const { numClasses, inChans, imgSize, outIndices } = options;
  if (numClasses !== undefined) checkInt(variant, 'numClasses', numClasses, 0);
  if (inChans !== undefined) checkInt(variant, 'inChans', inChans, 1);
  if (imgSize !== undefined && imgSize !== null) {
    const ok =
      (isInt(imgSize) && imgSize >= 1 && imgSize <= MAX_IMG_SIZE) ||
      (Array.isArray(imgSize) && imgSize.length === 2 && imgSize.every((d) => isInt(d) && d >= 1 && d <= MAX_IMG_SIZE));
    if (!ok) throw new ModelOptionError('imgSize', imgSize, `an integer or a pair [height, width] of integers from 1 to ${MAX_IMG_SIZE}`, variant);
  }
  if (outIndices !== undefined) {
    const ok = (isInt(outIndices) && outIndices >= 1) || (Array.isArray(outIndices) && outIndices.length > 0 && outIndices.every(isInt));
    if (!ok) throw new ModelOptionError('outIndices', outIndices, 'an integer n ≥ 1 (the last n levels) or a non-empty list of integer level indices', variant);
  }
  for (const [k, v] of Object.entries(options)) {
    if (v === undefined || v === null) continue;
    if (k === 'dropRate' || k === 'dropPathRate' || k.endsWith('DropRate')) {
      if (typeof v !== 'number' || !(v >= 0 && v < 1)) throw new ModelOptionError(k, v, 'a number in [0, 1)', variant);
    }
  }
  for (const k of ['featuresOnly', 'pretrained']) {
    const v = options[k];
    if (v !== undefined && v !== null && typeof v !== 'boolean') throw new ModelOptionError(k, v, 'true or false', variant);
  }
}
