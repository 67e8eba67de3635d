// timm's `set_input_size` on Swin and Swin-V2 after loading weights: logits at the new size equal timm's (fixture
// written by tooling/parity/make_swin_set_input_size.py with the parity fixtures' weights, seed 1).
import { readFileSync } from 'node:fs';
import { join } from 'node:path';
import * as tf from '@tensorflow/tfjs-core';
import { createModel, setBackend } from '@zoo/core';
import { compareData, fixtureInput, fixtureStateDict, type ParityFixture } from '@zoo/parity';
import type { SwinBlock, SwinTransformer } from '@zoo/swin';
import { beforeAll, expect, it } from 'vitest';
import '@zoo/swin';

interface Case {
  id: string;
  model: string;
  set_input_size: { img_size: [number, number]; window_size?: [number, number] };
  input_shape: number[];
  logits: string;
  max_abs: number;
  windows: [[number, number], [number, number]][];
}
const cases = JSON.parse(readFileSync(join(import.meta.dirname, 'fixtures-api/set-input-size.json'), 'utf8')) as Case[];
const weightsOf: Record<string, string> = {
  swin_tiny_patch4_window7_224: 'swin_tiny_patch4_window7_224.json',
  swinv2_tiny_window8_256: 'swinv2_tiny_window8_256.json',
};

beforeAll(async () => {
  await setBackend('wasm');
});

for (const c of cases) {
  it(`${c.id}: setInputSize gives timm's windows, shifts and logits`, async () => {
    const f = JSON.parse(readFileSync(join(import.meta.dirname, 'fixtures', weightsOf[c.model]!), 'utf8')) as ParityFixture;
    const m = (await createModel(c.model, { checkpointPath: fixtureStateDict(f) })) as SwinTransformer;
    m.setInputSize({ imgSize: c.set_input_size.img_size, windowSize: c.set_input_size.window_size });
    const blocks = m.layers.namedChildren().flatMap(([, s]) => (s.getChild('blocks')!.namedChildren().map(([, b]) => b as SwinBlock)));
    expect(blocks.map((b) => [b.windowSize, b.shiftSize])).toEqual(c.windows);
    const x = fixtureInput({ ...f, input: { ...f.input, shape: c.input_shape } });
    const y = m.forward(x);
    const r = compareData('logits', y.shape, y.dataSync(), { shape: [1, 1000], mean: 0, mean_abs: 0, max_abs: c.max_abs, data_b64: c.logits });
    console.log(`${c.id}: ${r.message}`);
    expect(r.ok, r.message).toBe(true);
    tf.dispose([x, y]);
    m.dispose();
  }, 120_000);
}

it('setInputSize refuses sizes it cannot use, naming them', async () => {
  const m = (await createModel('swin_tiny_patch4_window7_224', { imgSize: 64 })) as SwinTransformer;
  expect(() => m.setInputSize({ imgSize: 2 })).toThrow(/imgSize must be integers ≥ the patch size 4, got 2/);
  expect(() => m.setInputSize({ imgSize: 96, windowSize: 0 })).toThrow(/the window must be integers ≥ 1/);
  // Nothing changed: the model still takes 64 px only.
  expect(m.patchEmbed.imgSize).toEqual([64, 64]);
  const x = tf.zeros([1, 64, 64, 3]);
  const y = m.forward(x);
  expect(y.shape).toEqual([1, 1000]);
  tf.dispose([x, y]);
  m.dispose();
});
