/** zoo export and --engine onnx (the @zoo/onnx package on onnxruntime-node), with the resnet18 fixture's hashed weights. */
import { existsSync, mkdtempSync, readFileSync, rmSync } from 'node:fs';
import { tmpdir } from 'node:os';
import { join } from 'node:path';
import { type ParityFixture, removeFixtureWeights, writeFixtureWeights } from '@zoo/parity';
import { afterAll, beforeAll, describe, expect, it } from 'vitest';
import { FIXTURES, isOneLineError, zoo } from './helpers.js';

let weights: string;
let dir: string;
const chelsea = 'test/fixtures/chelsea.png';
const camera = 'test/fixtures/camera.png';

beforeAll(() => {
  weights = writeFixtureWeights(JSON.parse(readFileSync(join(FIXTURES, 'resnet18.json'), 'utf8')) as ParityFixture);
  dir = mkdtempSync(join(tmpdir(), 'zoo-cli-onnx-'));
});
afterAll(() => {
  rmSync(dir, { recursive: true, force: true });
  removeFixtureWeights(weights);
});

interface Top {
  index: number;
  label: string;
  probability: number;
}

describe('zoo export --onnx', () => {
  it('writes an ONNX file onnxruntime loads, and says what it wrote', async () => {
    const out = join(dir, 'resnet18.onnx');
    const r = await zoo(['export', 'resnet18', '--weights', weights, '--onnx', out, '--batch', '2', '--input-size', '3,160,160']);
    expect(r.code, r.stderr).toBe(0);
    expect(r.stdout).toMatch(/resnet18\.onnx: resnet18 as ONNX \(opset 17, NCHW, batch 2\), \d+\.\d MB in \d+\.\d s/);
    expect(existsSync(out)).toBe(true);
    const ort = await import('onnxruntime-node');
    const s = await ort.InferenceSession.create(readFileSync(out));
    const y = await s.run({ input0: new ort.Tensor('float32', new Float32Array(2 * 3 * 160 * 160), [2, 3, 160, 160]) });
    expect(y.output0!.dims).toEqual([2, 1000]);
    await s.release();
  });

  it('bad usage is exit 2, one line', async () => {
    for (const args of [['export', 'resnet18'], ['export', 'resnet18', '--onnx', 'x.onnx', '--input-size', '3,224'], ['export', 'resnet18', '--onnx', 'x.onnx', '--opset', '18']]) {
      const r = await zoo(args);
      expect(r.code, args.join(' ')).toBe(2);
      expect(isOneLineError(r), r.stderr).toBe(true);
    }
  });
});

describe('--engine onnx', () => {
  it('predict gives the classes and probabilities the tfjs engine gives', async () => {
    const args = ['predict', 'resnet18', chelsea, camera, '--weights', weights, '--json', '--top-k', '3'];
    const [a, b] = await Promise.all([zoo(args), zoo([...args, '--engine', 'onnx'])]);
    expect(a.code, a.stderr).toBe(0);
    expect(b.code, b.stderr).toBe(0);
    const ta = JSON.parse(a.stdout) as { image: string; top: Top[] }[];
    const tb = JSON.parse(b.stdout) as { image: string; top: Top[] }[];
    expect(tb.map((x) => x.top.map((t) => t.index))).toEqual(ta.map((x) => x.top.map((t) => t.index)));
    tb.forEach((x, i) => {
      x.top.forEach((t, j) => {
        expect(Math.abs(t.probability - ta[i]!.top[j]!.probability)).toBeLessThan(1e-5);
      });
    });
    expect(tb[0]!.top[0]).toMatchObject({ index: 737, label: 'pop bottle, soda bottle' });
  });

  it('bench times onnxruntime', async () => {
    const r = await zoo(['bench', 'resnet18', '--engine', 'onnx', '--runs', '2', '--size', '64', '--threads', '1', '--json']);
    expect(r.code, r.stderr).toBe(0);
    const res = JSON.parse(r.stdout) as { engine: string; backend: string; median_ms: number; input_size: number[] };
    expect(res).toMatchObject({ engine: 'onnx', backend: 'onnxruntime-node', input_size: [3, 64, 64] });
    expect(res.median_ms).toBeGreaterThan(0);
  });

  it('an unknown engine is bad usage', async () => {
    const r = await zoo(['bench', 'resnet18', '--engine', 'tvm']);
    expect(r.code).toBe(2);
    expect(r.stderr).toContain('--engine must be tfjs or onnx');
  });
});
