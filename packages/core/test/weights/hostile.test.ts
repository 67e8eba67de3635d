/**
 * Hostile checkpoints end fast, small and with a clear error: each file is read in a child process (tsx) whose
 * time per file and peak RSS are asserted with generous ceilings (10 s, 800 MB): they bound a runaway, they do not
 * measure speed.
 */
import { spawnSync } from 'node:child_process';
import { mkdtempSync, rmSync, writeFileSync } from 'node:fs';
import { tmpdir } from 'node:os';
import { dirname, join } from 'node:path';
import { fileURLToPath } from 'node:url';
import { inflateRawSync } from 'node:zlib';
import { afterAll, describe, expect, it } from 'vitest';
import { readTorchCheckpoint } from '../../src/weights/pickle.js';
import { goodPth, HOSTILE_PTH, stateDictPickle, tensorPickle, torchZip } from './hostile-files.js';

const dir = mkdtempSync(join(tmpdir(), 'zoo-hostile-pth-'));
afterAll(() => rmSync(dir, { recursive: true, force: true }));

const EXPECTED: Record<string, RegExp> = {
  'mark-copies': /not a PyTorch checkpoint/,
  'long4-200k': /not a PyTorch checkpoint/,
  'nested-200k': /holds no tensors/,
  'appends-300k': /holds no tensors/,
  'stride0-view': /would materialize 800000000 bytes from a storage of 4/,
  'zip-bomb': /does not inflate to its declared 4 bytes/,
  'constructor-storage': /refused global 'torch\.constructor'/,
  'int-100k-digits': /at most 4300 digits/,
};

describe('hostile .pth files (child process, bounded)', () => {
  it('each ends in ≤ 10 s with a PickleError naming the file; peak RSS < 800 MB', () => {
    const files = Object.entries(HOSTILE_PTH).map(([name, make]) => {
      const file = join(dir, `${name}.pth`);
      writeFileSync(file, make());
      return file;
    });
    const child = join(dirname(fileURLToPath(import.meta.url)), 'read-child.ts');
    const run = spawnSync(process.execPath, ['--import', 'tsx', child, ...files], { encoding: 'utf8', timeout: 90_000 });
    expect(run.stderr).toBe('');
    const lines = run.stdout.trim().split('\n').map((l) => JSON.parse(l));
    const rss = lines.pop();
    expect(lines.map((l) => l.file)).toEqual(files);
    for (const [i, name] of Object.keys(HOSTILE_PTH).entries()) {
      const r = lines[i];
      expect(r.error, `${name}: ${r.message}`).toBe('PickleError');
      expect(r.message, name).toMatch(EXPECTED[name]!);
      expect(r.message, name).toContain(files[i]);
      expect(r.ms, name).toBeLessThan(10_000);
    }
    expect(rss.maxRssKiB * 1024).toBeLessThan(800e6);
  }, 120_000);
});

describe('.pth reader rules', () => {
  it('reads the hand-built good file (the builders are sound)', () => {
    const sd = readTorchCheckpoint(goodPth(), { source: 'good' });
    expect(Array.from(sd.w!.data as Float32Array)).toEqual([0, 1, 2, 3, 4, 5]);
    expect(sd.w!.shape).toEqual([2, 3]);
  });

  it('inflates a zip entry with maxOutputLength = its declared size', () => {
    const data = new Uint8Array(new Float32Array([7]).buffer);
    const file = torchZip(tensorPickle('w', [1], [1], 1), { '0': { name: '', data, deflate: true } });
    const seen: number[] = [];
    const sd = readTorchCheckpoint(file, {
      inflateRaw: (b, max) => {
        seen.push(max);
        return new Uint8Array(inflateRawSync(b, { maxOutputLength: max }));
      },
    });
    expect((sd.w!.data as Float32Array)[0]).toBe(7);
    expect(seen).toEqual([4]);
    // declared sizes DEFLATE cannot reach are refused before inflating
    const lying = torchZip(tensorPickle('w', [1], [1], 1), { '0': { name: '', data, deflate: true, declaredSize: 1 << 30 } });
    expect(() => readTorchCheckpoint(lying, { source: 'lying.pth' })).toThrow(/more than DEFLATE can produce/);
  });

  it('dtype / storage allow-lists are own-property checks', () => {
    for (const name of ['constructor', '__proto__', 'toString', 'hasOwnProperty']) {
      const file = torchZip(tensorPickle('w', [1], [1], 1, name), { '0': new Uint8Array(4) });
      expect(() => readTorchCheckpoint(file, { source: 'x.pth' })).toThrow(new RegExp(`refused global 'torch\\.${name}'`));
    }
  });

  it('a __proto__ tensor name stays a name (null-prototype state dict); duplicates after module. are refused', () => {
    const sd = readTorchCheckpoint(torchZip(tensorPickle('__proto__', [1], [1], 1), { '0': new Uint8Array(4) }));
    expect(Object.keys(sd)).toEqual(['__proto__']);
    expect(Object.getPrototypeOf(sd)).toBe(null);
    const twice = stateDictPickle([
      ['w', [1], [1], 1],
      ['module.w', [1], [1], 1],
    ]);
    expect(() => readTorchCheckpoint(torchZip(twice, { '0': new Uint8Array(4) }), { source: 'dup.pth' })).toThrow(/"w" appears twice/);
  });

  it('control characters in tensor names are escaped in messages', () => {
    const file = torchZip(tensorPickle('evil\u001b[2J', [2], [1], 1), { '0': new Uint8Array(4) });
    let msg = '';
    try {
      readTorchCheckpoint(file, { source: 'esc.pth' });
    } catch (e) {
      msg = (e as Error).message;
    }
    expect(msg).toContain('evil\\u001b[2J');
    expect(msg).not.toContain('\u001b');
  });
});
