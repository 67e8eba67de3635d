import { existsSync, readdirSync, readFileSync } from 'node:fs';
import { join } from 'node:path';
import * as tf from '@tensorflow/tfjs-core';
import { createModel, type FeatureModel, setBackend } from '@zoo/core';
import { camelKwargs, type ParityFixture, removeFixtureWeights, writeFixtureWeights } from '@zoo/parity';
import { beforeAll, describe, expect, it } from 'vitest';
import '@zoo/beit';
import '@zoo/byobnet';
import '@zoo/convnext';
import '@zoo/cspnet';
import '@zoo/densenet';
import '@zoo/dla';
import '@zoo/efficientnet';
import '@zoo/efficientvit';
import '@zoo/eva';
import '@zoo/fastvit';
import '@zoo/ghostnet';
import '@zoo/hgnet';
import '@zoo/hrnet';
import '@zoo/inception';
import '@zoo/levit';
import '@zoo/maxxvit';
import '@zoo/metaformer';
import '@zoo/mlp-mixer';
import '@zoo/mobilevit';
import '@zoo/nfnet';
import '@zoo/hiera';
import '@zoo/pvt';
import '@zoo/regnet';
import '@zoo/repvit';
import '@zoo/resnet';
import '@zoo/resnetv2';
import '@zoo/rexnet';
import '@zoo/swin';
import '@zoo/tiny-vit';
import '@zoo/vgg';
import '@zoo/vit';
import '@zoo/vit-hybrid';
import '@zoo/vit-relpos';
import '@zoo/xception';
import '@zoo/xcit';
import { decodeModel, exportOnnx, OnnxExportError, onnxModel } from '../src/index.js';
import { compareAll, fixtureInputNchw, fixtureModel, fixtureRecords } from './helpers.js';

/**
 * Every family's parity fixtures (each family package's `test/fixtures`, the set its own parity suite runs) go
 * through export → onnxruntime-node and must match timm at the fixture bar. Cases above the parameter cap are left
 * out and listed (`ZOO_ONNX_MAX_PARAMS`, default 30M, keeps the suite to a few minutes of CI);
 * cases that cannot export are listed in CANNOT_EXPORT with the reason, and must fail with an OnnxExportError.
 */
const FAMILIES = [
  'beit', 'byobnet', 'convnext', 'cspnet', 'densenet', 'dla', 'efficientnet', 'efficientvit', 'eva', 'fastvit',
  'ghostnet', 'hgnet', 'hiera', 'hrnet', 'inception', 'levit', 'maxxvit', 'metaformer', 'mlp-mixer', 'mobilevit',
  'nfnet', 'pvt', 'regnet', 'repvit', 'resnet', 'resnetv2', 'rexnet', 'swin', 'tiny-vit', 'vgg', 'vit', 'vit-hybrid',
  'vit-relpos', 'xception', 'xcit',
];
const MAX_PARAMS = Number(process.env.ZOO_ONNX_MAX_PARAMS ?? 30e6);

/** Fixture id → why it cannot export (checked: the export must throw OnnxExportError). */
const CANNOT_EXPORT: Record<string, string> = {};

const packages = join(import.meta.dirname, '..', '..');
const cases: { family: string; f: ParityFixture; params: number; extra?: true }[] = [];
for (const family of FAMILIES) {
  const dir = join(packages, family, 'test', 'fixtures');
  if (!existsSync(dir)) continue;
  for (const file of readdirSync(dir).filter((n) => n.endsWith('.json')).sort()) {
    const f = JSON.parse(readFileSync(join(dir, file), 'utf8')) as ParityFixture;
    const params = f.weights.tensors.reduce((p, [, shape]) => p + shape.reduce((a, b) => a * b, 1), 0);
    cases.push({ family, f, params });
  }
}
// Cases from a family's extra fixtures that exercise an export path the main ones miss.
const EXTRA: [family: string, file: string, why: string][] = [
  // GhostNetV2's DFC gate resizes a 3×3 map to 7×7: float32 scales (7/3) make onnxruntime's output 6×6.
  ['ghostnet', 'fixtures-extra/ghostnetv2_100.json', 'nearest resize to a size float32 scales cannot give'],
];
for (const [family, file] of EXTRA) {
  const f = JSON.parse(readFileSync(join(packages, family, 'test', file), 'utf8')) as ParityFixture;
  cases.push({ family, f, params: f.weights.tensors.reduce((p, [, shape]) => p + shape.reduce((a, b) => a * b, 1), 0), extra: true });
}

