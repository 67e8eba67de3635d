/**
 * Reads PyTorch checkpoints (`.pth`, `.bin`, `.pt`) without executing anything: a small zip reader for torch's
 * archive format (`{name}/data.pkl` + `{name}/data/{key}` storages) and the legacy non-zip format, and a restricted
 * unpickler that knows only what state dicts are built from — like `torch.load(..., weights_only=True)`.
 * Any other global (`os.system`, `builtins.eval`, …) is refused with a {@link PickleError} naming it.
 */
import { decode as decodeElements, OUT_DTYPE } from './safetensors.js';
import { escapeControl, formatShape, numel, type StateDict, type TensorData } from './types.js';

/** Raised for a malformed checkpoint or a refused (unsafe / unsupported) pickle construct. */
export class PickleError extends Error {
  override name = 'PickleError';
}

export interface TorchReadOptions {
  /** Name used in error messages (a file path or URL). */
  source?: string;
  /** Prefer `state_dict_ema` / `model_ema` when present, as timm's `load_state_dict(use_ema=True)`. Default true. */
  useEma?: boolean;
  /** Strip a `module.` prefix from keys (timm's `_remove_prefix(…, 'module.')`). Default true. */
  stripModulePrefix?: boolean;
  /**
   * Extra `module.name` globals to accept as inert placeholders (never called), e.g. `argparse.Namespace` or
   * `numpy.core.multiarray.scalar` found in the non-weight parts of training checkpoints. Default none.
   */
  allowGlobals?: readonly string[];
  /**
   * Raw-DEFLATE decoder for compressed zip entries (torch writes STORED). Default: node:zlib when available. It is
   * given the entry's declared size and must not produce more (node:zlib's `maxOutputLength`).
   */
  inflateRaw?: (bytes: Uint8Array, maxOutputLength: number) => Uint8Array;
}

// ---------------------------------------------------------------------------------------------------------------
// Zip

interface ZipEntry {
  name: string;
  method: number;
  compressedSize: number;
  size: number;
  localOffset: number;
}

function u16(b: Uint8Array, o: number): number {
  return b[o]! | (b[o + 1]! << 8);
}
function u32(b: Uint8Array, o: number): number {
  return (b[o]! | (b[o + 1]! << 8) | (b[o + 2]! << 16) | (b[o + 3]! << 24)) >>> 0;
}
function u64(b: Uint8Array, o: number): number {
  return u32(b, o) + u32(b, o + 4) * 2 ** 32;
}

export function isZipBytes(bytes: Uint8Array): boolean {
  return bytes.byteLength >= 4 && u32(bytes, 0) === 0x04034b50;
}

/** Lists a zip's entries from its central directory (zip64 included). */
export function readZipDirectory(bytes: Uint8Array, where: string): Map<string, ZipEntry> {
  const n = bytes.byteLength;
  let eocd = -1;
  for (let i = n - 22; i >= Math.max(0, n - 22 - 65535); i--) {
    if (u32(bytes, i) === 0x06054b50) {
      eocd = i;
      break;
    }
  }
  if (eocd < 0) throw new PickleError(`${where}: zip end-of-central-directory record not found; the file is truncated or not a zip`);
  let count = u16(bytes, eocd + 10);
  let cdOffset = u32(bytes, eocd + 16);
  if (count === 0xffff || cdOffset === 0xffffffff) {
    const loc = eocd - 20;
    if (loc < 0 || u32(bytes, loc) !== 0x07064b50) throw new PickleError(`${where}: zip64 locator missing`);
    const z64 = u64(bytes, loc + 8);
    if (z64 + 56 > n || u32(bytes, z64) !== 0x06064b50) throw new PickleError(`${where}: zip64 end record missing`);
    count = u64(bytes, z64 + 32);
    cdOffset = u64(bytes, z64 + 48);
  }
  const entries = new Map<string, ZipEntry>();
  let p = cdOffset;
  const dec = new TextDecoder();
  for (let i = 0; i < count; i++) {
    if (p + 46 > n || u32(bytes, p) !== 0x02014b50) throw new PickleError(`${where}: zip central directory is corrupt at entry ${i}`);
    const method = u16(bytes, p + 10);
    let compressedSize = u32(bytes, p + 20);
    let size = u32(bytes, p + 24);
    const nameLen = u16(bytes, p + 28);
    const extraLen = u16(bytes, p + 30);
    const commentLen = u16(bytes, p + 32);
    let localOffset = u32(bytes, p + 42);
    const name = dec.decode(bytes.subarray(p + 46, p + 46 + nameLen));
    // zip64 extended information: the fields that overflowed, in this order.
    let e = p + 46 + nameLen;
    const eEnd = e + extraLen;
    while (e + 4 <= eEnd) {
      const id = u16(bytes, e);
      const len = u16(bytes, e + 2);
      if (id === 0x0001) {
        let q = e + 4;
        if (size === 0xffffffff) {
          size = u64(bytes, q);
          q += 8;
        }
        if (compressedSize === 0xffffffff) {
          compressedSize = u64(bytes, q);
          q += 8;
        }
        if (localOffset === 0xffffffff) localOffset = u64(bytes, q);
      }
      e += 4 + len;
    }
    entries.set(name, { name, method, compressedSize, size, localOffset });
    p = eEnd + commentLen;
  }
  return entries;
}

type InflateSync = (b: Uint8Array, o: { maxOutputLength: number }) => Uint8Array;

