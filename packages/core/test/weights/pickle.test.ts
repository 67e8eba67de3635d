import { existsSync, readFileSync, rmSync } from 'node:fs';
import { dirname, join } from 'node:path';
import { fileURLToPath } from 'node:url';
import { describe, expect, it } from 'vitest';
import { PickleError, readTorchCheckpoint } from '../../src/weights/pickle.js';
import type { StateDict } from '../../src/weights/types.js';

const FIX = join(dirname(fileURLToPath(import.meta.url)), '..', 'fixtures', 'hub');
const load = (name: string) => new Uint8Array(readFileSync(join(FIX, name)));
const expected = JSON.parse(readFileSync(join(FIX, 'expected.json'), 'utf8')) as Record<
  string,
  { dtype: string; shape: number[]; values: (number | string)[] }
>;
const PWNED = '/tmp/zoo-pickle-pwned';

function checkAgainstExpected(sd: StateDict): void {
  expect(Object.keys(sd)).toEqual(Object.keys(expected));
  for (const [k, e] of Object.entries(expected)) {
    const t = sd[k]!;
    expect(t.shape, k).toEqual(e.shape);
    expect(t.dtype, k).toBe(e.dtype);
    if (e.dtype === 'int64') expect(Array.from(t.data as BigInt64Array, String), k).toEqual(e.values);
    else if (e.dtype === 'float32') expect(Array.from(t.data as Float32Array), k).toEqual(e.values.map((v) => Math.fround(v as number)));
    else expect(Array.from(t.data as Int32Array | Uint8Array), k).toEqual(e.values);
  }
}

describe('readTorchCheckpoint', () => {
  it('reads a torch.save zip checkpoint exactly: wrapper and module. prefix removed, views made contiguous', () => {
    const sd = readTorchCheckpoint(load('good.pth'), { source: 'good.pth' });
    checkAgainstExpected(sd);
    expect(sd['fc.weight']!.dtype).toBe('float32'); // float16 widened
    expect(sd['head.weight']!.dtype).toBe('float32'); // bfloat16 widened
    expect(Array.from(sd['proj.weight']!.data as Float32Array)).toEqual([0, 4, 8, 1, 5, 9, 2, 6, 10, 3, 7, 11]);
    expect(Array.from(sd['slice.weight']!.data as Float32Array)).toEqual([5, 6, 7, 8, 9, 10]);
    expect(sd['scale']!.shape).toEqual([]);
    expect((sd['pos.index']!.data as BigInt64Array)[2]).toBe(2n ** 40n);
  });

  it('reads the legacy (non-zip) format', () => {
    checkAgainstExpected(readTorchCheckpoint(load('legacy.pth'), { source: 'legacy.pth' }));
  });

  it('prefers state_dict_ema as timm does, unless useEma is false', () => {
    const ema = readTorchCheckpoint(load('ema.pth'));
    const plain = readTorchCheckpoint(load('ema.pth'), { useEma: false });
    expect(Object.keys(ema)).toEqual(['conv.weight', 'conv.bias']);
    expect((ema['conv.bias']!.data as Float32Array)[0]).toBe(100.5);
    expect((plain['conv.bias']!.data as Float32Array)[0]).toBe(0.5);
    expect(Object.keys(readTorchCheckpoint(load('ema.pth'), { stripModulePrefix: false }))).toEqual(['module.conv.weight', 'module.conv.bias']);
  });

  it('refuses a malicious checkpoint (os.system via __reduce__) without running it', () => {
    rmSync(PWNED, { force: true });
    let err: unknown;
    try {
      readTorchCheckpoint(load('evil.pth'), { source: 'evil.pth' });
    } catch (e) {
      err = e;
    }
    expect(err).toBeInstanceOf(PickleError);
    expect((err as Error).message).toMatch(/refused global '(posix|os)\.system'/);
    expect((err as Error).message).toContain('evil.pth');
    expect(existsSync(PWNED)).toBe(false);
  });

  it('refuses builtins.eval (GLOBAL) and STACK_GLOBAL targets in a raw pickle', () => {
    // protocol 2: cbuiltins\neval\n (S'1+1' tR.
    const enc = new TextEncoder();
    const p2 = Uint8Array.from("\x80\x02cbuiltins\neval\nX\x03\x00\x00\x001+1\x85R.", (c) => c.charCodeAt(0));
    expect(() => readTorchCheckpoint(p2)).toThrow(/refused global 'builtins\.eval'/);
    // protocol 4: STACK_GLOBAL on ('subprocess', 'call')
    const p4 = new Uint8Array([0x80, 4, 0x8c, 10, ...enc.encode('subprocess'), 0x8c, 4, ...enc.encode('call'), 0x93, 0x29, 0x52, 0x2e]);
    expect(() => readTorchCheckpoint(p4)).toThrow(/refused global 'subprocess\.call'/);
  });

  it('explains truncated and non-checkpoint input', () => {
    const good = load('good.pth');
    expect(() => readTorchCheckpoint(good.subarray(0, good.byteLength - 100), { source: 'cut.pth' })).toThrow(PickleError);
    expect(() => readTorchCheckpoint(new TextEncoder().encode('hello world'), { source: 'x' })).toThrow(/not a PyTorch checkpoint/);
    const legacy = load('legacy.pth');
    expect(() => readTorchCheckpoint(legacy.subarray(0, legacy.byteLength - 10))).toThrow(/truncated/);
  });

  it('reads a checkpoint at an unaligned byte offset', () => {
    const good = load('good.pth');
    const shifted = new Uint8Array(good.byteLength + 3);
    shifted.set(good, 3);
    checkAgainstExpected(readTorchCheckpoint(shifted.subarray(3)));
  });
});
