import { escapeControl, formatShape, numel, type StateDict, type TensorData } from './types.js';

/** Raised for any defect in a safetensors file; the message names the defect and, where there is one, the entry. */
export class SafetensorsError extends Error {
  override name = 'SafetensorsError';
}

// A Map: a dtype such as `constructor` must not find Object.prototype's members.
const DTYPE_BYTES = new Map<string, number>([
  ['F64', 8], ['F32', 4], ['F16', 2], ['BF16', 2], ['I64', 8], ['I32', 4], ['I16', 2], ['I8', 1], ['U8', 1], ['BOOL', 1],
]);

/** A tensor name for a message: quoted, control characters escaped. */
function q(key: string): string {
  return `'${escapeControl(key)}'`;
}

/** Names that are members of every object (`__proto__`, `constructor`, …): refused as tensor names. */
function isObjectMember(key: string): boolean {
  return key === '__proto__' || key === 'prototype' || Object.hasOwn(Object.prototype, key);
}

/**
 * The top-level keys of a JSON object text in order, duplicates included (JSON.parse keeps only the last one).
 * A single linear scan that tracks strings and nesting depth.
 */
function topLevelKeys(text: string): string[] {
  const keys: string[] = [];
  let depth = 0;
  let expectKey = false;
  for (let i = 0; i < text.length; i++) {
    const c = text.charCodeAt(i);
    if (c === 0x22) {
      // a string: find its end, skipping escapes
      let j = i + 1;
      while (j < text.length && text.charCodeAt(j) !== 0x22) j += text.charCodeAt(j) === 0x5c ? 2 : 1;
      if (depth === 1 && expectKey) keys.push(JSON.parse(text.slice(i, j + 1)) as string);
      expectKey = false;
      i = j;
    } else if (c === 0x7b || c === 0x5b) {
      depth++;
      expectKey = depth === 1 && c === 0x7b;
    } else if (c === 0x7d || c === 0x5d) depth--;
    else if (c === 0x2c && depth === 1) expectKey = true;
  }
  return keys;
}

interface HeaderEntry {
  dtype: string;
  shape: number[];
  data_offsets: [number, number];
}

export interface SafetensorsReadOptions {
  /** Name used in error messages (a file path or URL). */
  source?: string;
  /** Keep integer entries (I64 / I32 …) instead of skipping them. Default true. */
  keepIntegers?: boolean;
}

export interface SafetensorsFile {
  tensors: StateDict;
  metadata: Record<string, string>;
}

/**
 * Parses the header and checks every structural promise the format makes before a byte of data is read. `bytes`
 * holds at least the length prefix and the header; `fileSize` is the whole file's size (default: `bytes`' length).
 */
