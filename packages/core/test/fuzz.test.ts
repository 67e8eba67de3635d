/**
 * Property-based fuzzing (fast-check, seeded, bounded): valid safetensors, .pth (zip and legacy), PNG and JPEG bytes
 * are mutated (bytes overwritten, cut, spliced; safetensors headers edited field by field) and every outcome must be
 * a success or the library's own error class with the file named in its message, within a time budget per case
 * and a memory ceiling for the run. Counts are fixed so that the whole file runs in well under a minute in CI.
 */
import { mkdtempSync, readFileSync, rmSync, writeFileSync } from 'node:fs';
import { tmpdir } from 'node:os';
import { dirname, join } from 'node:path';
import { fileURLToPath } from 'node:url';
import fc from 'fast-check';
import { afterAll, describe, expect, it } from 'vitest';
import { ImageDecodeError } from '../src/data/image.js';
import { decodeImage } from '../src/node/image.js';
import { PickleError, readTorchCheckpoint } from '../src/weights/pickle.js';
import { readSafetensors, SafetensorsError, writeSafetensors } from '../src/weights/safetensors.js';
import type { StateDict } from '../src/weights/types.js';
import { goodPth } from './weights/hostile-files.js';

const HERE = dirname(fileURLToPath(import.meta.url));
const fixture = (...p: string[]) => new Uint8Array(readFileSync(join(HERE, 'fixtures', ...p)));
const dir = mkdtempSync(join(tmpdir(), 'zoo-fuzz-'));
afterAll(() => rmSync(dir, { recursive: true, force: true }));

/** Per-case time budget (ms): a bound on runaways, not a speed measurement. */
const CASE_MS = 2000;
/** RSS ceiling for the whole run. */
const RSS_LIMIT = 800e6;

/** A mutation of `base`: some bytes overwritten, then maybe cut, then maybe a slice duplicated elsewhere. */
function mutated(base: Uint8Array): fc.Arbitrary<Uint8Array> {
  const n = base.byteLength;
  return fc
    .record({
      writes: fc.array(fc.record({ at: fc.nat({ max: n - 1 }), value: fc.integer({ min: 0, max: 255 }) }), { minLength: 0, maxLength: 12 }),
      cut: fc.option(fc.nat({ max: n }), { freq: 3 }),
      splice: fc.option(fc.record({ from: fc.nat({ max: n - 1 }), len: fc.nat({ max: 64 }), to: fc.nat({ max: n - 1 }) }), { freq: 4 }),
    })
    .map(({ writes, cut, splice }) => {
      let out = base.slice();
      for (const w of writes) out[w.at] = w.value;
      if (splice) {
        const piece = out.slice(splice.from, splice.from + splice.len);
        out = new Uint8Array([...out.subarray(0, splice.to), ...piece, ...out.subarray(splice.to)]);
      }
      if (cut !== null) out = out.slice(0, cut);
      return out;
    });
}

/** Runs `read` on one case: it must succeed or throw `errorClass` naming `source`, within the case budget. */
async function oneCase(read: () => unknown, errorClass: new (...a: never[]) => Error, source: string): Promise<void> {
  const t0 = performance.now();
  try {
    await read();
  } catch (e) {
    if (!(e instanceof errorClass)) throw new Error(`expected a ${errorClass.name}, got ${e instanceof Error ? `${e.name}: ${e.message}` : String(e)}`);
    if (!e.message.includes(source)) throw new Error(`the ${errorClass.name} does not name ${source}: ${e.message}`);
  }
  const ms = performance.now() - t0;
  if (ms > CASE_MS) throw new Error(`one case took ${ms.toFixed(0)} ms (budget ${CASE_MS} ms)`);
}

const sd: StateDict = {
  'conv1.weight': { dtype: 'float32', shape: [2, 1, 2, 2], data: new Float32Array(8).map((_, i) => i / 7) },
  'bn1.running_var': { dtype: 'float32', shape: [2], data: new Float32Array([1, 2]) },
  'bn1.num_batches_tracked': { dtype: 'int64', shape: [], data: new BigInt64Array([3n]) },
  'fc.bias': { dtype: 'float32', shape: [3], data: new Float32Array([0.5, -1, 2]) },
};
const SAFETENSORS = writeSafetensors(sd, { format: 'pt' });