function defaultInflateRaw(): ((b: Uint8Array, max: number) => Uint8Array) | undefined {
  const proc = (globalThis as { process?: { getBuiltinModule?: (id: string) => unknown } }).process;
  const zlib = proc?.getBuiltinModule?.('node:zlib') as { inflateRawSync?: InflateSync } | undefined;
  // maxOutputLength ≥ 1: zlib refuses 0, and one byte past the declared size is how an overrun shows.
  return zlib?.inflateRawSync ? (b, max) => new Uint8Array(zlib.inflateRawSync!(b, { maxOutputLength: Math.max(1, max + 1) })) : undefined;
}

/** DEFLATE cannot expand past about 1032:1; a zip entry declaring more is corrupt (or a bomb). */
const MAX_DEFLATE_RATIO = 1032;

function zipEntryData(bytes: Uint8Array, e: ZipEntry, where: string, opts: TorchReadOptions): Uint8Array {
  const o = e.localOffset;
  if (o + 30 > bytes.byteLength || u32(bytes, o) !== 0x04034b50) throw new PickleError(`${where}: zip entry '${e.name}' has a bad local header`);
  const start = o + 30 + u16(bytes, o + 26) + u16(bytes, o + 28);
  const end = start + e.compressedSize;
  if (end > bytes.byteLength) {
    throw new PickleError(`${where}: zip entry '${e.name}' ends at byte ${end} but the file has ${bytes.byteLength}; the file is truncated`);
  }
  const raw = bytes.subarray(start, end);
  if (e.method === 0) return raw;
  if (e.method === 8) {
    const inflate = opts.inflateRaw ?? defaultInflateRaw();
    if (!inflate) throw new PickleError(`${where}: zip entry '${e.name}' is DEFLATE-compressed and no inflateRaw was given (torch.save writes uncompressed entries)`);
    if (e.size > e.compressedSize * MAX_DEFLATE_RATIO + 1024) {
      throw new PickleError(`${where}: zip entry '${e.name}' declares ${e.size} bytes from ${e.compressedSize} compressed, more than DEFLATE can produce; the file is corrupt`);
    }
    let out: Uint8Array;
    try {
      out = inflate(raw, e.size);
    } catch (err) {
      throw new PickleError(
        `${where}: zip entry '${e.name}' does not inflate to its declared ${e.size} bytes (${err instanceof Error ? err.message : String(err)}); the file is corrupt`,
      );
    }
    if (out.byteLength !== e.size) throw new PickleError(`${where}: zip entry '${e.name}' inflated to ${out.byteLength} bytes, expected ${e.size}`);
    return out;
  }
  throw new PickleError(`${where}: zip entry '${e.name}' uses unsupported compression method ${e.method}`);
}

// ---------------------------------------------------------------------------------------------------------------
// Values the restricted unpickler can build

class PyDict {
  readonly map = new Map<unknown, unknown>();
}
class PyTuple {
  constructor(readonly items: unknown[]) {}
}
class PyGlobal {
  constructor(
    readonly module: string,
    readonly name: string,
  ) {}
  get qualified(): string {
    return `${this.module}.${this.name}`;
  }
}
/** An allowed-but-inert object (from `allowGlobals`): its class, constructor arguments and state, never run. */
class PyObject {
  state: unknown;
  constructor(
    readonly cls: string,
    readonly args: unknown[],
  ) {}
}

interface StorageType {
  dtype: string; // safetensors-style code
  width: number;
}

const F32: StorageType = { dtype: 'F32', width: 4 };
const F64: StorageType = { dtype: 'F64', width: 8 };
const F16: StorageType = { dtype: 'F16', width: 2 };
const BF16: StorageType = { dtype: 'BF16', width: 2 };
const I64: StorageType = { dtype: 'I64', width: 8 };
const I32: StorageType = { dtype: 'I32', width: 4 };
const I16: StorageType = { dtype: 'I16', width: 2 };
const I8: StorageType = { dtype: 'I8', width: 1 };
const U8: StorageType = { dtype: 'U8', width: 1 };
const BOOL: StorageType = { dtype: 'BOOL', width: 1 };

// Maps, not object literals: a name such as `constructor` or `__proto__` must not pass the allow-list.
const STORAGE_TYPES = new Map<string, StorageType>([
  ['FloatStorage', F32],
  ['DoubleStorage', F64],
  ['HalfStorage', F16],
  ['BFloat16Storage', BF16],
  ['LongStorage', I64],
  ['IntStorage', I32],
  ['ShortStorage', I16],
  ['CharStorage', I8],
  ['ByteStorage', U8],
  ['BoolStorage', BOOL],
]);

const TORCH_DTYPES = new Map<string, StorageType>([
  ['float32', F32],
  ['float', F32],
  ['float64', F64],
  ['double', F64],
  ['float16', F16],
  ['half', F16],
  ['bfloat16', BF16],
  ['int64', I64],
  ['long', I64],
  ['int32', I32],
  ['int', I32],
  ['int16', I16],
  ['short', I16],
  ['int8', I8],
  ['uint8', U8],
  ['bool', BOOL],
]);

class StorageRef {
  bytes: Uint8Array | undefined;
  constructor(
    readonly type: StorageType,
    readonly key: string,
    readonly numel: number,
  ) {}
}

class TensorRef {
  constructor(
    readonly storage: StorageRef,
    readonly offset: number,
    readonly shape: number[],
    readonly stride: number[],
    readonly dtype: StorageType,
  ) {}
}

/** The globals a state dict may name; everything else is refused. */
const SAFE_FUNCTIONS = new Set([
  'collections.OrderedDict',
  'torch._utils._rebuild_tensor',
  'torch._utils._rebuild_tensor_v2',
  'torch._utils._rebuild_tensor_v3',
  'torch._utils._rebuild_parameter',
  'torch._utils._rebuild_parameter_with_state',
  'torch.Size',
  '_codecs.encode',
  'builtins.set',
  'builtins.frozenset',
  '__builtin__.set',
]);

