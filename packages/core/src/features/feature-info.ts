/** One feature level as timm describes it: channels, reduction (output stride) and the module producing it. */
export interface FeatureInfoEntry {
  numChs: number;
  reduction: number;
  module: string;
  index?: number;
  /** For hook-based extraction: 'forward' (module output, default) or 'forward_pre' (module input). */
  hookType?: 'forward' | 'forward_pre';
  stage?: number;
}

/** Output indices as timm takes them: a list of absolute or negative indices, or n meaning the last n. */
export type OutIndices = number | readonly number[];

export function outIndicesAsList(x: OutIndices): number[] {
  if (typeof x === 'number') {
    const out: number[] = [];
    for (let i = -x; i < 0; i++) out.push(i);
    return out;
  }
  return [...x];
}

/**
 * timm's `feature_take_indices`: absolute indices for `indices` (undefined → all, n → last n, negatives from the end),
 * and the largest. Out-of-range indices are an error naming the valid range.
 */
export function featureTakeIndices(numFeatures: number, indices?: OutIndices): { indices: number[]; maxIndex: number } {
  const idx = indices ?? numFeatures;
  let take: number[];
  if (typeof idx === 'number') {
    if (!(idx > 0 && idx <= numFeatures)) throw new RangeError(`last-n (${idx}) is out of range (1 to ${numFeatures})`);
    take = Array.from({ length: idx }, (_, i) => numFeatures - idx + i);
  } else {
    take = idx.map((i) => {
      const a = i < 0 ? numFeatures + i : i;
      if (!(a >= 0 && a < numFeatures)) throw new RangeError(`feature index ${i} is out of range (${-numFeatures} to ${numFeatures - 1})`);
      return a;
    });
  }
  return { indices: take, maxIndex: Math.max(...take) };
}

/** timm's FeatureInfo: the model's feature levels and the ones selected by `outIndices`. */
export class FeatureInfo {
  readonly info: FeatureInfoEntry[];
  readonly outIndices: number[];

  constructor(info: readonly FeatureInfoEntry[], outIndices: OutIndices) {
    let prev = 1;
    this.info = info.map((fi, i) => {
      if (!(fi.numChs > 0)) throw new Error(`feature_info[${i}] needs numChs > 0`);
      if (!(fi.reduction >= prev)) throw new Error(`feature_info[${i}] reduction ${fi.reduction} is below the previous ${prev}`);
      prev = fi.reduction;
      return { ...fi, index: fi.index ?? i };
    });
    this.outIndices = outIndicesAsList(outIndices);
    for (const i of this.outIndices) {
      const a = i < 0 ? this.info.length + i : i;
      if (a < 0 || a >= this.info.length) {
        throw new RangeError(`out index ${i} is out of range: the model has ${this.info.length} feature levels (valid: ${-this.info.length} to ${this.info.length - 1})`);
      }
    }
  }

  fromOther(outIndices: OutIndices): FeatureInfo {
    return new FeatureInfo(this.info, outIndices);
  }

  private at(i: number): FeatureInfoEntry {
    return this.info[i < 0 ? this.info.length + i : i]!;
  }

  private pick<K extends keyof FeatureInfoEntry>(key: K, idx?: number | number[]): any {
    if (idx === undefined) return this.outIndices.map((i) => this.at(i)[key]);
    if (Array.isArray(idx)) return idx.map((i) => this.at(i)[key]);
    return this.at(idx)[key];
  }

  channels(): number[];
  channels(idx: number): number;
  channels(idx: number[]): number[];
  channels(idx?: number | number[]): number | number[] {
    return this.pick('numChs', idx);
  }

  reduction(): number[];
  reduction(idx: number): number;
  reduction(idx: number[]): number[];
  reduction(idx?: number | number[]): number | number[] {
    return this.pick('reduction', idx);
  }

  moduleName(): string[];
  moduleName(idx: number): string;
  moduleName(idx: number[]): string[];
  moduleName(idx?: number | number[]): string | string[] {
    return this.pick('module', idx);
  }

  /** The selected levels as plain objects (timm's `get_dicts()`). */
  getDicts(idx?: number[]): FeatureInfoEntry[] {
    return (idx ?? this.outIndices).map((i) => ({ ...this.at(i) }));
  }

  get length(): number {
    return this.info.length;
  }
}
