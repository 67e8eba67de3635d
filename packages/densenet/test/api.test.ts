import * as tf from '@tensorflow/tfjs-core';
import { createModel, type FeatureModel, setBackend, type VisionModel } from '@zoo/core';
import { beforeAll, describe, expect, it } from 'vitest';
import '@zoo/densenet';

beforeAll(async () => {
  await setBackend('wasm');
});

describe('DenseNet API', () => {
  it('densenetblur121d (deep stem, blur pool) builds timm state-dict keys and runs', async () => {
    const m = (await createModel('densenetblur121d', { numClasses: 7 })) as VisionModel;
    const keys = Object.keys(m.stateDict());
    expect(keys).toContain('features.conv2.weight');
    expect(keys).toContain('features.denseblock4.denselayer16.conv2.weight');
    expect(keys).toContain('classifier.weight');
    expect(m.featureInfo.map((f) => f.module)).toEqual(['features.norm2', 'features.denseblock1', 'features.denseblock2', 'features.denseblock3', 'features.norm5']);
    const y = m.forward(tf.zeros([1, 64, 64, 3]));
    expect(y.shape).toEqual([1, 7]);
    y.dispose();
    m.dispose();
  });

  it('features_only flattens the trunk like timm (FeatureListNet)', async () => {
    const fm = (await createModel('densenet121', { featuresOnly: true, outIndices: [1, 4] })) as FeatureModel;
    expect(fm.featureInfo.channels()).toEqual([256, 1024]);
    const feats = fm.forward(tf.zeros([1, 64, 64, 3])) as tf.Tensor[];
    expect(feats.map((f) => f.shape)).toEqual([[1, 16, 16, 256], [1, 2, 2, 1024]]);
    tf.dispose(feats);
    fm.dispose();
  });

  it('maps torchvision checkpoint keys', async () => {
    const { filterTorchvisionPretrained } = await import('@zoo/densenet');
    const t = { dtype: 'float32' as const, shape: [1], data: new Float32Array(1) };
    const out = filterTorchvisionPretrained({ 'features.denseblock1.denselayer1.norm.1.weight': t, 'features.norm0.weight': t });
    expect(Object.keys(out)).toEqual(['features.denseblock1.denselayer1.norm1.weight', 'features.norm0.weight']);
  });
});