function isSafeGlobal(module: string, name: string): boolean {
  const q = `${module}.${name}`;
  if (SAFE_FUNCTIONS.has(q)) return true;
  if (module === 'torch' && (STORAGE_TYPES.has(name) || TORCH_DTYPES.has(name))) return true;
  if (module === 'torch' && name === 'UntypedStorage') return true;
  return false;
}

// ---------------------------------------------------------------------------------------------------------------
// Unpickler

interface UnpickleContext {
  where: string;
  allow: ReadonlySet<string>;
  persistentLoad: (pid: unknown) => unknown;
}

function toNumber(v: unknown, what: string, where: string): number {
  if (typeof v === 'number' && Number.isInteger(v)) return v;
  if (typeof v === 'bigint' && v <= BigInt(Number.MAX_SAFE_INTEGER) && v >= BigInt(Number.MIN_SAFE_INTEGER)) return Number(v);
  throw new PickleError(`${where}: ${what} must be an integer, got ${describe(v)}`);
}

function describe(v: unknown): string {
  if (v === null) return 'None';
  if (v instanceof PyGlobal) return `global ${v.qualified}`;
  if (v instanceof PyTuple) return `tuple(${v.items.length})`;
  if (v instanceof PyDict) return 'dict';
  if (Array.isArray(v)) return `list(${v.length})`;
  if (v instanceof TensorRef) return 'tensor';
  if (v instanceof StorageRef) return 'storage';
  if (v instanceof PyObject) return `${v.cls} object`;
  return typeof v;
}

function intList(v: unknown, what: string, where: string): number[] {
  const items = v instanceof PyTuple ? v.items : Array.isArray(v) ? v : null;
  if (!items) throw new PickleError(`${where}: ${what} must be a tuple of integers, got ${describe(v)}`);
  return items.map((x) => toNumber(x, what, where));
}

const HEX = Array.from({ length: 256 }, (_, i) => i.toString(16).padStart(2, '0'));

/** Little-endian two's complement (LONG1/LONG4), in time linear in its length: one hex string, one BigInt parse. */
function decodeLong(b: Uint8Array): bigint | number {
  if (b.byteLength === 0) return 0;
  const hex = new Array<string>(b.byteLength);
  for (let i = 0; i < b.byteLength; i++) hex[i] = HEX[b[b.byteLength - 1 - i]!]!;
  let v = BigInt(`0x${hex.join('')}`);
  if (b[b.byteLength - 1]! & 0x80) v -= 1n << BigInt(8 * b.byteLength);
  return v <= BigInt(Number.MAX_SAFE_INTEGER) && v >= BigInt(Number.MIN_SAFE_INTEGER) ? Number(v) : v;
}

/** Python's own cap on decimal int conversions (`sys.int_info.default_max_str_digits`). */
const MAX_INT_DIGITS = 4300;

function parseDecimalInt(s: string, where: string): bigint | number {
  if (!/^[+-]?\d{1,4300}$/.test(s.trim())) {
    throw new PickleError(`${where}: pickle integer text is not an integer of at most ${MAX_INT_DIGITS} digits`);
  }
  const v = BigInt(s.trim());
  return v <= BigInt(Number.MAX_SAFE_INTEGER) && v >= BigInt(Number.MIN_SAFE_INTEGER) ? Number(v) : v;
}

/** `target.push(...items)` without an argument spread (which overflows the stack for long lists). */
function pushAll(target: unknown[], items: readonly unknown[]): void {
  for (const x of items) target.push(x);
}

function callGlobal(fn: PyGlobal, args: unknown[], ctx: UnpickleContext): unknown {
  const q = fn.qualified;
  const w = ctx.where;
  switch (q) {
    case 'collections.OrderedDict': {
      const d = new PyDict();
      const init = args[0];
      if (init !== undefined) {
        const pairs = init instanceof PyTuple ? init.items : Array.isArray(init) ? init : null;
        if (!pairs) throw new PickleError(`${w}: OrderedDict(${describe(init)}) is not supported`);
        for (const p of pairs) {
          const kv = p instanceof PyTuple ? p.items : Array.isArray(p) ? p : null;
          if (kv?.length !== 2) throw new PickleError(`${w}: OrderedDict item must be a (key, value) pair`);
          d.map.set(kv[0], kv[1]);
        }
      }
      return d;
    }
    case 'torch._utils._rebuild_tensor':
    case 'torch._utils._rebuild_tensor_v2':
    case 'torch._utils._rebuild_tensor_v3': {
      const [storage, offset, size, stride] = args;
      if (!(storage instanceof StorageRef)) throw new PickleError(`${w}: ${fn.name} expects a storage, got ${describe(storage)}`);
      let dtype = storage.type;
      if (q.endsWith('_v3')) {
        const dt = args[6];
        const t = dt instanceof PyGlobal && dt.module === 'torch' ? TORCH_DTYPES.get(dt.name) : undefined;
        if (!t) throw new PickleError(`${w}: _rebuild_tensor_v3 has an unsupported dtype ${describe(dt)}`);
        dtype = t;
      }
      return new TensorRef(storage, toNumber(offset, 'storage offset', w), intList(size, 'tensor size', w), intList(stride, 'tensor stride', w), dtype);
    }
    case 'torch._utils._rebuild_parameter':
    case 'torch._utils._rebuild_parameter_with_state': {
      if (!(args[0] instanceof TensorRef)) throw new PickleError(`${w}: ${fn.name} expects a tensor, got ${describe(args[0])}`);
      return args[0];
    }
    case 'torch.Size':
      return new PyTuple(args[0] instanceof PyTuple ? args[0].items : Array.isArray(args[0]) ? args[0] : []);
    case '_codecs.encode': {
      const [s, enc] = args;
      if (typeof s !== 'string' || (enc !== 'latin1' && enc !== 'latin-1')) throw new PickleError(`${w}: _codecs.encode is only accepted for latin1 byte strings`);
      return Uint8Array.from(s, (c) => c.charCodeAt(0) & 0xff);
    }
    case 'builtins.set':
    case 'builtins.frozenset':
    case '__builtin__.set': {
      const src = args[0];
      return src instanceof PyTuple ? [...src.items] : Array.isArray(src) ? [...src] : [];
    }
  }
  if (ctx.allow.has(q)) return new PyObject(q, args);
  throw new PickleError(`${w}: refusing to call ${q}: only state-dict constructs are allowed`);
}

