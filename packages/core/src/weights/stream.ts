import type { StateDictStream } from '../module.js';
import { CheckpointError, checkpointPrefixes } from './checkpoint.js';
import { decode, OUT_DTYPE, parseHeader } from './safetensors.js';
import { numel, type TensorData } from './types.js';

const isNode = typeof process !== 'undefined' && !!process.versions?.node;

/** Bytes read per request; the next request is in flight while the entries of the last one are converted. */
const CHUNK_BYTES = 8 * 2 ** 20;

export interface SafetensorsStreamOptions {
  /** Name used in error messages (default: the path). */
  source?: string;
  /** Bytes per read (default 8 MiB). */
  chunkBytes?: number;
  /** Keys to leave out (not announced, not delivered). */
  skip?: (key: string) => boolean;
}

/**
 * Opens a local safetensors file (Node) as a {@link StateDictStream} for `Module.loadStateDictStream`: the header is
 * read and checked now (the same checks and messages as `readSafetensors`, truncation included), the data later, in
 * chunks, each entry handed over as soon as its bytes are in, so that converting one entry overlaps reading the
 * next. Keys get timm's checkpoint cleaning (`module.` / `_orig_mod.` prefixes). Resolves to `null` when the file is
 * not safetensors (too short, or no JSON header after the length), so the caller can read it another way.
 */
export async function openSafetensorsStream(path: string, options: SafetensorsStreamOptions = {}): Promise<(StateDictStream & { metadata: Record<string, string> }) | null> {
  if (!isNode) throw new Error(`cannot read the file '${path}': there is no file system here`);
  const fs = await import('node:fs/promises');
  const where = options.source ?? path;
  let fh: import('node:fs/promises').FileHandle;
  try {
    fh = await fs.open(path, 'r');
  } catch (e) {
    const code = (e as NodeJS.ErrnoException).code;
    if (code === 'ENOENT') throw new CheckpointError(`checkpoint file not found: ${path}`);
    throw new CheckpointError(`cannot read checkpoint file ${path}: ${(e as Error).message}`);
  }
  try {
    const size = (await fh.stat()).size;
    const prefix = new Uint8Array(9);
    const { bytesRead } = await fh.read(prefix, 0, 9, 0);
    if (bytesRead < 9 || size < 10 || prefix[8] !== 0x7b) return null;
    const headerLen = Number(new DataView(prefix.buffer).getBigUint64(0, true));
    if (headerLen < 2 || headerLen > 100_000_000 || 8 + headerLen > size) {
      // Let the header check word the error (it only needs the prefix for this).
      parseHeader(prefix, where, size);
      return null;
    }
    const head = new Uint8Array(8 + headerLen);
    await readFully(fh, head, 0);
    const { entries, metadata, dataStart } = parseHeader(head, where, size);
    const strip = checkpointPrefixes(entries.map(([k]) => k));
    const clean = (k: string) => strip.reduce((key, p) => key.slice(p.length), k);
    const wanted = entries.filter(([k]) => !options.skip?.(clean(k)));
    const announced: StateDictStream['entries'] = Object.create(null);
    for (const [k, e] of wanted) announced[clean(k)] = { shape: [...e.shape], dtype: OUT_DTYPE[e.dtype]! };
    const dataEnd = wanted.reduce((m, [, e]) => Math.max(m, e.data_offsets[1]), 0);
    const chunk = Math.max(1, options.chunkBytes ?? CHUNK_BYTES);
    let used = false;
    return {
      entries: announced,
      metadata,
      source: where,
      async read(onEntry: (key: string, t: TensorData) => void): Promise<void> {
        if (used) throw new Error(`${where}: a safetensors stream can be read once`);
        used = true;
        // Opened again here, so that a stream that is never read holds no file handle.
        const file = await fs.open(path, 'r');
        try {
          const now = (await file.stat()).size;
          if (now !== size) throw new Error(`${where}: the file changed size (${size} → ${now} bytes) between reading its header and its data`);
          // One buffer for the data section; entries are views into it (aligned as in the file's data section).
          const data = new Uint8Array(dataEnd);
          let filled = 0;
          let next = 0;
          const readAt = (at: number) => file.read(data, at, Math.min(chunk, dataEnd - at), dataStart + at);
          let pending = dataEnd > 0 ? readAt(0) : null;
          try {
            while (pending) {
              const { bytesRead: n } = await pending;
              if (n === 0) throw new Error(`${where}: the file ended after ${dataStart + filled} of ${size} bytes while reading; it was truncated or changed during the load`);
              filled += n;
              // The next read runs on libuv's thread pool while the entries now complete are converted here.
              pending = filled < dataEnd ? readAt(filled) : null;
              while (next < wanted.length && wanted[next]![1].data_offsets[1] <= filled) {
                const [k, e] = wanted[next++]!;
                const [b, end] = e.data_offsets;
                onEntry(clean(k), { dtype: OUT_DTYPE[e.dtype]!, shape: [...e.shape], data: decode(data.subarray(b, end), e.dtype, numel(e.shape))! });
              }
            }
          } catch (e) {
            // Never close the file under a read still in flight.
            await pending?.catch(() => undefined);
            throw e;
          }
          // Only empty entries can remain (an all-empty data section).
          for (; next < wanted.length; next++) {
            const [k, e] = wanted[next]!;
            onEntry(clean(k), { dtype: OUT_DTYPE[e.dtype]!, shape: [...e.shape], data: decode(new Uint8Array(0), e.dtype, 0)! });
          }
        } finally {
          await file.close();
        }
      },
    };
  } finally {
    await fh.close();
  }
}

async function readFully(fh: import('node:fs/promises').FileHandle, into: Uint8Array, position: number): Promise<void> {
  let at = 0;
  while (at < into.byteLength) {
    const { bytesRead } = await fh.read(into, at, into.byteLength - at, position + at);
    if (bytesRead === 0) throw new Error(`file ended at byte ${position + at} while reading ${into.byteLength} bytes`);
    at += bytesRead;
  }
}
