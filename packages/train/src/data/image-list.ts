/**
 * A dataset from a list of images with their class indices: what a page has (Files the user picked, image URLs,
 * ImageBitmaps, canvases, raw images), decoded with core's browser decoding when read. In Node, pass `decode` (e.g.
 * core/node's `decodeImage` for paths and bytes).
 */
import { asRawImage, type ImageDecoder, type ImageInput, toRawImage } from '@zoo/core';
import { DatasetError, type Dataset, type Sample } from './dataset.js';

export interface ImageListOptions {
  /** Class names by index (checked against the targets). */
  classes?: readonly string[];
  /** Tried first for each image (Node: paths and encoded bytes). */
  decode?: ImageDecoder;
  /** Refuse images with more pixels than this (default core's 100 megapixels). */
  maxPixels?: number;
}

/**
 * `items[i].image` is anything core's transforms take (a Blob / File, ImageBitmap, image element, canvas, ImageData,
 * a raw image) or a URL string, fetched in a page. Targets must be integers from 0 (below `classes.length` when given).
 */
export class ImageListDataset<I = ImageInput | string> implements Dataset {
  readonly classes?: readonly string[];

  constructor(
    readonly items: readonly { image: I; target: number }[],
    private readonly options: ImageListOptions = {},
  ) {
    const n = options.classes?.length;
    items.forEach(({ target }, i) => {
      if (!(Number.isInteger(target) && target >= 0 && (n === undefined || target < n))) {
        throw new DatasetError(`ImageListDataset: item ${i} has target ${String(target)}; expected an integer from 0${n === undefined ? '' : ` to ${n - 1}`}`);
      }
    });
    this.classes = options.classes;
  }

  get length(): number {
    return this.items.length;
  }

  async get(index: number): Promise<Sample> {
    const item = this.items[index];
    if (!item) throw new RangeError(`ImageListDataset: index ${index} out of range (0..${this.items.length - 1})`);
    const { decode, maxPixels } = this.options;
    let input: unknown = item.image;
    if (typeof input === 'string' && !decode && typeof fetch === 'function') {
      const res = await fetch(input);
      if (!res.ok) throw new DatasetError(`ImageListDataset: ${input}: HTTP ${res.status}`);
      input = await res.blob();
    }
    return { image: asRawImage(await toRawImage(input, decode, maxPixels)), target: item.target };
  }
}
