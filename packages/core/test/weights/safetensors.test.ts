import { describe, expect, it } from 'vitest';
import { readSafetensors, SafetensorsError, writeSafetensors } from '../../src/weights/safetensors.js';
import type { StateDict } from '../../src/weights/types.js';

/** Builds a safetensors file from a header object (or raw header text) and a data section. */
function make(header: unknown, data: Uint8Array = new Uint8Array(0), headerLen?: number): Uint8Array {
  const json = new TextEncoder().encode(typeof header === 'string' ? header : JSON.stringify(header));
  const out = new Uint8Array(8 + json.length + data.length);
  new DataView(out.buffer).setBigUint64(0, BigInt(headerLen ?? json.length), true);
  out.set(json, 8);
  out.set(data, 8 + json.length);
  return out;
}

const u16 = (...v: number[]) => new Uint8Array(new Uint16Array(v).buffer);

function errorOf(fn: () => unknown): SafetensorsError {
  try {
    fn();
  } catch (e) {
    expect(e).toBeInstanceOf(SafetensorsError);
    return e as SafetensorsError;
  }
  throw new Error('expected a SafetensorsError');
}

describe('readSafetensors', () => {
  it('round-trips writeSafetensors (float32, int64, int32, uint8) in key order with metadata', () => {
    const sd: StateDict = {
      'b.weight': { dtype: 'float32', shape: [2, 2], data: new Float32Array([1, -2, 3.5, 0]) },
      'a.idx': { dtype: 'int64', shape: [3], data: new BigInt64Array([1n, -(2n ** 60n), 3n]) },
      'c.i': { dtype: 'int32', shape: [1], data: new Int32Array([-7]) },
      'd.u': { dtype: 'uint8', shape: [2], data: new Uint8Array([0, 255]) },
    };
    const bytes = writeSafetensors(sd, { format: 'pt' });
    const { tensors, metadata } = readSafetensors(bytes);
    expect(metadata).toEqual({ format: 'pt' });
    expect(Object.keys(tensors)).toEqual(Object.keys(sd));
    for (const [k, t] of Object.entries(sd)) {
      expect(tensors[k]!.dtype).toBe(t.dtype);
      expect(tensors[k]!.shape).toEqual(t.shape);
      expect(Array.from(tensors[k]!.data as ArrayLike<number | bigint>)).toEqual(Array.from(t.data as ArrayLike<number | bigint>));
    }
    expect(Object.keys(readSafetensors(bytes, { keepIntegers: false }).tensors)).toEqual(['b.weight']);
  });

  it('widens F16 (normal, subnormal, inf) and BF16 to float32 exactly', () => {
    const f16 = u16(0x3c00, 0xc000, 0x3555, 0x7c00, 0x0001, 0x8000);
    const bf16 = u16(0x3f80, 0xc0a0, 0x4049, 0xff80);
    const data = new Uint8Array([...f16, ...bf16]);
    const file = make(
      {
        h: { dtype: 'F16', shape: [6], data_offsets: [0, 12] },
        b: { dtype: 'BF16', shape: [2, 2], data_offsets: [12, 20] },
      },
      data,
    );
    const { tensors } = readSafetensors(file);
    expect(tensors.h!.dtype).toBe('float32');
    expect(Array.from(tensors.h!.data as Float32Array)).toEqual([1, -2, 0.333251953125, Number.POSITIVE_INFINITY, 2 ** -24, -0]);
    expect(tensors.b!.shape).toEqual([2, 2]);
    expect(Array.from(tensors.b!.data as Float32Array)).toEqual([1, -5, 3.140625, Number.NEGATIVE_INFINITY]);
  });

  it('widens F64 and reads unaligned F32 data', () => {
    const f64 = new Uint8Array(new Float64Array([0.5, -1.25]).buffer);
    const f32 = new Uint8Array(new Float32Array([7]).buffer);
    const file = make(
      { d: { dtype: 'F64', shape: [2], data_offsets: [0, 16] }, f: { dtype: 'F32', shape: [1], data_offsets: [17, 21] }, pad: { dtype: 'U8', shape: [1], data_offsets: [16, 17] } },
      new Uint8Array([...f64, 9, ...f32]),
    );
    const { tensors } = readSafetensors(file);
    expect(Array.from(tensors.d!.data as Float32Array)).toEqual([0.5, -1.25]);
    expect(Array.from(tensors.f!.data as Float32Array)).toEqual([7]);
  });

  it('names a file too short to hold the header length', () => {
    const e = errorOf(() => readSafetensors(new Uint8Array(5), { source: 'tiny.safetensors' }));
    expect(e.message).toMatch(/tiny\.safetensors: file is 5 bytes, too short/);
  });

  it('rejects a header length beyond the file (truncated or not safetensors)', () => {
    const file = make({ a: { dtype: 'F32', shape: [1], data_offsets: [0, 4] } }, new Uint8Array(4), 10_000);
    expect(errorOf(() => readSafetensors(file, { source: 'm.safetensors' })).message).toMatch(/m\.safetensors: header length 10000 exceeds the file size/);
    const huge = make({}, new Uint8Array(0), 2 ** 40);
    expect(errorOf(() => readSafetensors(huge)).message).toMatch(/header length/);
  });

  it('rejects a header that is not JSON, not UTF-8, or not an object', () => {
    expect(errorOf(() => readSafetensors(make('{"a": [1, 2'))).message).toMatch(/header is not valid UTF-8 JSON/);
    const badUtf8 = make('{"a":1}');
    badUtf8[10] = 0xff;
    expect(errorOf(() => readSafetensors(badUtf8)).message).toMatch(/not valid UTF-8 JSON/);
    expect(errorOf(() => readSafetensors(make('[1, 2]'))).message).toMatch(/must be a JSON object/);
    expect(errorOf(() => readSafetensors(make('null'))).message).toMatch(/must be a JSON object/);
  });

  it('rejects malformed entries, unknown dtypes, bad shapes and bad offsets, naming the entry', () => {
    expect(errorOf(() => readSafetensors(make({ w: { dtype: 'F32', shape: [1] } }))).message).toMatch(/entry 'w' is malformed/);
    expect(errorOf(() => readSafetensors(make({ w: { dtype: 'C64', shape: [1], data_offsets: [0, 8] } }, new Uint8Array(8)))).message).toMatch(
      /entry 'w' has unsupported dtype C64/,
    );
    expect(errorOf(() => readSafetensors(make({ w: { dtype: 'F32', shape: [-1], data_offsets: [0, 4] } }, new Uint8Array(4)))).message).toMatch(
      /entry 'w' has an invalid shape/,
    );
    expect(errorOf(() => readSafetensors(make({ w: { dtype: 'F32', shape: [1], data_offsets: [8, 4] } }, new Uint8Array(8)))).message).toMatch(
      /entry 'w' has invalid data_offsets \[8, 4\]/,
    );
  });

  it('rejects offsets beyond the data (truncated file)', () => {
    const file = make({ w: { dtype: 'F32', shape: [4], data_offsets: [0, 16] } }, new Uint8Array(16));
    const cut = file.subarray(0, file.byteLength - 6);
    const e = errorOf(() => readSafetensors(cut, { source: 'cut.safetensors' }));
    expect(e.message).toMatch(/cut\.safetensors: entry 'w' ends at byte 16 of the data but only 10 bytes are present; the file is truncated/);
  });

  it('rejects a size mismatch between dtype x shape and the offsets', () => {
    const file = make({ w: { dtype: 'F16', shape: [2, 3], data_offsets: [0, 8] } }, new Uint8Array(8));
    expect(errorOf(() => readSafetensors(file)).message).toMatch(/entry 'w' F16\[2, 3\] needs 12 bytes but its offsets span 8/);
  });

  it('refuses to write data that does not match its shape', () => {
    expect(() => writeSafetensors({ x: { dtype: 'float32', shape: [3], data: new Float32Array(2) } })).toThrow(SafetensorsError);
  });
});
