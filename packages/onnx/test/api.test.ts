import { join } from 'node:path';
import * as tf from '@tensorflow/tfjs-core';
import { createModel, Linear, Module, setBackend } from '@zoo/core';
import { beforeAll, describe, expect, it } from 'vitest';
import '@zoo/resnet';
import { decodeModel, exportOnnx, OnnxExportError, onnxModel } from '../src/index.js';
import { compareAll, fixture, fixtureInputNchw, fixtureModel, fixtureRecords, onnxCheck } from './helpers.js';

const dir = join(import.meta.dirname, 'fixtures');

beforeAll(async () => {
  expect((await setBackend('wasm')).backend).toBe('wasm');
});

function maxDiff(a: ArrayLike<number>, b: ArrayLike<number>): number {
  let m = 0;
  for (let i = 0; i < a.length; i++) m = Math.max(m, Math.abs(a[i]! - b[i]!));
  return m;
}

describe('exportOnnx options', () => {
  it('refuses unknown and bad options with errors naming them', async () => {
    const model = await createModel('resnet10t');
    await expect(exportOnnx(model, { bacth: 2 } as never)).rejects.toThrow(/unknown option 'bacth'/);
    await expect(exportOnnx(model, { batch: 0 })).rejects.toThrow(/batch must be 'dynamic' or a positive integer/);
    await expect(exportOnnx(model, { layout: 'NWHC' as never })).rejects.toThrow(/layout must be 'NCHW' or 'NHWC'/);
    await expect(exportOnnx(model, { opset: 13 })).rejects.toThrow(/opset must be 15, 16 or 17/);
    await expect(exportOnnx(model, { inputSize: [3, 64] })).rejects.toThrow(/inputSize must be \[C, H, W\]/);
    await expect(exportOnnx(model, { outputNames: ['a', 'b'] })).rejects.toThrow(/outputNames has 2 names for 1 outputs/);
    model.dispose();
  });

  it('a dynamic batch runs at batch sizes it was not traced at, in NCHW (defaults: input0 → output0, opset 17, IR 8)', async () => {
    const model = await createModel('resnet10t');
    const bytes = await exportOnnx(model, { inputSize: [3, 64, 64] });
    const m = decodeModel(bytes);
    expect(m.irVersion).toBe(8);
    expect(m.opsetImport.find((o) => !o.domain)?.version).toBe(17);
    expect(m.graph.input.map((i) => i.name)).toEqual(['input0']);
    expect(m.graph.input[0]!.type.tensorType.shape.dim).toEqual([{ dimParam: 'batch' }, { dimValue: 3 }, { dimValue: 64 }, { dimValue: 64 }]);
    expect(m.graph.output.map((o) => o.name)).toEqual(['output0']);
    const engine = await onnxModel(bytes, { threads: 1 });
    for (const b of [1, 5]) {
      const x = tf.randomUniform([b, 64, 64, 3], -1, 1, 'float32', b);
      const ours = (await engine.forward(x)) as tf.Tensor;
      const ref = model.forward(x);
      expect(ours.shape).toEqual([b, 1000]);
      expect(maxDiff(ours.dataSync(), ref.dataSync())).toBeLessThan(1e-4);
      tf.dispose([x, ours, ref]);
    }
    await engine.dispose();
    model.dispose();
  });

  it("max and avgmax global pools export (tfjs's Max names its axes reductionIndices)", async () => {
    for (const globalPool of ['max', 'avgmax']) {
      const model = await createModel('resnet10t', { globalPool });
      const engine = await onnxModel(model, { threads: 1, inputSize: [3, 64, 64] });
      const x = tf.randomUniform([2, 64, 64, 3], -1, 1, 'float32', 5);
      const ours = (await engine.forward(x)) as tf.Tensor;
      const ref = model.forward(x);
      expect(maxDiff(ours.dataSync(), ref.dataSync()), globalPool).toBeLessThan(1e-4);
      tf.dispose([x, ours, ref]);
      await engine.dispose();
      model.dispose();
    }
  });

  it('fixed batch, NHWC layout and custom names', async () => {
    const model = await createModel('resnet10t', { featuresOnly: true, outIndices: [2, 4] });
    const bytes = await exportOnnx(model, { inputSize: [3, 64, 64], batch: 2, layout: 'NHWC', inputNames: ['image'], outputNames: ['s8', 's32'], opset: 15 });
    const m = decodeModel(bytes);
    expect(m.opsetImport.find((o) => !o.domain)?.version).toBe(15);
    expect(m.graph.input[0]!.type.tensorType.shape.dim).toEqual([{ dimValue: 2 }, { dimValue: 64 }, { dimValue: 64 }, { dimValue: 3 }]);
    const engine = await onnxModel(bytes, { threads: 1 });
    expect(engine.inputName).toBe('image');
    expect(engine.outputNames).toEqual(['s8', 's32']);
    const x = tf.randomUniform([2, 64, 64, 3], -1, 1, 'float32', 3);
    const out = await engine.run({ image: x.dataSync() as Float32Array }, [2, 64, 64, 3]);
    const ref = model.forward(x) as tf.Tensor[];
    expect(engine.outputDims.s8).toEqual(ref[0]!.shape);
    expect(engine.outputDims.s32).toEqual(ref[1]!.shape);
    expect(maxDiff(out.s8!, ref[0]!.dataSync())).toBeLessThan(1e-4);
    expect(maxDiff(out.s32!, ref[1]!.dataSync())).toBeLessThan(1e-4);
    await expect(engine.run({ image: new Float32Array(3) }, [2, 64, 64, 3])).rejects.toThrow(/has 3 values for dims \[2,64,64,3\]/);
    tf.dispose([x, ...ref]);
    await engine.dispose();
    model.dispose();
    expect(onnxCheck({ features_nhwc: bytes })).toContain('ok');
  });

  it("float16 weights: half the file, within 1e-2·max(1, max_abs) of timm's resnet18 logits", async () => {
    const f = fixture(dir, 'resnet18');
    const model = await fixtureModel(f);
    const full = await exportOnnx(model);
    const half = await exportOnnx(model, { dtype: 'float16' });
    model.dispose();
    expect(half.byteLength).toBeLessThan(full.byteLength * 0.52);
    const engine = await onnxModel(half, { threads: 1 });
    const out = await engine.run({ input0: fixtureInputNchw(f) }, f.input.shape);
    const [r] = compareAll([{ dims: engine.outputDims.output0!, data: out.output0! }], fixtureRecords(f), 1e-2);
    expect(r!.ok, r!.message).toBe(true);
    console.log(`resnet18 float16: ${r!.message}`);
    await engine.dispose();
    expect(onnxCheck({ resnet18_fp16: half })).toContain('ok');
  });
});