function refuse(module: string, name: string, where: string): never {
  throw new PickleError(
    `${where}: refused global '${module}.${name}': the pickle asks to import it, and only the types a state dict is built from are allowed (as torch.load(weights_only=True)). The file may run code when loaded with torch.load(weights_only=False); do not trust it. Pass allowGlobals: ['${module}.${name}'] only for an inert data class.`,
  );
}

/** Runs one pickle starting at `pos`; returns the value and the position after its STOP. */
function unpickle(b: Uint8Array, pos: number, ctx: UnpickleContext): { value: unknown; end: number } {
  const where = ctx.where;
  const stack: unknown[] = [];
  // MARK records the stack depth (Python copies the stack; a depth keeps MARK O(1) and popMark linear in its items).
  const marks: number[] = [];
  const memo = new Map<number, unknown>();
  const view = new DataView(b.buffer, b.byteOffset, b.byteLength);
  const dec = new TextDecoder('utf-8');
  let p = pos;
  const need = (k: number) => {
    if (!(k >= 0) || p + k > b.byteLength) throw new PickleError(`${where}: pickle data ends unexpectedly at byte ${p}; the file is truncated`);
  };
  const readLine = (): string => {
    const nl = b.indexOf(0x0a, p);
    if (nl < 0) throw new PickleError(`${where}: pickle data ends unexpectedly (missing newline) at byte ${p}`);
    const s = new TextDecoder('latin1').decode(b.subarray(p, nl));
    p = nl + 1;
    return s;
  };
  const popMark = (): unknown[] => {
    const depth = marks.pop();
    if (depth === undefined) throw new PickleError(`${where}: pickle MARK missing`);
    return stack.splice(depth);
  };
  const floor = () => (marks.length ? marks[marks.length - 1]! : 0);
  const pop = (): unknown => {
    if (stack.length <= floor()) throw new PickleError(`${where}: pickle stack underflow`);
    return stack.pop();
  };
  const top = (): unknown => {
    if (stack.length <= floor()) throw new PickleError(`${where}: pickle stack underflow`);
    return stack[stack.length - 1];
  };
  const setItems = (target: unknown, kv: unknown[]) => {
    if (target instanceof PyDict) {
      for (let i = 0; i + 1 < kv.length; i += 2) target.map.set(kv[i], kv[i + 1]);
    } else if (target instanceof PyObject) {
      // dict subclasses (allowGlobals) keep their items as state
      const d = (target.state instanceof PyDict ? target.state : (target.state = new PyDict())) as PyDict;
      for (let i = 0; i + 1 < kv.length; i += 2) d.map.set(kv[i], kv[i + 1]);
    } else {
      throw new PickleError(`${where}: SETITEM on ${describe(target)}`);
    }
  };
  const makeGlobal = (module: string, name: string): PyGlobal => {
    if (!isSafeGlobal(module, name) && !ctx.allow.has(`${module}.${name}`)) refuse(module, name, where);
    return new PyGlobal(module, name);
  };
  const bytesAt = (n: number) => {
    need(n);
    const s = b.slice(p, p + n);
    p += n;
    return s;
  };
  const strAt = (n: number) => {
    need(n);
    const s = dec.decode(b.subarray(p, p + n));
    p += n;
    return s;
  };

  for (;;) {
    need(1);
    const op = b[p++]!;
    switch (op) {
      case 0x80: // PROTO
        need(1);
        p += 1;
        break;
      case 0x95: // FRAME
        need(8);
        p += 8;
        break;
      case 0x2e: // STOP
        return { value: pop(), end: p };
      case 0x28: // MARK
        marks.push(stack.length);
        break;
      case 0x7d: // EMPTY_DICT
        stack.push(new PyDict());
        break;
      case 0x5d: // EMPTY_LIST
        stack.push([]);
        break;
      case 0x29: // EMPTY_TUPLE
        stack.push(new PyTuple([]));
        break;
      case 0x8f: // EMPTY_SET
        stack.push([]);
        break;
      case 0x74: // TUPLE
        stack.push(new PyTuple(popMark()));
        break;
      case 0x85: // TUPLE1
        stack.push(new PyTuple([pop()]));
        break;
      case 0x86: {
        // TUPLE2
        const y = pop();
        const x = pop();
        stack.push(new PyTuple([x, y]));
        break;
      }
      case 0x87: {
        // TUPLE3
        const z = pop();
        const y = pop();
        const x = pop();
        stack.push(new PyTuple([x, y, z]));
        break;
      }
      case 0x6c: // LIST
        stack.push(popMark());
        break;
      case 0x64: {
        // DICT
        const items = popMark();
        const d = new PyDict();
        setItems(d, items);
        stack.push(d);
        break;
      }
      case 0x91: // FROZENSET
        stack.push(popMark());
        break;
      case 0x90: {
        // ADDITEMS
        const items = popMark();
        const s = top();
        if (!Array.isArray(s)) throw new PickleError(`${where}: ADDITEMS on ${describe(s)}`);
        pushAll(s, items);
        break;
      }
      case 0x4e: // NONE
        stack.push(null);
        break;
      case 0x88: // NEWTRUE
        stack.push(true);
        break;
      case 0x89: // NEWFALSE
        stack.push(false);
        break;
      case 0x4a: // BININT
        need(4);
        stack.push(view.getInt32(p, true));
        p += 4;
        break;
      case 0x4b: // BININT1
        need(1);
        stack.push(b[p++]!);
        break;
      case 0x4d: // BININT2
        need(2);
        stack.push(u16(b, p));
        p += 2;
        break;
      case 0x8a: {
        // LONG1
        need(1);
        const n = b[p++]!;
        need(n);
        stack.push(decodeLong(b.subarray(p, p + n)));
        p += n;
        break;
      }
      case 0x8b: {
        // LONG4
        need(4);
        const n = view.getInt32(p, true);
        p += 4;
        if (n < 0) throw new PickleError(`${where}: negative LONG4 length`);
        need(n);
        stack.push(decodeLong(b.subarray(p, p + n)));
        p += n;
        break;
      }
      case 0x49: {
        // INT (text)
        const s = readLine();
        if (s === '00') stack.push(false);
        else if (s === '01') stack.push(true);
        else stack.push(parseDecimalInt(s, where));
        break;
      }
      case 0x4c: {
        // LONG (text)
        stack.push(parseDecimalInt(readLine().replace(/L$/, ''), where));
        break;
      }
      case 0x47: // BINFLOAT
        need(8);
        stack.push(view.getFloat64(p, false));
        p += 8;
        break;
      case 0x46: // FLOAT (text)
        stack.push(Number.parseFloat(readLine()));
        break;
      case 0x58: {
        // BINUNICODE
        need(4);
        const n = u32(b, p);
        p += 4;
        stack.push(strAt(n));
        break;
      }
      case 0x8c: {
        // SHORT_BINUNICODE
        need(1);
        const n = b[p++]!;
        stack.push(strAt(n));
        break;
      }
      case 0x8d: {
        // BINUNICODE8
        need(8);
        const n = u64(b, p);
        p += 8;
        stack.push(strAt(n));
        break;
      }
      case 0x56: // UNICODE (raw-unicode-escape text)
        stack.push(readLine());
        break;
      case 0x54: {
        // BINSTRING
        need(4);
        const n = view.getInt32(p, true);
        p += 4;
        need(n);
        stack.push(new TextDecoder('latin1').decode(b.subarray(p, p + n)));
        p += n;
        break;
      }
      case 0x55: {
        // SHORT_BINSTRING
        need(1);
        const n = b[p++]!;
        need(n);
        stack.push(new TextDecoder('latin1').decode(b.subarray(p, p + n)));
        p += n;
        break;
      }
      case 0x42: {
        // BINBYTES
        need(4);
        const n = u32(b, p);
        p += 4;
        stack.push(bytesAt(n));
        break;
      }
      case 0x43: {
        // SHORT_BINBYTES
        need(1);
        const n = b[p++]!;
        stack.push(bytesAt(n));
        break;
      }
      case 0x8e: {
        // BINBYTES8
        need(8);
        const n = u64(b, p);
        p += 8;
        stack.push(bytesAt(n));
        break;
      }
      case 0x96: {
        // BYTEARRAY8
        need(8);
        const n = u64(b, p);
        p += 8;
        stack.push(bytesAt(n));
        break;
      }
      case 0x71: // BINPUT
        need(1);
        memo.set(b[p++]!, top());
        break;
      case 0x72: // LONG_BINPUT
        need(4);
        memo.set(u32(b, p), top());
        p += 4;
        break;
      case 0x70: // PUT
        memo.set(Number(parseDecimalInt(readLine(), where)), top());
        break;
      case 0x94: // MEMOIZE
        memo.set(memo.size, top());
        break;
      case 0x68: {
        // BINGET
        need(1);
        const k = b[p++]!;
        if (!memo.has(k)) throw new PickleError(`${where}: pickle memo ${k} missing`);
        stack.push(memo.get(k));
        break;
      }
      case 0x6a: {
        // LONG_BINGET
        need(4);
        const k = u32(b, p);
        p += 4;
        if (!memo.has(k)) throw new PickleError(`${where}: pickle memo ${k} missing`);
        stack.push(memo.get(k));
        break;
      }
      case 0x67: {
        // GET
        const k = Number(parseDecimalInt(readLine(), where));
        if (!memo.has(k)) throw new PickleError(`${where}: pickle memo ${k} missing`);
        stack.push(memo.get(k));
        break;
      }
      case 0x30: // POP
        pop();
        break;
      case 0x31: // POP_MARK
        popMark();
        break;
      case 0x32: // DUP
        stack.push(top());
        break;
      case 0x73: {
        // SETITEM
        const v = pop();
        const k = pop();
        setItems(top(), [k, v]);
        break;
      }
      case 0x75: {
        // SETITEMS
        const items = popMark();
        setItems(top(), items);
        break;
      }
      case 0x61: {
        // APPEND
        const v = pop();
        const l = top();
        if (!Array.isArray(l)) throw new PickleError(`${where}: APPEND on ${describe(l)}`);
        l.push(v);
        break;
      }
      case 0x65: {
        // APPENDS
        const items = popMark();
        const l = top();
        if (!Array.isArray(l)) throw new PickleError(`${where}: APPENDS on ${describe(l)}`);
        pushAll(l, items);
        break;
      }
      case 0x63: {
        // GLOBAL "module\nname\n"
        const module = readLine();
        const name = readLine();
        stack.push(makeGlobal(module, name));
        break;
      }
      case 0x93: {
        // STACK_GLOBAL
        const name = pop();
        const module = pop();
        if (typeof module !== 'string' || typeof name !== 'string') throw new PickleError(`${where}: STACK_GLOBAL needs two strings`);
        stack.push(makeGlobal(module, name));
        break;
      }
      case 0x52: {
        // REDUCE
        const args = pop();
        const fn = pop();
        if (!(fn instanceof PyGlobal)) throw new PickleError(`${where}: REDUCE on ${describe(fn)} is not allowed`);
        if (!(args instanceof PyTuple)) throw new PickleError(`${where}: REDUCE arguments must be a tuple`);
        stack.push(callGlobal(fn, args.items, ctx));
        break;
      }
      case 0x81: {
        // NEWOBJ
        const args = pop();
        const cls = pop();
        if (!(cls instanceof PyGlobal)) throw new PickleError(`${where}: NEWOBJ on ${describe(cls)} is not allowed`);
        const items = args instanceof PyTuple ? args.items : [];
        if (cls.qualified === 'collections.OrderedDict') stack.push(new PyDict());
        else if (ctx.allow.has(cls.qualified)) stack.push(new PyObject(cls.qualified, items));
        else throw new PickleError(`${where}: refusing to instantiate ${cls.qualified}`);
        break;
      }
      case 0x92: {
        // NEWOBJ_EX
        pop(); // kwargs
        const args = pop();
        const cls = pop();
        if (!(cls instanceof PyGlobal) || !ctx.allow.has(cls.qualified)) {
          throw new PickleError(`${where}: refusing to instantiate ${describe(cls)}`);
        }
        stack.push(new PyObject(cls.qualified, args instanceof PyTuple ? args.items : []));
        break;
      }
      case 0x62: {
        // BUILD
        const state = pop();
        const obj = top();
        if (obj instanceof PyObject) obj.state = state;
        else if (obj instanceof PyDict || obj instanceof TensorRef) {
          // OrderedDict._metadata / parameter state: attributes only, ignored.
        } else throw new PickleError(`${where}: BUILD on ${describe(obj)} is not allowed`);
        break;
      }
      case 0x51: // BINPERSID
        stack.push(ctx.persistentLoad(pop()));
        break;
      case 0x50: // PERSID
        stack.push(ctx.persistentLoad(readLine()));
        break;
      case 0x69: {
        // INST "module\nname\n" — class instantiation from the mark
        const module = readLine();
        const name = readLine();
        const g = makeGlobal(module, name);
        stack.push(new PyObject(g.qualified, popMark()));
        break;
      }
      case 0x6f: {
        // OBJ
        const items = popMark();
        const cls = items.shift();
        if (!(cls instanceof PyGlobal) || !ctx.allow.has(cls.qualified)) throw new PickleError(`${where}: refusing to instantiate ${describe(cls)}`);
        stack.push(new PyObject(cls.qualified, items));
        break;
      }
      case 0x82:
      case 0x83:
      case 0x84:
        throw new PickleError(`${where}: refused pickle extension-registry opcode (EXT) at byte ${p - 1}`);
      default:
        throw new PickleError(`${where}: unsupported pickle opcode 0x${op.toString(16).padStart(2, '0')} at byte ${p - 1}`);
    }
  }
}

