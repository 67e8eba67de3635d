/** What datasets share (browser-safe): a sample, the dataset interface, the error for bad datasets. */
import type { RawImage } from '@zoo/core';

/** Raised for a missing or empty dataset folder, a bad file, an unknown split or a bad target; names the thing. */
export class DatasetError extends Error {
  override name = 'DatasetError';
}

/** One sample of a dataset: an 8-bit image and its class index. */
export interface Sample {
  image: RawImage;
  target: number;
}

/** What `DataLoader` and `fit` read: `length` samples, each fetched by index. */
export interface Dataset {
  readonly length: number;
  get(index: number): Promise<Sample> | Sample;
  /** Class names by index, when known. */
  readonly classes?: readonly string[];
}
