import { execFileSync } from 'node:child_process';
import { mkdtempSync, readFileSync, rmSync, writeFileSync } from 'node:fs';
import { tmpdir } from 'node:os';
import { join } from 'node:path';
import { createModel, type FeatureModel, type VisionModel } from '@zoo/core';
import { camelKwargs, compareData, hashFill, type OutputRecord, type ParityFixture, removeFixtureWeights, writeFixtureWeights } from '@zoo/parity';

export const fixture = (dir: string, id: string) => JSON.parse(readFileSync(join(dir, `${id}.json`), 'utf8')) as ParityFixture;

/** The case's model through the public API, with the fixture's hashed weights (as the parity suites build it). */
export async function fixtureModel(f: ParityFixture): Promise<VisionModel | FeatureModel> {
  const weights = writeFixtureWeights(f);
  const kwargs = camelKwargs(f.kwargs);
  try {
    return f.weights.via === 'direct'
      ? await createModel(f.model, { ...kwargs, checkpointPath: weights })
      : await createModel(f.model, { ...kwargs, pretrained: true, pretrainedCfgOverlay: { file: weights } });
  } finally {
    removeFixtureWeights(weights);
  }
}

/** The fixture input in timm's NCHW layout. */
export function fixtureInputNchw(f: ParityFixture): Float32Array {
  const [b, c, h, w] = f.input.shape as [number, number, number, number];
  return hashFill(f.input.seed, f.input.tensor_index, b * c * h * w, f.input.lo, f.input.hi);
}

/** timm's records for a case's outputs, in the order an export lists them (logits, or the feature maps). */
export function fixtureRecords(f: ParityFixture): OutputRecord[] {
  return f.outputs.features ? (f.outputs.features as OutputRecord[]) : [f.outputs.logits as OutputRecord];
}

/**
 * Compares raw outputs (maps NCHW, as the export writes them) with timm's records at `rel`·max(1, max_abs); a record
 * whose `layout` is NHWC (Swin's maps, as timm returns them) is compared with the map moved back to NHWC.
 */
export function compareAll(outs: { dims: readonly number[]; data: Float32Array }[], recs: OutputRecord[], rel = 1e-4) {
  return outs.map((o, i) => {
    const rec = recs[i]!;
    if (rec.layout !== 'NHWC' || o.dims.length !== 4) return compareData(`output${i}`, o.dims, o.data, rec, rel);
    const [b, c, h, w] = o.dims as [number, number, number, number];
    const nhwc = new Float32Array(o.data.length);
    for (let n = 0; n < b; n++) for (let k = 0; k < c; k++) for (let y = 0; y < h; y++) for (let x = 0; x < w; x++) {
      nhwc[((n * h + y) * w + x) * c + k] = o.data[((n * c + k) * h + y) * w + x]!;
    }
    return compareData(`output${i}`, [b, h, w, c], nhwc, rec, rel);
  });
}

/**
 * Runs Debian's `python3-onnx` checker (`onnx.checker.check_model(full_check=True)`: structure, opsets, shape
 * inference) on the files; throws with its message when one fails or the checker is missing.
 */
export function onnxCheck(files: Record<string, Uint8Array>): string {
  const dir = mkdtempSync(join(tmpdir(), 'zoo-onnx-check-'));
  try {
    const paths = Object.entries(files).map(([name, bytes]) => {
      const p = join(dir, `${name}.onnx`);
      writeFileSync(p, bytes);
      return p;
    });
    const script = 'import sys, onnx\nfor p in sys.argv[1:]:\n    onnx.checker.check_model(onnx.load(p), full_check=True)\n    print("ok", p)\n';
    return execFileSync('/usr/bin/python3', ['-c', script, ...paths], { encoding: 'utf8', stdio: ['ignore', 'pipe', 'pipe'] });
  } catch (e) {
    const err = e as { stderr?: string; message: string };
    throw new Error(`onnx.checker (Debian python3-onnx) failed: ${err.stderr || err.message}`);
  } finally {
    rmSync(dir, { recursive: true, force: true });
  }
}
