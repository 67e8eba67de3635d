/** predict / features / bench with small weights made from the resnet18 parity fixture (hashed, not trained). */
import { mkdtempSync, readFileSync, rmSync } from 'node:fs';
import { tmpdir } from 'node:os';
import { join } from 'node:path';
import { readSafetensors } from '@zoo/core';
import { type ParityFixture, removeFixtureWeights, writeFixtureWeights } from '@zoo/parity';
import { afterAll, beforeAll, describe, expect, it } from 'vitest';
import { FIXTURES, isOneLineError, zoo } from './helpers.js';

const made: string[] = [];
function tmp(): string {
  const dir = mkdtempSync(join(tmpdir(), 'zoo-cli-'));
  made.push(dir);
  return dir;
}
afterAll(() => {
  for (const dir of made) rmSync(dir, { recursive: true, force: true });
  removeFixtureWeights(weights);
});

let weights: string;
const chelsea = 'test/fixtures/chelsea.png';
const camera = 'test/fixtures/camera.png';

beforeAll(() => {
  weights = writeFixtureWeights(JSON.parse(readFileSync(join(FIXTURES, 'resnet18.json'), 'utf8')) as ParityFixture);
});

interface Top {
  index: number;
  label: string;
  probability: number;
}

describe('zoo predict', () => {
  it('--json: one entry per image, top-k sorted, ImageNet labels', async () => {
    const r = await zoo(['predict', 'resnet18', chelsea, camera, '--weights', weights, '--json', '--top-k', '3']);
    expect(r.code, r.stderr).toBe(0);
    const res = JSON.parse(r.stdout) as { image: string; top: Top[] }[];
    expect(res.map((x) => x.image)).toEqual([chelsea, camera]);
    for (const { top } of res) {
      expect(top).toHaveLength(3);
      for (let i = 1; i < 3; i++) expect(top[i - 1]!.probability).toBeGreaterThanOrEqual(top[i]!.probability);
      for (const p of top) {
        expect(Number.isInteger(p.index)).toBe(true);
        expect(p.index).toBeGreaterThanOrEqual(0);
        expect(p.index).toBeLessThan(1000);
        expect(p.label).not.toMatch(/^class_/);
        expect(p.probability).toBeGreaterThan(0);
        expect(p.probability).toBeLessThan(1);
      }
    }
    // the fixture weights are deterministic: so are the predictions
    expect(res[0]!.top[0]).toMatchObject({ index: 737, label: 'pop bottle, soda bottle' });
    expect(res[1]!.top[0]).toMatchObject({ index: 421 });
  });

  it('a file that is not an image is a user error naming it', async () => {
    const r = await zoo(['predict', 'resnet18', 'test/fixtures/resnet18.json', '--weights', weights]);
    expect(r.code).toBe(1);
    expect(isOneLineError(r), r.stderr).toBe(true);
    expect(r.stderr).toContain('cannot read image test/fixtures/resnet18.json');
  });

  it('human output: one block per image', async () => {
    const r = await zoo(['predict', 'resnet18', chelsea, camera, '--weights', weights]);
    expect(r.code, r.stderr).toBe(0);
    const blocks = r.stdout.trim().split('\n\n');
    expect(blocks).toHaveLength(2);
    expect(blocks[0]!.split('\n')[0]).toBe(`${chelsea}:`);
    expect(blocks[0]!.split('\n')).toHaveLength(6);
    expect(blocks[0]).toMatch(/1\.\s+\d+\.\d\d%\s+pop bottle, soda bottle\s+\(737\)/);
  });
});

describe('zoo features', () => {
  it('prints NHWC shapes per level and --save writes them keyed by module name', async () => {
    const out = join(tmp(), 'feats.safetensors');
    const r = await zoo(['features', 'resnet18', camera, '--weights', weights, '--out-indices', '1,2,4', '--save', out]);
    expect(r.code, r.stderr).toBe(0);
    expect(r.stdout.trim().split('\n')).toEqual(['layer1\t[1, 56, 56, 64]', 'layer2\t[1, 28, 28, 128]', 'layer4\t[1, 7, 7, 512]']);
    const file = readSafetensors(new Uint8Array(readFileSync(out)));
    const entries = Object.entries(file.tensors).map(([k, t]) => [k, t.shape]);
    expect(entries).toEqual([
      ['layer1', [1, 56, 56, 64]],
      ['layer2', [1, 28, 28, 128]],
      ['layer4', [1, 7, 7, 512]],
    ]);
    expect(file.metadata?.layout).toBe('NHWC');
  });

  it('an out-of-range level is a user error', async () => {
    const r = await zoo(['features', 'resnet18', camera, '--weights', weights, '--out-indices', '9']);
    expect(r.code).toBe(1);
    expect(isOneLineError(r), r.stderr).toBe(true);
  });
});

describe('zoo bench', () => {
  it('--runs 2 on a small input: median, min, max, images/s', async () => {
    const r = await zoo(['bench', 'resnet18', '--runs', '2', '--size', '64', '--batch', '2', '--json']);
    expect(r.code, r.stderr).toBe(0);
    const b = JSON.parse(r.stdout);
    expect(b).toMatchObject({ model: 'resnet18', backend: 'wasm', batch: 2, runs: 2, input_size: [3, 64, 64] });
    expect(b.min_ms).toBeLessThanOrEqual(b.median_ms);
    expect(b.median_ms).toBeLessThanOrEqual(b.max_ms);
    expect(b.images_per_s).toBeCloseTo((2 * 1000) / b.median_ms, 6);
    const h = await zoo(['bench', 'resnet18', '--runs', '1', '--size', '32', '--backend', 'cpu']);
    expect(h.code, h.stderr).toBe(0);
    expect(h.stdout).toMatch(/backend cpu.*\nmedian [\d.]+ ms\s+min [\d.]+ ms\s+max [\d.]+ ms\s+[\d.]+ images\/s/);
  });

  it('--threads 2 runs the threaded wasm build with 2 XNNPACK threads', async () => {
    const r = await zoo(['bench', 'resnet18', '--runs', '1', '--size', '32', '--threads', '2', '--json']);
    expect(r.code, r.stderr).toBe(0);
    expect(JSON.parse(r.stdout)).toMatchObject({ model: 'resnet18', backend: 'wasm', threads: 2 });
  });
});
