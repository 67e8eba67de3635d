import * as tf from '@tensorflow/tfjs-core';
import { createModel, type FeatureModel, setBackend, type VisionModel } from '@zoo/core';
import { beforeAll, describe, expect, it } from 'vitest';
import '@zoo/xception';

beforeAll(async () => {
  await setBackend('wasm');
});

describe('Xception API', () => {
  it('xception41p (pre-activation) has timm keys, feature info and runs', async () => {
    const m = (await createModel('xception41p', { numClasses: 5 })) as VisionModel;
    const keys = Object.keys(m.stateDict());
    expect(keys).toContain('stem.1.weight');
    expect(keys).toContain('blocks.0.norm.weight');
    expect(keys).toContain('blocks.0.shortcut.weight');
    expect(keys).toContain('blocks.0.stack.conv2.norm.weight');
    expect(keys).toContain('head.fc.weight');
    expect(m.featureInfo.map((f) => f.module)).toEqual(['blocks.0.stack.conv2', 'blocks.1.stack.conv2', 'blocks.2.stack.conv2', 'blocks.11.stack.conv2', 'blocks.12']);
    const y = m.forward(tf.zeros([1, 64, 64, 3]));
    expect(y.shape).toEqual([1, 5]);
    y.dispose();
    m.dispose();
  });

  it('features_only uses hooks like timm (aligned: flattened, legacy: whole model)', async () => {
    const fm = (await createModel('xception41p', { featuresOnly: true })) as FeatureModel;
    const feats = fm.forward(tf.zeros([1, 64, 64, 3])) as tf.Tensor[];
    expect(feats.map((f) => f.shape[3])).toEqual([128, 256, 728, 1024, 2048]);
    expect(feats.map((f) => f.shape[1])).toEqual([32, 16, 8, 4, 2]);
    tf.dispose(feats);
    fm.dispose();
    const legacy = (await createModel('legacy_xception', { featuresOnly: true, outIndices: [0, 4] })) as FeatureModel;
    expect(legacy.featureInfo.moduleName()).toEqual(['act2', 'act4']);
    const lf = legacy.forward(tf.zeros([1, 64, 64, 3])) as tf.Tensor[];
    expect(lf.map((f) => f.shape)).toEqual([[1, 29, 29, 64], [1, 2, 2, 2048]]);
    tf.dispose(lf);
    legacy.dispose();
  });

  it('outputStride 16 dilates the exit flow', async () => {
    const m = (await createModel('xception41', { outputStride: 16, numClasses: 0 })) as VisionModel;
    const f = m.forwardFeatures(tf.zeros([1, 64, 64, 3]));
    expect(f.shape).toEqual([1, 4, 4, 2048]);
    f.dispose();
    m.dispose();
  });
});
