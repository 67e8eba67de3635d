/**
 * Hand-built hostile checkpoints (a few hundred bytes to a few hundred KB each) that made the readers run away:
 * quadratic MARK / LONG4, a stride-0 view of 2e8 elements, a zip bomb, deep nesting, long APPENDS, names from
 * Object.prototype. Shared by the resource-bound tests and the fuzzers.
 */
import { deflateRawSync } from 'node:zlib';

const enc = new TextEncoder();

export function concat(parts: (Uint8Array | number[] | string)[]): Uint8Array {
  const arrays = parts.map((p) => (typeof p === 'string' ? Uint8Array.from(p, (c) => c.charCodeAt(0)) : p instanceof Uint8Array ? p : Uint8Array.from(p)));
  const out = new Uint8Array(arrays.reduce((n, a) => n + a.byteLength, 0));
  let o = 0;
  for (const a of arrays) {
    out.set(a, o);
    o += a.byteLength;
  }
  return out;
}

const u32 = (n: number) => [n & 0xff, (n >>> 8) & 0xff, (n >>> 16) & 0xff, (n >>> 24) & 0xff];
const u16 = (n: number) => [n & 0xff, (n >>> 8) & 0xff];
/** BINUNICODE */
export const str = (s: string) => concat([[0x58, ...u32(enc.encode(s).byteLength)], enc.encode(s)]);
/** BININT */
export const int = (n: number) => [0x4a, ...u32(n >>> 0)];

export interface ZipFile {
  name: string;
  data: Uint8Array;
  /** DEFLATE the data (`deflated`: it already is); `declaredSize` overrides the size written in the headers. */
  deflate?: boolean;
  deflated?: boolean;
  declaredSize?: number;
}

/** A minimal zip (CRCs left 0: the reader does not check them). */
export function zip(files: ZipFile[]): Uint8Array {
  const locals: Uint8Array[] = [];
  const central: Uint8Array[] = [];
  let offset = 0;
  for (const f of files) {
    const name = enc.encode(f.name);
    const body = f.deflate ? new Uint8Array(deflateRawSync(f.data)) : f.data;
    const size = f.declaredSize ?? f.data.byteLength;
    const method = f.deflate || f.deflated ? 8 : 0;
    const local = concat([[0x50, 0x4b, 3, 4, ...u16(20), ...u16(0), ...u16(method), 0, 0, 0, 0, ...u32(0), ...u32(body.byteLength), ...u32(size), ...u16(name.byteLength), ...u16(0)], name, body]);
    central.push(
      concat([
        [0x50, 0x4b, 1, 2, ...u16(20), ...u16(20), ...u16(0), ...u16(method), 0, 0, 0, 0, ...u32(0), ...u32(body.byteLength), ...u32(size)],
        [...u16(name.byteLength), ...u16(0), ...u16(0), ...u16(0), ...u16(0), ...u32(0), ...u32(offset)],
        name,
      ]),
    );
    locals.push(local);
    offset += local.byteLength;
  }
  const cd = concat(central);
  const eocd = [0x50, 0x4b, 5, 6, 0, 0, 0, 0, ...u16(files.length), ...u16(files.length), ...u32(cd.byteLength), ...u32(offset), 0, 0];
  return concat([...locals, cd, eocd]);
}

/** `_rebuild_tensor_v2(storage(key, n elements of `storageType`), 0, size, stride)` on the stack. */
function tensorExpr(size: number[], stride: number[], storageElems: number, storageType = 'FloatStorage', storageKey = '0'): Uint8Array {
  const tuple = (xs: number[]) => concat([[0x28], ...xs.map(int), [0x74]]);
  return concat([
    'ctorch._utils\n_rebuild_tensor_v2\n',
    [0x28], // MARK (args)
    [0x28], // MARK (persistent id)
    str('storage'),
    `ctorch\n${storageType}\n`,
    str(storageKey),
    str('cpu'),
    int(storageElems),
    [0x74, 0x51], // TUPLE, BINPERSID
    int(0),
    tuple(size),
    tuple(stride),
    [0x89], // requires_grad False
    'ccollections\nOrderedDict\n',
    [0x29, 0x52], // (), REDUCE
    [0x74, 0x52], // TUPLE, REDUCE
  ]);
}

/** `{key: tensor, …}` (SETITEMS), each tensor a view of storage '0'. */
export function stateDictPickle(entries: [key: string, size: number[], stride: number[], storageElems: number, storageType?: string][]): Uint8Array {
  return concat([
    [0x80, 0x02, 0x7d, 0x28], // PROTO 2, EMPTY_DICT, MARK
    ...entries.flatMap(([key, size, stride, n, type]) => [str(key), tensorExpr(size, stride, n, type)]),
    [0x75, 0x2e], // SETITEMS, STOP
  ]);
}

