import { readFileSync } from 'node:fs';
import { dirname, join } from 'node:path';
import { fileURLToPath } from 'node:url';
import type { DataConfig } from '../../src/data/index.js';

export const FIXTURES = join(dirname(fileURLToPath(import.meta.url)), '../fixtures/preprocess');

export function readJson<T = any>(name: string): T {
  return JSON.parse(readFileSync(join(FIXTURES, name), 'utf8')) as T;
}

export function b64bytes(s: string): Uint8Array {
  const b = Buffer.from(s, 'base64');
  return new Uint8Array(b.buffer, b.byteOffset, b.byteLength);
}

export function b64f32(s: string): Float32Array {
  const b = b64bytes(s);
  const copy = new Uint8Array(b); // aligned
  return new Float32Array(copy.buffer);
}

/** timm's snake_case data config → ours. */
export function fromTimmDataConfig(d: Record<string, any>): DataConfig {
  return {
    inputSize: d.input_size,
    interpolation: d.interpolation,
    mean: d.mean,
    std: d.std,
    cropPct: d.crop_pct,
    cropMode: d.crop_mode,
  };
}

export function diffStats(a: ArrayLike<number>, b: ArrayLike<number>): { max: number; mean: number } {
  if (a.length !== b.length) throw new Error(`length ${a.length} vs ${b.length}`);
  let max = 0;
  let sum = 0;
  for (let i = 0; i < a.length; i++) {
    const d = Math.abs(a[i]! - b[i]!);
    if (d > max) max = d;
    sum += d;
  }
  return { max, mean: sum / a.length };
}