// ---------------------------------------------------------------------------------------------------------------
// Tensors

/** Decodes `n` little-endian elements from an exactly-sized byte slice (copied when unaligned), as safetensors does. */
function decode(bytes: Uint8Array, dtype: string, n: number): TensorData {
  const data = decodeElements(bytes, dtype, n);
  if (!data) throw new PickleError(`unsupported dtype ${dtype}`);
  return { dtype: OUT_DTYPE[dtype]!, shape: [], data };
}

/** All tensors of a checkpoint together may materialize at most this multiple of the file's size (views share storages). */
export const MATERIALIZE_FILE_MULTIPLE = 4;

function swapBytes(bytes: Uint8Array, width: number): Uint8Array {
  if (width === 1) return bytes;
  const out = new Uint8Array(bytes.byteLength);
  for (let i = 0; i < bytes.byteLength; i += width) for (let j = 0; j < width; j++) out[i + j] = bytes[i + width - 1 - j]!;
  return out;
}

function materialize(key: string, t: TensorRef, where: string, bigEndian: boolean, budget: { bytes: number }): TensorData {
  const { shape, stride, offset } = t;
  const name = escapeControl(key);
  const w = t.dtype.width;
  if (shape.length !== stride.length) throw new PickleError(`${where}: '${name}' has shape ${formatShape(shape)} but stride ${formatShape(stride)}`);
  if (shape.some((d) => d < 0) || stride.some((s) => s < 0) || offset < 0) {
    throw new PickleError(`${where}: '${name}' has a negative size, stride or offset`);
  }
  const n = numel(shape);
  const storage = t.storage.bytes;
  if (!storage) throw new PickleError(`${where}: '${name}' uses storage '${escapeControl(t.storage.key)}', which has no data in the file`);
  let maxIndex = offset;
  for (let i = 0; i < shape.length; i++) if (shape[i]! > 0) maxIndex += (shape[i]! - 1) * stride[i]!;
  if (n > 0 && (maxIndex + 1) * w > storage.byteLength) {
    throw new PickleError(
      `${where}: '${name}' ${formatShape(shape)} (offset ${offset}, stride ${formatShape(stride)}) reaches element ${maxIndex} but its storage '${t.storage.key}' holds ${Math.floor(storage.byteLength / w)}; the file is truncated or corrupt`,
    );
  }
  // A view never materializes more bytes than its storage holds: a stride-0 (expanded) or overlapping view of a
  // small storage could otherwise ask for gigabytes from a file of a few hundred bytes.
  if (n * w > storage.byteLength) {
    throw new PickleError(
      `${where}: '${name}' ${formatShape(shape)} (stride ${formatShape(stride)}) would materialize ${n * w} bytes from a storage of ${storage.byteLength}; overlapping (expanded) views larger than their storage are refused`,
    );
  }
  budget.bytes -= n * w;
  if (budget.bytes < 0) {
    throw new PickleError(
      `${where}: the tensors up to '${name}' would materialize more than ${MATERIALIZE_FILE_MULTIPLE}× the file's size; a checkpoint whose views overlap that much is refused`,
    );
  }
  // C-contiguous? (dimensions of size 1 may carry any stride)
  let contiguous = true;
  let expect = 1;
  for (let i = shape.length - 1; i >= 0; i--) {
    if (shape[i] !== 1 && stride[i] !== expect) contiguous = false;
    expect *= shape[i]!;
  }
  let raw: Uint8Array;
  if (n === 0) raw = new Uint8Array(0);
  else if (contiguous) raw = storage.subarray(offset * w, (offset + n) * w);
  else {
    raw = new Uint8Array(n * w);
    const rank = shape.length;
    const idx = new Array<number>(rank).fill(0);
    let src = offset;
    for (let k = 0; k < n; k++) {
      raw.set(storage.subarray(src * w, src * w + w), k * w);
      for (let d = rank - 1; d >= 0; d--) {
        idx[d]!++;
        src += stride[d]!;
        if (idx[d]! < shape[d]!) break;
        src -= stride[d]! * shape[d]!;
        idx[d] = 0;
      }
    }
  }
  if (bigEndian) raw = swapBytes(raw, w);
  const out = decode(raw, t.dtype.dtype, n);
  out.shape = [...shape];
  return out;
}

