/**
 * timm's ImageFolder reader (`find_images_and_targets`) in Node: images found recursively under a folder, each
 * labelled by the name of the folder it sits in, classes indexed in natural sort order, samples in natural order of
 * their paths. Images are decoded with core's Node decoder (sharp) when read.
 */
import { readdirSync, statSync } from 'node:fs';
import { basename, extname, join, relative, sep } from 'node:path';
import { decodeImage } from '@zoo/core/node';
import { DatasetError, type Dataset, type Sample } from './dataset.js';

export { DatasetError, type Dataset, type Sample } from './dataset.js';

/** timm's default image extensions. */
export const IMG_EXTENSIONS: readonly string[] = ['.png', '.jpg', '.jpeg'];

/** timm's `natural_key`: lower-cased, digit runs compared as numbers (`img2` before `img10`). */
export function naturalKey(s: string): (string | number)[] {
  return s
    .toLowerCase()
    .split(/(\d+)/)
    .map((part) => (/^\d+$/.test(part) ? Number(part) : part));
}

/** Compares two strings as Python compares their `natural_key` lists. */
export function naturalCompare(a: string, b: string): number {
  const ka = naturalKey(a);
  const kb = naturalKey(b);
  for (let i = 0; i < Math.min(ka.length, kb.length); i++) {
    const x = ka[i]!;
    const y = kb[i]!;
    if (x === y) continue;
    // split() alternates text and digit runs, so the types at one position agree
    if (typeof x === 'number' && typeof y === 'number') return x - y;
    return String(x) < String(y) ? -1 : 1;
  }
  return ka.length - kb.length;
}

export interface FindImagesOptions {
  /** File extensions (lower case, with the dot). Default {@link IMG_EXTENSIONS}. */
  types?: readonly string[];
  /** A fixed class → index map; images of other classes are left out. Default: built from the folder names found. */
  classToIdx?: Record<string, number>;
  /** Label by the leaf folder name (default, as timm) or by the whole relative path joined with '_'. */
  leafNameOnly?: boolean;
}

/**
 * timm's `find_images_and_targets(folder, types, class_to_idx, leaf_name_only, sort=True)`: `[path, classIndex]`
 * pairs in natural order of the paths, and the class → index map (classes in natural order). Symbolic links are
 * followed, as timm's `os.walk(followlinks=True)`.
 */
export function findImagesAndTargets(folder: string, options: FindImagesOptions = {}): { samples: [string, number][]; classToIdx: Record<string, number> } {
  const types = new Set((options.types ?? IMG_EXTENSIONS).map((t) => t.toLowerCase()));
  const leaf = options.leafNameOnly ?? true;
  const files: string[] = [];
  const labels: string[] = [];
  const walk = (dir: string, seen: Set<string>): void => {
    let names: string[];
    try {
      names = readdirSync(dir);
    } catch {
      return; // os.walk skips folders it cannot list
    }
    const rel = dir === folder ? '' : relative(folder, dir);
    const label = leaf ? basename(rel) : rel.split(sep).join('_');
    for (const name of names) {
      const path = join(dir, name);
      let st: ReturnType<typeof statSync>;
      try {
        st = statSync(path);
      } catch {
        continue;
      }
      if (st.isDirectory()) {
        const id = `${st.dev}:${st.ino}`;
        if (!seen.has(id)) walk(path, new Set([...seen, id]));
      } else if (types.has(extname(name).toLowerCase())) {
        files.push(path);
        labels.push(label);
      }
    }
  };
  let root: ReturnType<typeof statSync>;
  try {
    root = statSync(folder);
  } catch {
    throw new DatasetError(`image folder not found: ${folder}`);
  }
  if (!root.isDirectory()) throw new DatasetError(`not a folder: ${folder}`);
  walk(folder, new Set([`${root.dev}:${root.ino}`]));
  let classToIdx = options.classToIdx;
  if (!classToIdx) {
    const unique = [...new Set(labels)].sort(naturalCompare);
    classToIdx = Object.fromEntries(unique.map((c, i) => [c, i]));
  }
  const map = classToIdx;
  const samples: [string, number][] = [];
  files.forEach((f, i) => {
    const c = labels[i]!;
    if (Object.hasOwn(map, c)) samples.push([f, map[c]!]);
  });
  samples.sort((a, b) => naturalCompare(a[0], b[0]));
  return { samples, classToIdx: map };
}

const TRAIN_SYNONYMS = ['train', 'training'];
const EVAL_SYNONYMS = ['validation', 'valid', 'val', 'eval', 'evaluation'];

/**
 * timm's `_search_split`: `root/<split>` when it exists, else the first existing synonym folder (train, training /
 * validation, valid, val, eval, evaluation), else `root` itself.
 */
export function searchSplit(root: string, split: string): string {
  const name = split.split('[')[0]!;
  const isDir = (p: string) => {
    try {
      return statSync(p).isDirectory();
    } catch {
      return false;
    }
  };
  if (isDir(join(root, name))) return join(root, name);
  const syn = TRAIN_SYNONYMS.includes(name) ? TRAIN_SYNONYMS : EVAL_SYNONYMS.includes(name) ? EVAL_SYNONYMS : [];
  for (const s of syn) if (isDir(join(root, s))) return join(root, s);
  return root;
}

/** timm's `ImageFolder` dataset on Node: {@link findImagesAndTargets}, images decoded with sharp when read. */
export class ImageFolder implements Dataset {
  readonly samples: readonly [string, number][];
  readonly classToIdx: Readonly<Record<string, number>>;
  readonly classes: readonly string[];

  constructor(
    readonly root: string,
    options: FindImagesOptions = {},
  ) {
    const { samples, classToIdx } = findImagesAndTargets(root, options);
    if (!samples.length) {
      throw new DatasetError(`no images (${[...(options.types ?? IMG_EXTENSIONS)].join(', ')}) found under ${root}; expected one subfolder per class`);
    }
    this.samples = samples;
    this.classToIdx = classToIdx;
    const classes: string[] = [];
    for (const [c, i] of Object.entries(classToIdx)) classes[i] = c;
    this.classes = classes;
  }

  get length(): number {
    return this.samples.length;
  }

  async get(index: number): Promise<Sample> {
    const s = this.samples[index];
    if (!s) throw new RangeError(`ImageFolder ${this.root}: index ${index} out of range (0..${this.samples.length - 1})`);
    return { image: await decodeImage(s[0]), target: s[1] };
  }
}
