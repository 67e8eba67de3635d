import { readSafetensors } from './safetensors.js';
import type { StateDict } from './types.js';

/** Raised when a checkpoint cannot be read; names the source and what is wrong with it. */
export class CheckpointError extends Error {
  override name = 'CheckpointError';
}

export function isSafetensorsBytes(bytes: Uint8Array): boolean {
  if (bytes.byteLength < 10) return false;
  const n = new DataView(bytes.buffer, bytes.byteOffset, 8).getBigUint64(0, true);
  return n > 1n && n < BigInt(bytes.byteLength) && bytes[8] === 0x7b; // '{'
}

function isZip(bytes: Uint8Array): boolean {
  return bytes[0] === 0x50 && bytes[1] === 0x4b;
}

function isPickle(bytes: Uint8Array): boolean {
  return bytes[0] === 0x80 && bytes[1]! >= 2 && bytes[1]! <= 5;
}

/**
 * Reads checkpoint bytes in any format timm publishes: safetensors, or PyTorch `.pth`/`.bin` (zip or legacy pickle,
 * read by a restricted unpickler that executes nothing). Wrappers (`state_dict`, `model`, …) and a `module.` prefix
 * are removed as timm's `load_state_dict` does.
 */
export async function readCheckpoint(bytes: Uint8Array, source = 'checkpoint'): Promise<StateDict> {
  if (isSafetensorsBytes(bytes) || source.endsWith('.safetensors')) {
    return cleanStateDict(readSafetensors(bytes, { source }).tensors);
  }
  if (isZip(bytes) || isPickle(bytes)) {
    const { readTorchCheckpoint } = await import('./pickle.js');
    return cleanStateDict(readTorchCheckpoint(bytes, { source }));
  }
  throw new CheckpointError(`${source}: not a safetensors file nor a PyTorch checkpoint (first bytes ${[...bytes.subarray(0, 8)].map((b) => b.toString(16).padStart(2, '0')).join(' ')})`);
}

/** The prefixes timm's checkpoint cleaning strips when every key has them: 'module.' (DataParallel), then '_orig_mod.' (torch.compile). */
export function checkpointPrefixes(keys: string[]): string[] {
  const out: string[] = [];
  let ks = keys;
  for (const prefix of ['module.', '_orig_mod.']) {
    if (ks.length > 0 && ks.every((k) => k.startsWith(prefix))) {
      out.push(prefix);
      ks = ks.map((k) => k.slice(prefix.length));
    }
  }
  return out;
}

/** Strips timm's checkpoint prefixes ({@link checkpointPrefixes}). */
export function cleanStateDict(sd: StateDict): StateDict {
  const strip = checkpointPrefixes(Object.keys(sd));
  if (!strip.length) return sd;
  const clean = (k: string) => strip.reduce((key, p) => key.slice(p.length), k);
  return Object.fromEntries(Object.entries(sd).map(([k, v]) => [clean(k), v]));
}

const isNode = typeof process !== 'undefined' && !!process.versions?.node;

/**
 * The file path a checkpoint string names (a path or a `file://` URL), or null for a URL to fetch (http(s), blob,
 * data; and outside Node any string but a `file://` URL: a relative one is resolved against the page, see
 * {@link checkpointUrl}).
 */
export function localCheckpointPath(src: string): string | null {
  if (/^(https?|blob|data):/i.test(src)) return null;
  if (src.startsWith('file://')) return decodeURIComponent(new URL(src).pathname);
  return isNode ? src : null;
}

/** A checkpoint URL made absolute: relative ones against `document.baseURI` (a page) or `location.href` (a worker). */
export function checkpointUrl(src: string): string {
  const g = globalThis as { document?: { baseURI?: string }; location?: { href?: string } };
  const base = g.document?.baseURI ?? g.location?.href;
  try {
    return base ? new URL(src, base).href : src;
  } catch {
    return src;
  }
}

/** Reads a local file (Node) as bytes, with an error that names the path. */
export async function readLocalFile(path: string): Promise<Uint8Array> {
  if (!isNode) throw new CheckpointError(`cannot read the file '${path}': there is no file system here; pass bytes or a URL instead`);
  const fs = await import('node:fs/promises');
  try {
    const buf = await fs.readFile(path);
    return new Uint8Array(buf.buffer, buf.byteOffset, buf.byteLength);
  } catch (e) {
    const code = (e as NodeJS.ErrnoException).code;
    if (code === 'ENOENT') throw new CheckpointError(`checkpoint file not found: ${path}`);
    throw new CheckpointError(`cannot read checkpoint file ${path}: ${(e as Error).message}`);
  }
}

/** Fetches a URL as bytes, with an error that names the URL and the status. */
export async function fetchBytes(url: string): Promise<Uint8Array> {
  let res: Response;
  try {
    res = await fetch(url);
  } catch (e) {
    throw new CheckpointError(`cannot fetch ${url}: ${(e as Error).message}`);
  }
  if (!res.ok) throw new CheckpointError(`cannot fetch ${url}: HTTP ${res.status} ${res.statusText}`);
  return new Uint8Array(await res.arrayBuffer());
}

/** A checkpoint given as a path, URL, bytes or an in-memory state dict. */
export type CheckpointSource = string | Uint8Array | ArrayBuffer | StateDict;

export async function loadCheckpointSource(src: CheckpointSource): Promise<StateDict> {
  if (src instanceof Uint8Array) return readCheckpoint(src);
  if (src instanceof ArrayBuffer) return readCheckpoint(new Uint8Array(src));
  if (typeof src === 'string') {
    const path = localCheckpointPath(src);
    if (path === null) {
      const url = checkpointUrl(src);
      return readCheckpoint(await fetchBytes(url), url);
    }
    return readCheckpoint(await readLocalFile(path), path);
  }
  return src;
}
