import * as tf from '@tensorflow/tfjs-core';
import { createModel, type FeatureModel, type Module, setBackend, type VisionModel } from '@zoo/core';
import { NormFreeNet } from '@zoo/nfnet';
import { beforeAll, describe, expect, it } from 'vitest';

beforeAll(async () => {
  await setBackend('wasm');
});

const maxDiff = (a: tf.Tensor, b: tf.Tensor) => tf.tidy(() => tf.max(tf.abs(tf.sub(a, b))).dataSync()[0]!);

describe('NFNet beyond the parity cases', () => {
  it("overlays model options onto the architecture's NfCfg, as timm's replace(cfg, **kwargs)", async () => {
    const m = (await createModel('test_nfnet', { actLayer: 'relu', samePadding: true, skipinit: true })) as NormFreeNet;
    expect([m.cfg.actLayer, m.cfg.samePadding, m.cfg.skipinit, m.cfg.stemType]).toEqual(['relu', true, true, 'deep_quad']);
    expect(Object.keys(m.stateDict())).toContain('stages.0.0.skipinit_gain');
    m.dispose();
  });

  it("features_only returns the deep stem's conv3 map after its in-place activation, as timm's FeatureListNet", async () => {
    const base = (await createModel('test_nfnet')) as VisionModel;
    const sd = base.stateDict();
    // The wrapper's flattened names (stem_conv1, stages_0) hold the base model's weights.
    const load = (f: FeatureModel) => f.loadStateDict(Object.fromEntries(Object.keys(f.stateDict()).map((k) => [k, sd[k.replace(/^(stem|stages)_/, '$1.')]!])));
    const feats = (await createModel('test_nfnet', { featuresOnly: true, outIndices: [0, 1] })) as FeatureModel<tf.Tensor[]>;
    // With the stem level alone the wrapper stops at conv3, before act4 runs, so timm returns the raw map.
    const only = (await createModel('test_nfnet', { featuresOnly: true, outIndices: [0] })) as FeatureModel<tf.Tensor[]>;
    load(feats);
    load(only);
    const x = tf.randomNormal([1, 64, 64, 3], 0, 1, 'float32', 3);
    const stem = base.getSubmodule('stem');
    let raw = x;
    for (const name of ['conv1', 'act2', 'conv2', 'act3', 'conv3']) raw = (stem.getChild(name) as Module).forward(raw);
    const activated = (stem.getChild('act4') as Module).forward(raw);
    const [f0, f1] = feats.forward(x);
    const [g0] = only.forward(x);
    expect(f0!.shape).toEqual([1, 32, 32, 64]);
    expect(maxDiff(f0!, activated)).toBeLessThan(1e-6);
    expect(maxDiff(g0!, raw)).toBeLessThan(1e-6);
    expect(maxDiff(raw, activated)).toBeGreaterThan(0.1);
    tf.dispose([x, raw, activated, f0!, f1!, g0!]);
    for (const m of [base, feats, only]) m.dispose();
  });

  it('outputStride 8 dilates the last two stages (the shortcut pools keep the size)', async () => {
    const m = (await createModel('nf_resnet26', { outputStride: 8 })) as VisionModel;
    expect(m.featureInfo.map((f) => f.reduction)).toEqual([2, 4, 8, 8, 8]);
    const x = tf.zeros([1, 64, 64, 3]);
    const y = m.forwardFeatures(x);
    expect(y.shape).toEqual([1, 8, 8, 2048]);
    tf.dispose([x, y]);
    m.dispose();
  });

  it("drops residual branches in training only, at timm's linear rates over the blocks", async () => {
    const m = (await createModel('test_nfnet', { dropPathRate: 0.3 })) as NormFreeNet;
    const rates = m.namedModules().filter(([n]) => n.endsWith('drop_path')).map(([, d]) => (d as unknown as { dropProb: number }).dropProb);
    expect(rates.map((r) => +r.toFixed(6))).toEqual([0, 0.1, 0.2, 0.3]);
    // timm initialises each block's last gain to 0 (the branch starts silent): open the branches.
    for (const [name, p] of m.namedParams()) {
      if (name.endsWith('conv3.gain')) p.assign({ dtype: 'float32', shape: p.shape, data: new Float32Array(p.shape[0]!).fill(1) });
    }
    const x = tf.randomNormal([2, 32, 32, 3], 0, 1, 'float32', 4);
    const [a, b] = [m.forwardFeatures(x), m.forwardFeatures(x)];
    expect(maxDiff(a, b)).toBe(0);
    m.train();
    const outs = Array.from({ length: 4 }, () => m.forwardFeatures(x));
    expect(Math.max(...outs.map((o) => maxDiff(o, a)))).toBeGreaterThan(0);
    tf.dispose([x, a, b, ...outs]);
    m.dispose();
  });

  it("has no forwardIntermediates (timm's nfnet has none)", async () => {
    const m = (await createModel('test_nfnet')) as VisionModel;
    const x = tf.zeros([1, 32, 32, 3]);
    expect(() => m.forwardIntermediates(x)).toThrow(/NormFreeNet does not implement forwardIntermediates/);
    tf.dispose(x);
    m.dispose();
  });

  it('rejects what timm rejects, naming the option', async () => {
    const cfg = { depths: [1, 1, 1, 1], channels: [32, 64, 96, 128] };
    expect(() => new NormFreeNet({ cfg, outputStride: 4 })).toThrow(/outputStride must be 8, 16 or 32, got 4/);
    expect(() => new NormFreeNet({ cfg, stemType: 'deep_quad_pool' })).toThrow(/stemType must be one of .*got 'deep_quad_pool'/);
    expect(() => new NormFreeNet({ cfg, actLayer: 'mish' })).toThrow(/no NFNet gamma constant for activation 'mish'/);
    expect(() => new NormFreeNet({ cfg: { depths: [1, 1, 1], channels: [8, 8, 8] } })).toThrow(/cfg.depths and cfg.channels must have 4 entries/);
    await expect(createModel('test_nfnet', { stemWidth: 8 } as never)).rejects.toThrow(/does not take option 'stemWidth'/);
  });
});