/** A plugin layer that uses a tfjs op with no ONNX emitter (a cumulative sum). */
class CumsumHead extends Module {
  override forward(x: tf.Tensor): tf.Tensor {
    return tf.cumsum(x, 1);
  }
}

class Plugin extends Module {
  readonly fc: Linear;
  readonly head: CumsumHead;
  constructor() {
    super();
    this.fc = this.addModule('fc', new Linear(3, 4));
    this.head = this.addModule('head', new CumsumHead());
  }
  override forward(x: tf.Tensor): tf.Tensor {
    return tf.tidy(() => this.head.forward(this.fc.forward(tf.mean(x, [1, 2]))));
  }
}

describe('models that cannot export', () => {
  it('name the module and the kernel that stop them, and leave the model usable', async () => {
    const model = new Plugin();
    const err = await exportOnnx(model, { inputSize: [3, 8, 8] }).catch((e: unknown) => e);
    expect(err).toBeInstanceOf(OnnxExportError);
    expect((err as OnnxExportError).message).toMatch(/module 'head' dispatches the tfjs kernel 'Cumsum', which has no ONNX emitter/);
    expect((err as OnnxExportError).module).toBe('head');
    expect((err as OnnxExportError).kernel).toBe('Cumsum');
    const y = model.forward(tf.ones([1, 8, 8, 3]));
    expect(y.shape).toEqual([1, 4]);
    y.dispose();
    model.dispose();
  });
});
