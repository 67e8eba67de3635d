import * as tf from '@tensorflow/tfjs-core';
import { createModel, type FeatureModel, listModels, setBackend, type VisionModel } from '@zoo/core';
import { beforeAll, describe, expect, it } from 'vitest';
import '@zoo/cspnet';

beforeAll(async () => {
  await setBackend('wasm');
});

// Widths of the final stage and feature reductions each architecture's table implies (as timm computes them).
const FINAL: Record<string, number> = {
  cspresnet50: 1024, cspresnet50d: 1024, cspresnet50w: 2048, cspresnext50: 2048, cspdarknet53: 1024, darknet17: 1024,
  darknet21: 1024, sedarknet21: 1024, darknet53: 1024, darknetaa53: 1024, cs3darknet_s: 512, cs3darknet_m: 768,
  cs3darknet_l: 1024, cs3darknet_x: 1280, cs3darknet_focus_s: 512, cs3darknet_focus_m: 768, cs3darknet_focus_l: 1024,
  cs3darknet_focus_x: 1280, cs3sedarknet_l: 1024, cs3sedarknet_x: 1280, cs3sedarknet_xdw: 2048, cs3edgenet_x: 1280,
  cs3se_edgenet_x: 1280,
};

const RUN = ['cspresnet50d', 'cspresnext50', 'sedarknet21', 'darknetaa53', 'cs3darknet_focus_s', 'cs3sedarknet_xdw', 'cs3se_edgenet_x'];

describe('CspNet API', () => {
  it('registers every architecture of timm cspnet.py', () => {
    expect(listModels({ module: 'cspnet' }).sort()).toEqual(Object.keys(FINAL).sort());
  });

  it.each(Object.keys(FINAL))('%s builds from its table', async (name) => {
    const m = (await createModel(name, { numClasses: 3 })) as VisionModel;
    expect(m.numFeatures).toBe(FINAL[name]);
    const reductions = m.featureInfo.map((f) => f.reduction);
    const dark = name.startsWith('darknet') || name.startsWith('cspdarknet') || name.startsWith('sedarknet');
    expect(reductions).toEqual(dark ? [1, 2, 4, 8, 16, 32] : [2, 4, 8, 16, 32]);
    // A forward for one architecture of each stem / stage / block / attention kind (the others share the code).
    if (RUN.includes(name)) {
      const y = m.forward(tf.zeros([1, 32, 32, 3]));
      expect(y.shape).toEqual([1, 3]);
      y.dispose();
    }
    m.dispose();
  });

  it('darknet features_only defaults to six levels, stem included (timm _create_cspnet)', async () => {
    const fm = (await createModel('darknet17', { featuresOnly: true })) as FeatureModel;
    expect(fm.featureInfo.moduleName()).toEqual(['stem.conv1', 'stages.0', 'stages.1', 'stages.2', 'stages.3', 'stages.4']);
    const feats = fm.forward(tf.zeros([1, 64, 64, 3])) as tf.Tensor[];
    expect(feats.map((f) => f.shape)).toEqual([[1, 64, 64, 32], [1, 32, 32, 64], [1, 16, 16, 128], [1, 8, 8, 256], [1, 4, 4, 512], [1, 2, 2, 1024]]);
    tf.dispose(feats);
    fm.dispose();
  });

  it('cspresnet50 features: stem conv and four stages (stage 0 is not strided); outputStride 16 dilates the last stage', async () => {
    const fm = (await createModel('cspresnet50', { featuresOnly: true })) as FeatureModel;
    expect(fm.featureInfo.moduleName()).toEqual(['stem.conv1', 'stages.0', 'stages.1', 'stages.2', 'stages.3']);
    fm.dispose();
    const m = (await createModel('cspresnet50', { outputStride: 16, numClasses: 0 })) as VisionModel;
    const f = m.forwardFeatures(tf.zeros([1, 64, 64, 3]));
    expect(f.shape).toEqual([1, 4, 4, 1024]);
    f.dispose();
    m.dispose();
  });

  it('state-dict keys follow timm', async () => {
    const m = (await createModel('cs3sedarknet_l', { numClasses: 0 })) as VisionModel;
    const keys = Object.keys(m.stateDict());
    expect(keys).toContain('stem.conv1.conv.weight');
    expect(keys).toContain('stages.0.conv_down.bn.running_var');
    expect(keys).toContain('stages.0.blocks.0.attn.fc1.weight');
    expect(keys).toContain('stages.3.conv_transition.conv.weight');
    m.dispose();
    const d = (await createModel('darknetaa53', { numClasses: 0 })) as VisionModel;
    expect(Object.keys(d.stateDict())).toContain('stages.0.conv_down.1.conv.weight');
    d.dispose();
  });
});