describe('fuzz: safetensors', () => {
  it('mutated bytes: success or SafetensorsError naming the file (seeded, 2000 cases)', async () => {
    await fc.assert(
      fc.asyncProperty(mutated(SAFETENSORS), (bytes) => oneCase(() => readSafetensors(bytes, { source: 'fuzz.safetensors' }), SafetensorsError, 'fuzz.safetensors')),
      { seed: 15, numRuns: 2000 },
    );
  });

  it('edited headers (offsets, shapes, dtypes, names): success only when the entries still tile the data (seeded, 1000 cases)', async () => {
    const headerLen = Number(new DataView(SAFETENSORS.buffer).getBigUint64(0, true));
    const header = JSON.parse(new TextDecoder().decode(SAFETENSORS.subarray(8, 8 + headerLen))) as Record<string, any>;
    const data = SAFETENSORS.subarray(8 + headerLen);
    const keys = Object.keys(header).filter((k) => k !== '__metadata__');
    const edit = fc.record({
      key: fc.constantFrom(...keys),
      field: fc.constantFrom('begin', 'end', 'shape', 'dtype', 'name'),
      num: fc.oneof(fc.integer({ min: -8, max: 200 }), fc.constantFrom(1e20, 0.5, Number.MAX_SAFE_INTEGER)),
      text: fc.constantFrom('__proto__', 'constructor', 'F16', 'F64', 'X', 'toString', keys[0]!),
    });
    await fc.assert(
      fc.asyncProperty(fc.array(edit, { minLength: 1, maxLength: 3 }), async (edits) => {
        const h = structuredClone(header);
        for (const e of edits) {
          const entry = h[e.key];
          if (!entry) continue;
          if (e.field === 'begin') entry.data_offsets[0] = e.num;
          else if (e.field === 'end') entry.data_offsets[1] = e.num;
          else if (e.field === 'shape') entry.shape = [e.num];
          else if (e.field === 'dtype') entry.dtype = e.text;
          else {
            delete h[e.key];
            h[e.text] = entry;
          }
        }
        const json = new TextEncoder().encode(JSON.stringify(h));
        const file = new Uint8Array(8 + json.byteLength + data.byteLength);
        new DataView(file.buffer).setBigUint64(0, BigInt(json.byteLength), true);
        file.set(json, 8);
        file.set(data, 8 + json.byteLength);
        let read: ReturnType<typeof readSafetensors> | undefined;
        await oneCase(
          () => {
            read = readSafetensors(file, { source: 'edited.safetensors' });
          },
          SafetensorsError,
          'edited.safetensors',
        );
        if (read) {
          // What loads is exact: a null-prototype dict whose every tensor holds numel(shape) elements.
          expect(Object.getPrototypeOf(read.tensors)).toBe(null);
          for (const t of Object.values(read.tensors)) expect(t.data.length).toBe(t.shape.reduce((a, b) => a * b, 1));
        }
      }),
      { seed: 1515, numRuns: 1000 },
    );
  });
});

describe('fuzz: .pth', () => {
  const bases: [string, Uint8Array][] = [
    ['good.pth (torch.save zip)', fixture('hub', 'good.pth')],
    ['legacy.pth', fixture('hub', 'legacy.pth')],
    ['hand-built zip', goodPth()],
  ];
  for (const [name, base] of bases) {
    it(`${name}: mutated bytes give a state dict or a PickleError naming the file (seeded, 3000 cases)`, async () => {
      await fc.assert(
        fc.asyncProperty(mutated(base), (bytes) => oneCase(() => readTorchCheckpoint(bytes, { source: 'fuzz.pth' }), PickleError, 'fuzz.pth')),
        { seed: 42, numRuns: 3000 },
      );
    });
  }
});

describe('fuzz: images', () => {
  const bases: [string, Uint8Array][] = [
    ['dec_gray.png', fixture('preprocess', 'dec_gray.png')],
    ['dec_palette.png', fixture('preprocess', 'dec_palette.png')],
    ['dec_gray.jpg', fixture('preprocess', 'dec_gray.jpg')],
  ];
  for (const [name, base] of bases) {
    it(`${name}: mutated bytes decode or give an ImageDecodeError naming the file (seeded, 150 cases)`, async () => {
      let i = 0;
      await fc.assert(
        fc.asyncProperty(mutated(base), async (bytes) => {
          const path = join(dir, `case-${i++}-${name}`);
          writeFileSync(path, bytes);
          await oneCase(() => decodeImage(path), ImageDecodeError, path);
        }),
        { seed: 7, numRuns: 150 },
      );
    });
  }

  it('the whole run stayed under the memory ceiling', () => {
    expect(process.memoryUsage().rss).toBeLessThan(RSS_LIMIT);
  });
});
