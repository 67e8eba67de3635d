/** createModel's types follow featuresOnly / featureCls: a list of maps, a dict of maps, or logits. */
import * as tf from '@tensorflow/tfjs-core';
import '@tensorflow/tfjs-backend-wasm';
import { beforeAll, describe, expect, expectTypeOf, it } from 'vitest';
import { BatchNorm2d, buildModelWithCfg, Conv2d, createModel, FeatureInfo, type FeatureModel, Linear, type Module, registerModel, VisionModel } from '../../src/index.js';

/** Two conv stages and a linear head: enough for every feature wrapper. */
class TwoStage extends VisionModel {
  static readonly argNames: readonly string[] = ['numClasses', 'inChans'];
  numClasses = 3;
  numFeatures = 8;
  headHiddenSize = 8;
  inChans = 3;
  readonly stage0 = this.addModule('stage0', new Conv2d(3, 4, 3, { stride: 2, padding: 1 }));
  readonly bn0 = this.addModule('bn0', new BatchNorm2d(4));
  readonly stage1 = this.addModule('stage1', new Conv2d(4, 8, 3, { stride: 2, padding: 1 }));
  readonly fc = this.addModule('fc', new Linear(8, 3));
  constructor() {
    super();
    this.featureInfo.push({ numChs: 4, reduction: 2, module: 'stage0' }, { numChs: 8, reduction: 4, module: 'stage1' });
  }
  override resetClassifier(): void {
    throw new Error('not needed');
  }
  override getClassifier(): Module {
    return this.fc;
  }
  protected computeFeatures(x: tf.Tensor): tf.Tensor {
    return this.stage1.forward(this.bn0.forward(this.stage0.forward(x)));
  }
  protected override computeHead(x: tf.Tensor, preLogits: boolean): tf.Tensor {
    const pooled = tf.mean(x, [1, 2]);
    return preLogits ? pooled : this.fc.forward(pooled);
  }
}

beforeAll(async () => {
  await tf.setBackend('wasm');
  registerModel({ name: 'feature_types_net', module: 'feature_types_test', create: (kw) => buildModelWithCfg(TwoStage, 'feature_types_net', kw) });
});

describe('FeatureModel.forward types', () => {
  it('list by default, dict with featureCls dict, both checked at run time too', async () => {
    const x = tf.zeros([1, 16, 16, 3]);
    const list = await createModel('feature_types_net', { featuresOnly: true, outIndices: [0, 1] });
    expectTypeOf(list).toEqualTypeOf<FeatureModel<tf.Tensor[]>>();
    const maps = list.forward(x);
    expectTypeOf(maps).toEqualTypeOf<tf.Tensor[]>();
    expect(maps.map((t) => t.shape)).toEqual([
      [1, 8, 8, 4],
      [1, 4, 4, 8],
    ]);

    const dict = await createModel('feature_types_net', { featuresOnly: true, featureCls: 'dict', outIndices: [0, 1] });
    const named = dict.forward(x);
    expectTypeOf(named).toEqualTypeOf<Record<string, tf.Tensor>>();
    expect(Object.keys(named)).toEqual(['0', '1']);

    const model = await createModel('feature_types_net');
    expectTypeOf(model.forward(x)).toEqualTypeOf<tf.Tensor>();
    expect(model.forward(x).shape).toEqual([1, 3]);
    // FeatureInfo stays reachable from the typed wrapper
    expect(list.featureInfo).toBeInstanceOf(FeatureInfo);
    tf.dispose([x, ...maps, ...Object.values(named)]);
    for (const m of [list, dict, model]) m.dispose();
  });
});

describe('warmup', () => {
  it("runs one forward at the cfg's input size (or the one given), leaving no output behind", async () => {
    const model = await createModel('feature_types_net', { pretrainedCfg: { inputSize: [3, 40, 24] } });
    const seen: number[][] = [];
    const forward = model.forward.bind(model);
    model.forward = (x: tf.Tensor) => {
      seen.push(x.shape);
      return forward(x);
    };
    const ms = await model.warmup();
    expect(ms).toBeGreaterThan(0);
    // the first forward caches what it derives from the weights (BN folded into convs); nothing else is left
    const before = tf.memory().numTensors;
    await model.warmup({ inputSize: [16, 16], batchSize: 2 });
    expect(seen).toEqual([
      [1, 40, 24, 3],
      [2, 16, 16, 3],
    ]);
    expect(tf.memory().numTensors).toBe(before);
    await expect(model.warmup({ batchSize: 0 })).rejects.toThrow(/warmup: batchSize must be a positive integer, got 0/);

    const fm = await createModel('feature_types_net', { featuresOnly: true, featureCls: 'dict', outIndices: [0, 1], pretrainedCfg: { inputSize: [3, 16, 16] } });
    await fm.warmup();
    const fmBefore = tf.memory().numTensors;
    await fm.warmup();
    expect(tf.memory().numTensors).toBe(fmBefore);
    model.dispose();
    fm.dispose();
  });
});