// ---------------------------------------------------------------------------------------------------------------
// Entry points

function storageLoader(where: string, storages = new Map<string, StorageRef>()) {
  return (pid: unknown): StorageRef => {
    const items = pid instanceof PyTuple ? pid.items : null;
    if (items?.[0] !== 'storage') throw new PickleError(`${where}: unsupported persistent id ${describe(pid)}`);
    const [, type, key, , size] = items;
    if (!(type instanceof PyGlobal)) throw new PickleError(`${where}: storage type must be a torch storage class`);
    let st = type.module === 'torch' ? STORAGE_TYPES.get(type.name) : undefined;
    if (type.module === 'torch' && type.name === 'UntypedStorage') st = U8;
    if (!st) throw new PickleError(`${where}: unsupported storage type torch.${type.name}`);
    const k = String(key);
    let ref = storages.get(k);
    if (!ref) {
      ref = new StorageRef(st, k, toNumber(size, 'storage size', where));
      storages.set(k, ref);
    }
    return ref;
  };
}

/** Collects every TensorRef reachable from `root` (to load their storages); a work list, so any nesting depth works. */
function collectTensors(root: unknown, out: Set<TensorRef>): void {
  const seen = new Set<unknown>();
  const todo: unknown[] = [root];
  while (todo.length) {
    const v = todo.pop();
    if (v === null || typeof v !== 'object' || seen.has(v)) continue;
    seen.add(v);
    if (v instanceof TensorRef) out.add(v);
    else if (v instanceof PyDict) for (const x of v.map.values()) todo.push(x);
    else if (v instanceof PyTuple) pushAll(todo, v.items);
    else if (Array.isArray(v)) pushAll(todo, v);
    else if (v instanceof PyObject) {
      todo.push(v.state);
      pushAll(todo, v.args);
    }
  }
}

