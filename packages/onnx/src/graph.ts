import type * as tf from '@tensorflow/tfjs-core';
import { AttributeType, type AttributeMsg, DataType, type NodeMsg, type TensorMsg } from './proto.js';

/** An attribute value as emitters write it: numbers are ints unless wrapped with {@link float}. */
export type AttrValue = number | number[] | string | { float: number } | { floats: number[] } | TensorMsg;

export const float = (f: number): { float: number } => ({ float: f });

/** ONNX element type of a tfjs dtype. */
export function onnxType(dtype: tf.DataType | 'int64' | 'float16'): number {
  switch (dtype) {
    case 'float32':
      return DataType.FLOAT;
    case 'float16':
      return DataType.FLOAT16;
    case 'int32':
      return DataType.INT32;
    case 'int64':
      return DataType.INT64;
    case 'bool':
      return DataType.BOOL;
    default:
      throw new Error(`ONNX export: tensors of dtype ${dtype} are not supported`);
  }
}

function attribute(name: string, v: AttrValue): AttributeMsg {
  if (typeof v === 'number') return { name, type: AttributeType.INT, i: v };
  if (typeof v === 'string') return { name, type: AttributeType.STRING, s: new TextEncoder().encode(v) };
  if (Array.isArray(v)) return { name, type: AttributeType.INTS, ints: v };
  if ('float' in v) return { name, type: AttributeType.FLOAT, f: v.float };
  if ('floats' in v) return { name, type: AttributeType.FLOATS, floats: v.floats };
  return { name, type: AttributeType.TENSOR, t: v };
}

/** float32 → IEEE half (round to nearest even), as bits. */
export function toHalf(f: number): number {
  const b = new DataView(new ArrayBuffer(4));
  b.setFloat32(0, f);
  const x = b.getUint32(0);
  const sign = (x >>> 16) & 0x8000;
  const exp = (x >>> 23) & 0xff;
  let mant = x & 0x7fffff;
  if (exp === 0xff) return sign | 0x7c00 | (mant ? 0x200 : 0);
  const e = exp - 127 + 15;
  if (e >= 0x1f) return sign | 0x7c00;
  if (e <= 0) {
    if (e < -10) return sign;
    mant |= 0x800000;
    const shift = 14 - e;
    let h = mant >>> shift;
    const rem = mant & ((1 << shift) - 1);
    const half = 1 << (shift - 1);
    if (rem > half || (rem === half && h & 1)) h++;
    return sign | h;
  }
  let h = (e << 10) | (mant >>> 13);
  const rem = mant & 0x1fff;
  if (rem > 0x1000 || (rem === 0x1000 && h & 1)) h++;
  return sign | h;
}

/** Nodes and initializers of the graph being built, with unique names. */
export class GraphBuilder {
  readonly nodes: NodeMsg[] = [];
  readonly initializers: TensorMsg[] = [];
  readonly domains = new Set<string>();
  private readonly used = new Set<string>();
  private readonly consts = new Map<string, string>();
  /** float32 initializers are stored as float16 (and cast back to float32 in the graph). */
  half = false;
  /** The fill value of each constant-mode Pad's output, by value name. */
  readonly padFill = new Map<string, number>();

  unique(base: string): string {
    const clean = base.replace(/[^A-Za-z0-9_.:/-]/g, '_') || 'v';
    let name = clean;
    for (let i = 1; this.used.has(name); i++) name = `${clean}_${i}`;
    this.used.add(name);
    return name;
  }

  reserve(name: string): void {
    if (this.used.has(name)) throw new Error(`ONNX export: the name '${name}' is used twice`);
    this.used.add(name);
  }

  node(opType: string, inputs: string[], attrs: Record<string, AttrValue | undefined> = {}, opts: { outputs?: number; name?: string; domain?: string; out?: string[] } = {}): string[] {
    const base = opts.name ?? opType;
    const outputs = opts.out ?? Array.from({ length: opts.outputs ?? 1 }, (_, i) => this.unique(`${base}${i ? `:${i}` : ''}`));
    const attribute: AttributeMsg[] = [];
    for (const [k, v] of Object.entries(attrs)) if (v !== undefined) attribute.push(attribute_(k, v));
    const n: NodeMsg = { input: inputs, output: outputs, name: this.unique(`${base}#node`), opType, attribute };
    if (opts.domain) {
      n.domain = opts.domain;
      this.domains.add(opts.domain);
    }
    this.nodes.push(n);
    return outputs;
  }

  /** An initializer (deduplicated by `key` when given). float32 data is stored as float16 in half mode. */
  initializer(base: string, dims: number[], dtype: 'float32' | 'int32' | 'int64' | 'bool', data: ArrayLike<number> | ArrayLike<bigint>, key?: string): string {
    if (key !== undefined) {
      const hit = this.consts.get(key);
      if (hit) return hit;
    }
    const n = dims.reduce((a, b) => a * b, 1);
    if (data.length !== n) throw new Error(`internal error: initializer ${base} has ${data.length} values for dims [${dims}]`);
    let raw: Uint8Array;
    let dataType: number;
    if (dtype === 'float32' && this.half && n > 1) {
      const h = new Uint16Array(n);
      for (let i = 0; i < n; i++) h[i] = toHalf(Number(data[i]));
      raw = new Uint8Array(h.buffer);
      dataType = DataType.FLOAT16;
    } else if (dtype === 'float32') {
      const f = data instanceof Float32Array ? data : Float32Array.from(data as ArrayLike<number>);
      raw = new Uint8Array(f.buffer, f.byteOffset, f.byteLength);
      dataType = DataType.FLOAT;
    } else if (dtype === 'int64') {
      const b = new BigInt64Array(n);
      for (let i = 0; i < n; i++) b[i] = BigInt(data[i]!);
      raw = new Uint8Array(b.buffer);
      dataType = DataType.INT64;
    } else if (dtype === 'int32') {
      raw = new Uint8Array(Int32Array.from(data as ArrayLike<number>).buffer);
      dataType = DataType.INT32;
    } else {
      raw = Uint8Array.from(data as ArrayLike<number>, (v) => (v ? 1 : 0));
      dataType = DataType.BOOL;
    }
    let name = this.unique(base);
    this.initializers.push({ name, dims, dataType, rawData: raw });
    if (dataType === DataType.FLOAT16) name = this.node('Cast', [name], { to: DataType.FLOAT }, { name: `${name}:f32` })[0]!;
    if (key !== undefined) this.consts.set(key, name);
    return name;
  }

  i64(values: number[]): string {
    return this.initializer('const_i64', [values.length], 'int64', values, `i64:${values.join(',')}`);
  }

  scalar(v: number): string {
    return this.initializer('const_f32', [], 'float32', [v], `f32:${v}`);
  }
}

function attribute_(k: string, v: AttrValue): AttributeMsg {
  return attribute(k, v);
}