export function parseHeader(bytes: Uint8Array, where: string, fileSize = bytes.byteLength): { entries: [string, HeaderEntry][]; metadata: Record<string, string>; dataStart: number } {
  if (fileSize < 8) {
    throw new SafetensorsError(`${where}: file is ${fileSize} bytes, too short to hold a safetensors header (8-byte length first); it may be truncated`);
  }
  const view = new DataView(bytes.buffer, bytes.byteOffset, bytes.byteLength);
  const headerLen = Number(view.getBigUint64(0, true));
  if (headerLen > 100_000_000 || 8 + headerLen > fileSize) {
    throw new SafetensorsError(`${where}: header length ${headerLen} exceeds the file size (${fileSize} bytes); the file is truncated or not safetensors`);
  }
  if (8 + headerLen > bytes.byteLength) throw new RangeError('parseHeader: the bytes given must hold the whole header');
  let header: Record<string, unknown>;
  let text: string;
  try {
    text = new TextDecoder('utf-8', { fatal: true }).decode(bytes.subarray(8, 8 + headerLen));
    header = JSON.parse(text);
  } catch (e) {
    throw new SafetensorsError(`${where}: header is not valid UTF-8 JSON (${(e as Error).message})`);
  }
  if (header === null || typeof header !== 'object' || Array.isArray(header)) {
    throw new SafetensorsError(`${where}: header must be a JSON object`);
  }
  const seen = new Set<string>();
  for (const key of topLevelKeys(text)) {
    if (seen.has(key)) throw new SafetensorsError(`${where}: entry ${q(key)} appears twice in the header`);
    seen.add(key);
  }
  const dataStart = 8 + headerLen;
  const dataLen = fileSize - dataStart;
  const metadata: Record<string, string> = Object.create(null);
  const entries: [string, HeaderEntry][] = [];
  for (const key of Object.keys(header)) {
    const raw = header[key];
    if (key === '__metadata__') {
      if (raw === null || typeof raw !== 'object' || Array.isArray(raw)) throw new SafetensorsError(`${where}: __metadata__ must be an object of strings`);
      for (const [k, v] of Object.entries(raw)) {
        if (typeof v !== 'string' || isObjectMember(k)) throw new SafetensorsError(`${where}: __metadata__ entry ${q(k)} must be a string under a plain name`);
        metadata[k] = v;
      }
      continue;
    }
    if (isObjectMember(key)) throw new SafetensorsError(`${where}: entry ${q(key)} is not an acceptable tensor name (a member of every JavaScript object)`);
    const e = raw as HeaderEntry;
    if (
      !e ||
      typeof e !== 'object' ||
      !Object.hasOwn(e, 'dtype') ||
      typeof e.dtype !== 'string' ||
      !Array.isArray(e.shape) ||
      !Array.isArray(e.data_offsets) ||
      e.data_offsets.length !== 2
    ) {
      throw new SafetensorsError(`${where}: entry ${q(key)} is malformed (needs dtype, shape and data_offsets)`);
    }
    const width = DTYPE_BYTES.get(e.dtype);
    if (width === undefined) throw new SafetensorsError(`${where}: entry ${q(key)} has unsupported dtype ${escapeControl(e.dtype)}`);
    if (!e.shape.every((d) => Number.isSafeInteger(d) && d >= 0)) {
      throw new SafetensorsError(`${where}: entry ${q(key)} has an invalid shape ${JSON.stringify(e.shape)}`);
    }
    const [begin, end] = e.data_offsets;
    if (!Number.isSafeInteger(begin) || !Number.isSafeInteger(end) || begin < 0 || end < begin) {
      throw new SafetensorsError(`${where}: entry ${q(key)} has invalid data_offsets [${begin}, ${end}]`);
    }
    if (end > dataLen) {
      throw new SafetensorsError(`${where}: entry ${q(key)} ends at byte ${end} of the data but only ${dataLen} bytes are present; the file is truncated`);
    }
    const expected = numel(e.shape) * width;
    if (end - begin !== expected) {
      throw new SafetensorsError(`${where}: entry ${q(key)} ${e.dtype}${formatShape(e.shape)} needs ${expected} bytes but its offsets span ${end - begin}`);
    }
    entries.push([key, { dtype: e.dtype, shape: e.shape, data_offsets: [begin, end] }]);
  }
  entries.sort((a, b) => a[1].data_offsets[0] - b[1].data_offsets[0] || a[1].data_offsets[1] - b[1].data_offsets[1]);
  // As the reference (Rust) reader: sorted by offset, the entries tile the data section exactly — each starts where
  // the previous one ended (no overlap, no gap) and the last ends at the end of the file.
  let at = 0;
  for (const [key, e] of entries) {
    const [begin, end] = e.data_offsets;
    if (begin !== at) {
      throw new SafetensorsError(
        `${where}: entry ${q(key)} starts at byte ${begin} of the data but the previous entry ends at ${at} (${begin < at ? 'overlap' : 'gap'}); entries must tile the data section exactly`,
      );
    }
    at = end;
  }
  if (at !== dataLen) {
    throw new SafetensorsError(`${where}: the entries cover ${at} bytes of data but the file holds ${dataLen} after the header; entries must tile the data section exactly`);
  }
  return { entries, metadata, dataStart };
}

const f16Table = (() => {
  const t = new Float32Array(65536);
  for (let h = 0; h < 65536; h++) {
    const s = h & 0x8000 ? -1 : 1;
    const e = (h >> 10) & 0x1f;
    const m = h & 0x3ff;
    if (e === 0) t[h] = s * m * 2 ** -24;
    else if (e === 31) t[h] = m ? Number.NaN : s * Number.POSITIVE_INFINITY;
    else t[h] = s * (1 + m / 1024) * 2 ** (e - 15);
  }
  return t;
})();