/** timm `load_state_dict`: picks `state_dict_ema` / `model_ema` (useEma) / `state_dict` / `model`, strips `module.`. */
function unwrap(root: unknown, where: string, opts: TorchReadOptions): PyDict {
  if (!(root instanceof PyDict)) throw new PickleError(`${where}: the checkpoint holds a ${describe(root)}, not a state dict`);
  const get = (k: string) => {
    const v = root.map.get(k);
    return v === undefined || v === null ? undefined : v;
  };
  const useEma = opts.useEma ?? true;
  let key = '';
  if (useEma && get('state_dict_ema') !== undefined) key = 'state_dict_ema';
  else if (useEma && get('model_ema') !== undefined) key = 'model_ema';
  else if (root.map.has('state_dict')) key = 'state_dict';
  else if (root.map.has('model')) key = 'model';
  const sd = key ? root.map.get(key) : root;
  if (!(sd instanceof PyDict)) throw new PickleError(`${where}: checkpoint['${key}'] is a ${describe(sd)}, not a state dict`);
  return sd;
}

function toStateDict(sd: PyDict, where: string, opts: TorchReadOptions, bigEndian: boolean, fileBytes: number): StateDict {
  const budget = { bytes: MATERIALIZE_FILE_MULTIPLE * fileBytes };
  const strip = opts.stripModulePrefix ?? true;
  const out: StateDict = Object.create(null);
  for (const [k, v] of sd.map) {
    if (!(v instanceof TensorRef)) continue;
    if (typeof k !== 'string') throw new PickleError(`${where}: state dict key ${describe(k)} is not a string`);
    const key = k;
    const name = strip && key.startsWith('module.') ? key.slice('module.'.length) : key;
    if (Object.hasOwn(out, name)) throw new PickleError(`${where}: tensor name ${JSON.stringify(escapeControl(name))} appears twice (after removing 'module.')`);
    out[name] = materialize(key, v, where, bigEndian, budget);
  }
  if (Object.keys(out).length === 0) throw new PickleError(`${where}: the state dict holds no tensors`);
  return out;
}