beforeAll(async () => {
  expect((await setBackend('wasm')).backend).toBe('wasm');
});

describe('every family parity fixture through export → onnxruntime-node', () => {
  const skipped = cases.filter((c) => c.params > MAX_PARAMS);
  it('has the fixtures of every family', () => {
    expect(new Set(cases.filter((c) => !c.extra).map((c) => c.family))).toEqual(new Set(FAMILIES));
    console.log(`left out above the ${MAX_PARAMS / 1e6}M-parameter cap: ${skipped.map((c) => `${c.f.id} (${(c.params / 1e6).toFixed(1)}M)`).join(', ') || 'none'}`);
  });
  for (const { family, f, params } of cases) {
    if (params > MAX_PARAMS) continue;
    it(`${family}: ${f.id}`, async () => {
      const model = await fixtureModel(f);
      const why = CANNOT_EXPORT[f.id];
      if (why) {
        await expect(exportOnnx(model)).rejects.toThrow(OnnxExportError);
        model.dispose();
        return;
      }
      const bytes = await exportOnnx(model, { inputSize: f.input.shape.slice(1) });
      model.dispose();
      const engine = await onnxModel(bytes, { threads: 1 });
      const out = await engine.run({ input0: fixtureInputNchw(f) }, f.input.shape);
      const recs = fixtureRecords(f);
      const compared = f.outputs.features ? recs : f.compare.includes('logits') ? recs : [];
      const results = compareAll(
        engine.outputNames.slice(0, compared.length).map((n) => ({ dims: engine.outputDims[n]!, data: out[n]! })),
        compared,
      );
      expect(engine.outputNames.length).toBe(recs.length);
      if (!compared.length) expect(engine.outputDims.output0).toEqual(recs[0]!.shape);
      for (const r of results) expect(r.ok, r.message).toBe(true);
      console.log(`${f.id}: ${results.map((r) => r.message).join('; ') || 'shape only (timm does not compare logits)'}`);
      await engine.dispose();
    });
  }
});

describe("what onnxruntime's graph optimizer must not change", () => {
  const bit = () => cases.find((k) => k.f.id === 'resnetv2_50x1_bit')!.f;
  const maxRel = (a: Float32Array, b: Float32Array) => {
    let d = 0;
    let m = 1;
    for (let i = 0; i < a.length; i++) {
      d = Math.max(d, Math.abs(a[i]! - b[i]!));
      m = Math.max(m, Math.abs(b[i]!));
    }
    return d / m;
  };

  it("a zero pad before a max pool stays a zero pad (BiT's stem: the optimizer's Pad fusion would pad with -inf)", async () => {
    const f = bit();
    const model = await fixtureModel(f);
    const bytes = await exportOnnx(model, { inputSize: f.input.shape.slice(1) });
    model.dispose();
    const nodes = decodeModel(bytes).graph.node;
    const pool = nodes.find((n) => n.opType === 'MaxPool')!;
    expect(nodes.find((n) => n.output.includes(pool.input[0]!))!.opType).toBe('Max');
    const engine = await onnxModel(bytes, { threads: 1 });
    const out = await engine.run({ input0: fixtureInputNchw(f) }, f.input.shape);
    const [r] = compareAll([{ dims: engine.outputDims.output0!, data: out.output0! }], fixtureRecords(f));
    expect(r!.ok, r!.message).toBe(true);
    await engine.dispose();
  });

  it('a feature map the trunk reads on is written as the output itself, and loads (features_only from the stem)', async () => {
    const f = bit();
    const weights = writeFixtureWeights(f);
    const model = (await createModel(f.model, {
      ...camelKwargs(f.kwargs), featuresOnly: true, outIndices: [0, 1], pretrained: true, pretrainedCfgOverlay: { file: weights },
    })) as FeatureModel;
    removeFixtureWeights(weights);
    const bytes = await exportOnnx(model, { inputSize: f.input.shape.slice(1) });
    const nodes = decodeModel(bytes).graph.node;
    expect(nodes.filter((n) => n.opType === 'Identity')).toEqual([]);
    expect(nodes.filter((n) => n.input.includes('output0')).map((n) => n.opType)).toContain('Pad');
    const engine = await onnxModel(bytes, { threads: 1 });
    const out = await engine.run({ input0: fixtureInputNchw(f) }, f.input.shape);
    const [b, c, h, w] = f.input.shape as [number, number, number, number];
    const x = tf.transpose(tf.tensor(fixtureInputNchw(f), [b, c, h, w]), [0, 2, 3, 1]);
    const ours = model.forward(x) as tf.Tensor[];
    engine.outputNames.forEach((n, i) => {
      const nchw = tf.transpose(ours[i]!, [0, 3, 1, 2]);
      expect(maxRel(out[n]!, nchw.dataSync() as Float32Array), n).toBeLessThan(1e-4);
      nchw.dispose();
    });
    tf.dispose([x, ...ours]);
    model.dispose();
    await engine.dispose();
  });
});

