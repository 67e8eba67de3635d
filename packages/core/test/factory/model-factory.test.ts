/**
 * A family whose model is composed of registry models (timm's ViT hybrids): `registerFamily` / `buildModelWithCfg`
 * with a ModelFactory, and core's HybridEmbed over a registered backbone (the tiny test family).
 */
import * as tf from '@tensorflow/tfjs-core';
import { beforeAll, describe, expect, it } from 'vitest';
import { setBackend } from '../../src/backend.js';
import type { ModelFactory } from '../../src/factory/build.js';
import { createModel } from '../../src/factory/create.js';
import type { FeatureModel } from '../../src/features/wrappers.js';
import { HybridEmbed } from '../../src/layers/hybrid-embed.js';
import type { VisionModel } from '../../src/model.js';
import { registerFamily } from '../../src/registry/family.js';
import { generateDefaultCfgs } from '../../src/registry/registry.js';
import { TinyNet } from './tiny-family.js';
import './tiny-family.js';

beforeAll(async () => {
  await setBackend('wasm');
});

const built: Record<string, unknown>[] = [];
const composed: ModelFactory = {
  name: 'Composed',
  argNames: ['numClasses', 'inChans', 'globalPool', 'imgSize', 'width'],
  async construct(kwargs) {
    built.push(kwargs);
    const { width: _width, ...rest } = kwargs;
    return (await createModel('core_tiny_net', rest)) as VisionModel;
  },
};

registerFamily({
  module: 'core_composed',
  model: composed,
  archs: { core_composed_net: { width: 2 } },
  cfgs: generateDefaultCfgs({
    'core_composed_net.untrained': { inputSize: [3, 32, 32], numClasses: 7, mean: [0.5, 0.5, 0.5], std: [0.5, 0.5, 0.5], firstConv: 'conv0', classifier: 'fc' },
  }),
  build: { featureCfg: { outIndices: [1] } },
});

describe('a family built by a ModelFactory', () => {
  it('gets the resolved kwargs (cfg defaults filled, builder options out) and its own name and cfg', async () => {
    built.length = 0;
    const m = (await createModel('core_composed_net', { inChans: 1 })) as VisionModel;
    expect(built).toEqual([{ width: 2, numClasses: 7, inChans: 1 }]);
    expect(m).toBeInstanceOf(TinyNet);
    expect(m.modelName).toBe('core_composed_net');
    expect(m.pretrainedCfg.architecture).toBe('core_composed_net');
    expect(m.numClasses).toBe(7);
    m.dispose();
  });

  it('loads pretrained weights with the classifier adapted, wraps features, and names bad options', async () => {
    const src = (await createModel('core_composed_net')) as VisionModel;
    const sd = src.stateDict();
    const m = (await createModel('core_composed_net', { numClasses: 3, pretrained: true, pretrainedCfgOverlay: { stateDict: sd } })) as VisionModel;
    const x = tf.randomUniform([1, 32, 32, 3], -1, 1, 'float32', 3);
    const [a, b] = [src.forwardFeatures(x), m.forwardFeatures(x)];
    expect(tf.max(tf.abs(tf.sub(a, b))).dataSync()[0]).toBe(0);
    expect(m.numClasses).toBe(3);
    const f = (await createModel('core_composed_net', { featuresOnly: true })) as FeatureModel<tf.Tensor[]>;
    expect(f.featureInfo.channels()).toEqual([8]);
    await expect(createModel('core_composed_net', { depth: 3 })).rejects.toThrow(/core_composed_net \(Composed\) does not take option 'depth'/);
    tf.dispose([x, a, b]);
    for (const d of [src, m, f]) d.dispose();
  });
});

describe('HybridEmbed', () => {
  it('embeds a backbone map as tokens: keys backbone.* and proj, the grid given or measured by a forward pass', async () => {
    const backbone = (await createModel('core_tiny_net', { numClasses: 0, globalPool: '' })) as VisionModel;
    const given = new HybridEmbed(backbone, { imgSize: 32, patchSize: 2, embedDim: 6, featureSize: [8, 8], featureDim: 8, featureRatio: 4 });
    expect(given.namedParams().map(([k]) => k).filter((k) => !k.startsWith('backbone.'))).toEqual(['proj.weight', 'proj.bias']);
    expect(given.namedParams().some(([k]) => k === 'backbone.conv0.weight')).toBe(true);
    const measured = new HybridEmbed(backbone, { imgSize: 32, patchSize: 2, embedDim: 6 });
    for (const e of [given, measured]) {
      expect([e.gridSize, e.numPatches, e.featRatio(), e.featureDim]).toEqual([[4, 4], 16, 8, 8]);
      expect(e.dynamicFeatSize([64, 48])).toEqual([8, 6]);
    }
    const x = tf.randomUniform([2, 32, 32, 3], -1, 1, 'float32', 5);
    const y = given.forward(x);
    expect(y.shape).toEqual([2, 16, 6]);
    expect(() => new HybridEmbed(backbone, { imgSize: 32, embedDim: 6, proj: false, featureSize: 8, featureDim: 8 })).toThrow(/without a projection the feature dim \(8\) must equal embedDim \(6\)/);
    expect(() => new HybridEmbed(backbone, { imgSize: 32, patchSize: 3, embedDim: 6 })).toThrow(/8x8 map is not a multiple of the patch size 3/);
    tf.dispose([x, y]);
    backbone.dispose();
  });
});
