/**
 * safetensors headers that lie: overlapping, gapped or short offsets, duplicate names, names of Object.prototype
 * members. Both the whole-file reader and the streaming reader refuse them with a SafetensorsError naming the file.
 */
import { mkdtempSync, rmSync, writeFileSync } from 'node:fs';
import { tmpdir } from 'node:os';
import { join } from 'node:path';
import { afterAll, describe, expect, it } from 'vitest';
import { readSafetensors, SafetensorsError } from '../../src/weights/safetensors.js';
import { openSafetensorsStream } from '../../src/weights/stream.js';

const dir = mkdtempSync(join(tmpdir(), 'zoo-st-hostile-'));
afterAll(() => rmSync(dir, { recursive: true, force: true }));

function make(headerText: string, data: Uint8Array): Uint8Array {
  const json = new TextEncoder().encode(headerText);
  const out = new Uint8Array(8 + json.length + data.length);
  new DataView(out.buffer).setBigUint64(0, BigInt(json.length), true);
  out.set(json, 8);
  out.set(data, 8 + json.length);
  return out;
}

const f32 = (...v: number[]) => new Uint8Array(new Float32Array(v).buffer);
const entry = (begin: number, end: number, shape = [(end - begin) / 4]) => ({ dtype: 'F32', shape, data_offsets: [begin, end] });

const CASES: Record<string, { file: Uint8Array; error: RegExp }> = {
  'overlap (fc.bias reads conv1.weight bytes)': {
    file: make(JSON.stringify({ 'conv1.weight': entry(0, 8), 'fc.bias': entry(4, 8, [1]) }), f32(1, 2)),
    error: /entry 'fc\.bias' starts at byte 4 of the data but the previous entry ends at 8 \(overlap\)/,
  },
  'same bytes twice': {
    file: make(JSON.stringify({ a: entry(0, 8), b: entry(0, 8) }), f32(1, 2)),
    error: /overlap/,
  },
  gap: {
    file: make(JSON.stringify({ a: entry(0, 4), b: entry(8, 12) }), f32(1, 2, 3)),
    error: /starts at byte 8 .* ends at 4 \(gap\)/,
  },
  'gap at the start': {
    file: make(JSON.stringify({ a: entry(4, 8) }), f32(1, 2)),
    error: /gap/,
  },
  'trailing bytes after the last entry': {
    file: make(JSON.stringify({ a: entry(0, 4) }), f32(1, 2)),
    error: /cover 4 bytes of data but the file holds 8/,
  },
  'duplicate name': {
    file: make(`{"a": ${JSON.stringify(entry(0, 4))}, "a": ${JSON.stringify(entry(4, 8))}}`, f32(1, 2)),
    error: /entry 'a' appears twice/,
  },
  'duplicate name (escaped spelling)': {
    file: make(`{"a": ${JSON.stringify(entry(0, 4))}, "\\u0061": ${JSON.stringify(entry(4, 8))}}`, f32(1, 2)),
    error: /entry 'a' appears twice/,
  },
  '__proto__ name': {
    file: make(`{"__proto__": ${JSON.stringify(entry(0, 4))}}`, f32(1)),
    error: /entry '__proto__' is not an acceptable tensor name/,
  },
  'constructor name': {
    file: make(`{"constructor": ${JSON.stringify(entry(0, 4))}}`, f32(1)),
    error: /entry 'constructor' is not an acceptable tensor name/,
  },
  'constructor dtype': {
    file: make(JSON.stringify({ a: { dtype: 'constructor', shape: [1], data_offsets: [0, 4] } }), f32(1)),
    error: /unsupported dtype constructor/,
  },
  'metadata that is not strings': {
    file: make(JSON.stringify({ __metadata__: { a: 1 }, w: entry(0, 4) }), f32(1)),
    error: /__metadata__ entry 'a' must be a string/,
  },
  'control characters in a name are escaped': {
    file: make(JSON.stringify({ 'x\u001b[2J': entry(4, 8) }), f32(1, 2)),
    error: /entry 'x\\u001b\[2J' starts at byte 4/,
  },
};

describe('hostile safetensors headers', () => {
  for (const [name, { file, error }] of Object.entries(CASES)) {
    it(`${name}: refused by the whole-file and the streaming reader`, async () => {
      let whole: unknown;
      try {
        readSafetensors(file, { source: 'bad.safetensors' });
      } catch (e) {
        whole = e;
      }
      expect(whole).toBeInstanceOf(SafetensorsError);
      expect((whole as Error).message).toMatch(error);
      expect((whole as Error).message).toContain('bad.safetensors');
      expect((whole as Error).message).not.toContain('\u001b');
      const path = join(dir, `${name.replace(/\W+/g, '_')}.safetensors`);
      writeFileSync(path, file);
      const streamed = await openSafetensorsStream(path).catch((e) => e);
      expect(streamed).toBeInstanceOf(SafetensorsError);
      expect((streamed as Error).message).toMatch(error);
      expect((streamed as Error).message).toContain(path);
    });
  }

  it('a valid file still reads, into a null-prototype dict', () => {
    const { tensors, metadata } = readSafetensors(make(JSON.stringify({ __metadata__: { format: 'pt' }, b: entry(4, 8), a: entry(0, 4) }), f32(1, 2)));
    expect(Object.getPrototypeOf(tensors)).toBe(null);
    expect(Object.getPrototypeOf(metadata)).toBe(null);
    expect(Array.from(tensors.b!.data as Float32Array)).toEqual([2]);
    expect(metadata.format).toBe('pt');
  });
});