/** Copies `n` little-endian elements out of `bytes`, aligning if needed, and widens floats to float32 in one pass. */
export function decode(bytes: Uint8Array, dtype: string, n: number): TensorData['data'] | null {
  const aligned = (width: number) =>
    bytes.byteOffset % width === 0 ? bytes : bytes.slice();
  switch (dtype) {
    case 'F32': {
      const b = aligned(4);
      return new Float32Array(b.buffer, b.byteOffset, n);
    }
    case 'F16': {
      const b = aligned(2);
      const src = new Uint16Array(b.buffer, b.byteOffset, n);
      const out = new Float32Array(n);
      for (let i = 0; i < n; i++) out[i] = f16Table[src[i]!]!;
      return out;
    }
    case 'BF16': {
      const b = aligned(2);
      const src = new Uint16Array(b.buffer, b.byteOffset, n);
      const out = new Float32Array(n);
      const u32 = new Uint32Array(out.buffer);
      for (let i = 0; i < n; i++) u32[i] = src[i]! << 16;
      return out;
    }
    case 'F64': {
      const b = aligned(8);
      return Float32Array.from(new Float64Array(b.buffer, b.byteOffset, n));
    }
    case 'I64': {
      const b = aligned(8);
      return new BigInt64Array(b.buffer, b.byteOffset, n);
    }
    case 'I32': {
      const b = aligned(4);
      return new Int32Array(b.buffer, b.byteOffset, n);
    }
    case 'I16': {
      const b = aligned(2);
      return Int32Array.from(new Int16Array(b.buffer, b.byteOffset, n));
    }
    case 'I8':
      return Int32Array.from(new Int8Array(bytes.buffer, bytes.byteOffset, n));
    case 'U8':
    case 'BOOL':
      return bytes.slice(0, n);
    default:
      return null;
  }
}

export const OUT_DTYPE: Record<string, TensorData['dtype']> = {
  F64: 'float32', F32: 'float32', F16: 'float32', BF16: 'float32',
  I64: 'int64', I32: 'int32', I16: 'int32', I8: 'int32', U8: 'uint8', BOOL: 'bool',
};

/**
 * Reads a whole safetensors file held in memory. Floats (F32/F16/BF16/F64) come back as float32. Aligned F32/I64/I32
 * entries are views into `bytes` (no copy); F16/BF16 are widened in one pass.
 */
export function readSafetensors(bytes: Uint8Array, options: SafetensorsReadOptions = {}): SafetensorsFile {
  const where = options.source ?? 'safetensors';
  const { entries, metadata, dataStart } = parseHeader(bytes, where);
  const keepInts = options.keepIntegers ?? true;
  const tensors: StateDict = Object.create(null);
  for (const [key, e] of entries) {
    const outDtype = OUT_DTYPE[e.dtype]!;
    if (outDtype !== 'float32' && !keepInts) continue;
    const n = numel(e.shape);
    const slice = bytes.subarray(dataStart + e.data_offsets[0], dataStart + e.data_offsets[1]);
    tensors[key] = { dtype: outDtype, shape: [...e.shape], data: decode(slice, e.dtype, n)! };
  }
  return { tensors, metadata };
}

const WRITE_DTYPE: Record<TensorData['dtype'], [string, number]> = {
  float32: ['F32', 4], int64: ['I64', 8], int32: ['I32', 4], uint8: ['U8', 1], bool: ['BOOL', 1],
};

/** Writes a state dict as safetensors (F32 for floats, I64 for int64 buffers), keys in the given order. */
export function writeSafetensors(tensors: StateDict, metadata: Record<string, string> = {}): Uint8Array {
  const header: Record<string, unknown> = {};
  if (Object.keys(metadata).length) header.__metadata__ = metadata;
  let offset = 0;
  const parts: [number, TensorData][] = [];
  for (const [key, t] of Object.entries(tensors)) {
    const [dt, width] = WRITE_DTYPE[t.dtype];
    const size = numel(t.shape) * width;
    if (t.data.length !== numel(t.shape)) {
      throw new SafetensorsError(`cannot write '${key}': shape ${formatShape(t.shape)} holds ${numel(t.shape)} elements but data has ${t.data.length}`);
    }
    header[key] = { dtype: dt, shape: t.shape, data_offsets: [offset, offset + size] };
    parts.push([offset, t]);
    offset += size;
  }
  let json = JSON.stringify(header);
  // Pad the header so the data section starts 8-byte aligned, as the reference writer does.
  while ((8 + new TextEncoder().encode(json).length) % 8 !== 0) json += ' ';
  const headerBytes = new TextEncoder().encode(json);
  const out = new Uint8Array(8 + headerBytes.length + offset);
  new DataView(out.buffer).setBigUint64(0, BigInt(headerBytes.length), true);
  out.set(headerBytes, 8);
  const base = 8 + headerBytes.length;
  for (const [off, t] of parts) {
    out.set(new Uint8Array(t.data.buffer, t.data.byteOffset, t.data.byteLength), base + off);
  }
  return out;
}