function readZipCheckpoint(bytes: Uint8Array, where: string, opts: TorchReadOptions): StateDict {
  const entries = readZipDirectory(bytes, where);
  const pkl = [...entries.keys()].find((n) => n === 'data.pkl' || n.endsWith('/data.pkl'));
  if (!pkl) throw new PickleError(`${where}: zip has no data.pkl; not a PyTorch checkpoint`);
  const prefix = pkl.slice(0, pkl.length - 'data.pkl'.length);
  const byteorder = entries.get(`${prefix}byteorder`);
  const bigEndian = byteorder ? new TextDecoder().decode(zipEntryData(bytes, byteorder, where, opts)).trim() === 'big' : false;
  const ctx: UnpickleContext = { where, allow: new Set(opts.allowGlobals ?? []), persistentLoad: storageLoader(where) };
  const { value } = unpickle(zipEntryData(bytes, entries.get(pkl)!, where, opts), 0, ctx);
  const sd = unwrap(value, where, opts);
  const tensors = new Set<TensorRef>();
  collectTensors(sd, tensors);
  for (const t of tensors) {
    const s = t.storage;
    if (s.bytes) continue;
    const e = entries.get(`${prefix}data/${s.key}`);
    if (!e) throw new PickleError(`${where}: storage '${s.key}' (${prefix}data/${s.key}) is missing from the archive`);
    s.bytes = zipEntryData(bytes, e, where, opts);
  }
  return toStateDict(sd, where, opts, bigEndian, bytes.byteLength);
}

const LEGACY_MAGIC = 0x1950a86a20f9469cfc6cn;

function readLegacyCheckpoint(bytes: Uint8Array, where: string, opts: TorchReadOptions): StateDict {
  const noPid: UnpickleContext = {
    where,
    allow: new Set(),
    persistentLoad: () => {
      throw new PickleError(`${where}: unexpected persistent id in the legacy header`);
    },
  };
  const magic = unpickle(bytes, 0, noPid);
  if (magic.value !== LEGACY_MAGIC) throw new PickleError(`${where}: not a PyTorch checkpoint (legacy magic number missing)`);
  const version = unpickle(bytes, magic.end, noPid);
  if (version.value !== 1001) throw new PickleError(`${where}: unsupported legacy PyTorch format version ${String(version.value)}`);
  const sysInfo = unpickle(bytes, version.end, noPid);
  const littleEndian = sysInfo.value instanceof PyDict ? sysInfo.value.map.get('little_endian') !== false : true;
  const byKey = new Map<string, StorageRef>();
  const ctx: UnpickleContext = { where, allow: new Set(opts.allowGlobals ?? []), persistentLoad: storageLoader(where, byKey) };
  const main = unpickle(bytes, sysInfo.end, ctx);
  const keysPickle = unpickle(bytes, main.end, noPid);
  const keys = Array.isArray(keysPickle.value) ? keysPickle.value.map(String) : null;
  if (!keys) throw new PickleError(`${where}: legacy storage key list missing`);
  // Storage records follow: int64 element count, then the raw bytes, in `keys` order.
  let p = keysPickle.end;
  const view = new DataView(bytes.buffer, bytes.byteOffset, bytes.byteLength);
  for (const k of keys) {
    if (p + 8 > bytes.byteLength) throw new PickleError(`${where}: storage '${k}' record is missing; the file is truncated`);
    const count = Number(view.getBigInt64(p, littleEndian));
    p += 8;
    if (!(count >= 0)) throw new PickleError(`${where}: storage '${escapeControl(k)}' has a negative element count ${count}; the file is corrupt`);
    const ref = byKey.get(k);
    if (!ref) throw new PickleError(`${where}: legacy storage '${k}' is listed but was never referenced by the pickle`);
    const len = count * ref.type.width;
    if (p + len > bytes.byteLength) throw new PickleError(`${where}: storage '${k}' needs ${len} bytes past byte ${p} but the file has ${bytes.byteLength}; the file is truncated`);
    ref.bytes = bytes.subarray(p, p + len);
    p += len;
  }
  const sd = unwrap(main.value, where, opts);
  return toStateDict(sd, where, opts, !littleEndian, bytes.byteLength);
}

/**
 * Reads a PyTorch checkpoint held in memory (torch.save zip format, or the legacy format) into a state dict, without
 * executing anything. As timm's `load_state_dict`: a `state_dict_ema` / `model_ema` (when `useEma`), `state_dict` or
 * `model` entry is unwrapped and a `module.` prefix is stripped. Floats (f16/bf16/f64) come back as float32, int64
 * stays int64; non-contiguous tensors are made contiguous. Non-tensor entries are skipped.
 */
export function readTorchCheckpoint(bytes: Uint8Array, options: TorchReadOptions = {}): StateDict {
  const where = options.source ?? 'checkpoint';
  if (bytes.byteLength < 4) throw new PickleError(`${where}: file is ${bytes.byteLength} bytes, too short to be a PyTorch checkpoint`);
  if (isZipBytes(bytes)) return readZipCheckpoint(bytes, where, options);
  if (bytes[0] === 0x80) return readLegacyCheckpoint(bytes, where, options);
  throw new PickleError(`${where}: not a PyTorch checkpoint (neither a zip archive nor a pickle)`);
}