/** `{key: tensor}` where the tensor is a view of storage '0' holding `storageElems` elements of `storageType`. */
export function tensorPickle(key: string, size: number[], stride: number[], storageElems: number, storageType = 'FloatStorage'): Uint8Array {
  return stateDictPickle([[key, size, stride, storageElems, storageType]]);
}

/** A torch.save-style zip around a data.pkl and its storages. */
export function torchZip(pkl: Uint8Array, storages: Record<string, Uint8Array | ZipFile> = {}): Uint8Array {
  return zip([
    { name: 'archive/data.pkl', data: pkl },
    ...Object.entries(storages).map(([k, v]) => (v instanceof Uint8Array ? { name: `archive/data/${k}`, data: v } : { ...v, name: `archive/data/${k}` })),
  ]);
}

/** A valid one-tensor checkpoint: `w` = float32 [2, 3] = 0..5. */
export function goodPth(): Uint8Array {
  return torchZip(tensorPickle('w', [2, 3], [3, 1], 6), { '0': new Uint8Array(new Float32Array([0, 1, 2, 3, 4, 5]).buffer) });
}

/**
 * A raw DEFLATE stream of `1 + 258 × copies` zero bytes, written directly (fixed Huffman: one literal 0, then
 * length-258 / distance-1 copies at 13 bits each), so that a 1 GiB bomb costs 6.5 MB and no time to build.
 */
export function deflateZeros(copies: number): Uint8Array {
  const out = new Uint8Array(Math.ceil((3 + 8 + 13 * copies + 7) / 8) + 1);
  let bit = 0;
  const lsb = (v: number, n: number) => {
    for (let i = 0; i < n; i++, bit++) if ((v >> i) & 1) out[bit >> 3]! |= 1 << (bit & 7);
  };
  const msb = (code: number, n: number) => {
    for (let i = n - 1; i >= 0; i--, bit++) if ((code >> i) & 1) out[bit >> 3]! |= 1 << (bit & 7);
  };
  lsb(1, 1); // BFINAL
  lsb(1, 2); // BTYPE = fixed Huffman
  msb(0x30, 8); // literal 0
  for (let i = 0; i < copies; i++) {
    msb(0xc5, 8); // length code 285 = 258
    msb(0, 5); // distance code 0 = 1
  }
  msb(0, 7); // end of block
  return out;
}

export const HOSTILE_PTH: Record<string, () => Uint8Array> = {
  /** 30k items on the stack, then 30k MARK/POP_MARK pairs: each MARK used to copy the whole stack (120 KB). */
  'mark-copies': () => concat([[0x80, 0x02], new Uint8Array(60_000).map((_, i) => (i % 2 ? 0 : 0x4b)), '(1'.repeat(30_000), [0x4e, 0x2e]]),
  /** One 200 KB LONG4: its decoding used to be quadratic. */
  'long4-200k': () => concat([[0x80, 0x02, 0x8b, ...u32(200_000)], new Uint8Array(200_000).fill(0x7f), [0x2e]]),
  /** 200k nested lists (MARK … LIST): the tensor walk used to recurse once per level. */
  'nested-200k': () => torchZip(concat([[0x80, 0x02, 0x7d], str('a'), '('.repeat(200_000), 'l'.repeat(200_000), [0x73, 0x2e]])),
  /** APPENDS of 300k items: an argument spread that overflows the stack. */
  'appends-300k': () => torchZip(concat([[0x80, 0x02, 0x7d], str('a'), [0x5d, 0x28], new Uint8Array(600_000).map((_, i) => (i % 2 ? 1 : 0x4b)), [0x65, 0x73, 0x2e]])),
  /** A stride-0 view of 2e8 float32 over a 1-element storage: 800 MB from a file of a few hundred bytes. */
  'stride0-view': () => torchZip(tensorPickle('w', [200_000_000], [0], 1), { '0': new Uint8Array(4) }),
  /** A 6.5 MB zip entry declaring 4 bytes that inflates to 1 GiB. */
  'zip-bomb': () => torchZip(tensorPickle('w', [1], [1], 1), { '0': { name: '', data: deflateZeros(4_161_790), deflated: true, declaredSize: 4 } }),
  /** `torch.constructor` as a storage type: an `in {}` allow-list let it through. */
  'constructor-storage': () => torchZip(tensorPickle('w', [1], [1], 1, 'constructor'), { '0': new Uint8Array(4) }),
  /** A text INT of 100k digits (BigInt parsing of huge decimals is superlinear; Python caps at 4300 digits). */
  'int-100k-digits': () => concat([[0x80, 0x02], `I${'9'.repeat(100_000)}\n`, [0x2e]]),
};
