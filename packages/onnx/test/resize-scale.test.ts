// A bilinear resize to a size that is not an integer multiple (MobileViT v1 at 200 px resizes its 25 / 13 / 7 maps up to
// whole patches and back, 26 → 25): the exported Resize must give exactly that size (ONNX floors size × scale, and the
// float32 of 25 / 26 lands one short), and match timm at the fixture bar through onnxruntime-node.
import { readFileSync } from 'node:fs';
import { join } from 'node:path';
import { setBackend } from '@zoo/core';
import type { ParityFixture } from '@zoo/parity';
import { expect, it } from 'vitest';
import '@zoo/mobilevit';
import { exportOnnx, onnxModel } from '../src/index.js';
import { compareAll, fixtureInputNchw, fixtureModel, fixtureRecords } from './helpers.js';

it('MobileViT at 200 px (resize up to whole patches and back) exports and matches timm on onnxruntime', async () => {
  expect((await setBackend('wasm')).backend).toBe('wasm');
  const f = JSON.parse(readFileSync(join(import.meta.dirname, '../../mobilevit/test/fixtures-extra/mobilevit_xs_b2_200.json'), 'utf8')) as ParityFixture;
  const model = await fixtureModel(f);
  const bytes = await exportOnnx(model, { inputSize: f.input.shape.slice(1) });
  model.dispose();
  const engine = await onnxModel(bytes, { threads: 1 });
  const out = await engine.run({ input0: fixtureInputNchw(f) }, f.input.shape);
  const recs = fixtureRecords(f);
  const results = compareAll([{ dims: engine.outputDims.output0!, data: out.output0! }], recs.slice(0, 1));
  expect(results).toHaveLength(1);
  for (const r of results) expect(r.ok, r.message).toBe(true);
  await engine.dispose();
}, 120_000);