describe('pattern fusions', () => {
  it("hard swish and hard sigmoid export as onnxruntime's single ops (MobileNetV3), still at timm's numbers", async () => {
    const c = cases.find((k) => k.f.id === 'mobilenetv3_large_100')!;
    const model = await fixtureModel(c.f);
    const bytes = await exportOnnx(model, { inputSize: c.f.input.shape.slice(1) });
    model.dispose();
    const ops = decodeModel(bytes).graph.node.map((n) => n.opType);
    const count = (op: string) => ops.filter((o) => o === op).length;
    // mobilenetv3_large_100's hard swishes: stem, expansion and depthwise of the 9 blocks of stages 3–5, the last
    // 1×1 stage, conv_head (1 + 18 + 1 + 1); its SE gates: the 8 blocks of stages 2, 4 and 5. No Relu6 (Clip) left.
    expect([count('HardSwish'), count('HardSigmoid'), count('Clip')]).toEqual([21, 8, 0]);
    const engine = await onnxModel(bytes, { threads: 1 });
    const out = await engine.run({ input0: fixtureInputNchw(c.f) }, c.f.input.shape);
    const [r] = compareAll([{ dims: engine.outputDims.output0!, data: out.output0! }], fixtureRecords(c.f).slice(0, 1));
    expect(r!.ok, r!.message).toBe(true);
    await engine.dispose();
  });

  it("core's GroupNorm exports as InstanceNormalization, no reductions or transposes of its own (R+ViT stem)", async () => {
    const c = cases.find((k) => k.f.id === 'vit_tiny_r_s16_p8_224')!;
    const model = await fixtureModel(c.f);
    const bytes = await exportOnnx(model, { inputSize: c.f.input.shape.slice(1) });
    model.dispose();
    const nodes = decodeModel(bytes).graph.node;
    const count = (op: string) => nodes.filter((n) => n.opType === op).length;
    expect(count('InstanceNormalization')).toBe(1);
    expect(count('ReduceMean')).toBe(0);
    expect(nodes.filter((n) => n.opType === 'Transpose' && (n.name ?? '').includes('.norm/'))).toEqual([]);
    const engine = await onnxModel(bytes, { threads: 1 });
    const out = await engine.run({ input0: fixtureInputNchw(c.f) }, c.f.input.shape);
    const [r] = compareAll([{ dims: engine.outputDims.output0!, data: out.output0! }], fixtureRecords(c.f).slice(0, 1));
    expect(r!.ok, r!.message).toBe(true);
    await engine.dispose();
  });
});
