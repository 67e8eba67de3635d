import * as tf from '@tensorflow/tfjs-core';
import { applyAct, createModel, type FeatureModel, type Module, type VisionModel } from '@zoo/core';
import { beforeAll, describe, expect, it } from 'vitest';
import { decodeArchDef, decodeBlockStr, roundChannels } from '@zoo/efficientnet/models';
import '@zoo/efficientnet';
import { PRUNED } from '../src/pruned.js';

beforeAll(async () => {
  const { setBackend } = await import('@zoo/core');
  await setBackend('wasm');
});

const learnable = (m: VisionModel) =>
  m.namedParams().filter(([, p]) => !p.isBuffer).reduce((a, [, p]) => a + p.shape.reduce((x: number, y: number) => x * y, 1), 0);

describe('block-string decoder', () => {
  it('decodes timm block strings', () => {
    const [ir, r] = decodeBlockStr('ir_r2_k3_s2_e6_c24_se0.25');
    expect(r).toBe(2);
    expect(ir).toMatchObject({ blockType: 'ir', dwKernelSize: 3, expKernelSize: 1, pwKernelSize: 1, stride: 2, expRatio: 6, outChs: 24, seRatio: 0.25, noskip: false });
    const [mix] = decodeBlockStr('ir_r1_k3.5.7_a1.1_p1.1_s2_e6_c80_se0.25_nsw');
    expect(mix).toMatchObject({ dwKernelSize: [3, 5, 7], expKernelSize: [1, 1], pwKernelSize: [1, 1], actLayer: 'swish' });
    const [dsa] = decodeBlockStr('dsa_r1_k3_s1_c32');
    expect(dsa).toMatchObject({ blockType: 'dsa', pwAct: true, noskip: true });
    const [uir] = decodeBlockStr('uir_r1_a3_k0_s1_e4_c96');
    expect(uir).toMatchObject({ dwKernelSizeStart: 3, dwKernelSizeMid: 0, dwKernelSizeEnd: 0, expRatio: 4 });
    const [cn] = decodeBlockStr('cn_r1_k3_s1_e1_c16_skip');
    expect(cn).toMatchObject({ blockType: 'cn', kernelSize: 3, skip: true });
    const [er] = decodeBlockStr('er_r1_k3_s1_e4_c24_fc24_noskip_nre');
    expect(er).toMatchObject({ forceInChs: 24, noskip: true, actLayer: 'relu' });
  });

  it('scales depth with ceil (distributing from the last definition) and round', () => {
    const depths = (a: string[][], o = {}) => decodeArchDef(a, o).map((s) => s.length);
    expect(depths([['ir_r2_k3_s2_e6_c24'], ['ir_r3_k3_s2_e6_c24']], { depthMultiplier: 1.1 })).toEqual([3, 4]);
    expect(depths([['ir_r1_k3_s2_e6_c24', 'ir_r3_k3_s1_e6_c24']], { depthMultiplier: 1.3, depthTrunc: 'round' })).toEqual([5]);
    expect(depths([['ds_r1_k3_s1_c16'], ['ir_r2_k3_s2_e6_c24'], ['ir_r1_k3_s1_c16']], { depthMultiplier: 2, fixFirstLast: true })).toEqual([1, 4, 1]);
  });

  it('rounds channels as timm (make_divisible, round limit)', () => {
    expect(roundChannels(32, 1.1)).toBe(32);
    expect(roundChannels(1280, 1.1)).toBe(1408);
    expect(roundChannels(16, 0.35)).toBe(8);
    expect(roundChannels(24, 0.8, 8, undefined, 0)).toBe(16);
  });
});

describe("architectures have timm's parameter counts", () => {
  // Learnable parameter counts of timm's models (num_params in timm's results tables / model cards).
  const COUNTS: Record<string, number> = {
    efficientnet_b0: 5288548, efficientnet_b0_gn: 5288548, mobilenetv2_100: 3504872, mnasnet_100: 4383312,
    mixnet_s: 4134606, efficientnet_lite0: 4652008, tf_efficientnetv2_s: 21458488, mobilenetv3_large_100: 5483032,
    mobilenetv3_small_100: 2542856, lcnet_050: 1880856, mobilenetv4_conv_small: 3774024, mobilenetv4_conv_medium: 9715512,
    gc_efficientnetv2_rw_t: 13677713, efficientnet_b1_pruned: 6331916, efficientnet_b2_pruned: 8309737, efficientnet_b3_pruned: 9855020,
  };
  // Counts timm's tables give in millions (2 decimals).
  const MILLIONS: Record<string, number> = {
    efficientnet_cc_b0_4e: 13.31, efficientnet_cc_b0_8e: 24.01, efficientnet_cc_b1_8e: 39.72, mobilenetv4_conv_large: 32.59,
    fbnetv3_b: 8.6, tinynet_a: 6.19, mobilenetv4_hybrid_medium: 11.07, mobilenetv4_hybrid_large: 37.76, efficientnetv2_rw_s: 23.94, mobilenetv3_large_150d: 14.62,
  };
  for (const [name, n] of Object.entries(MILLIONS)) {
    it(`${name} (${n}M)`, async () => {
      const m = (await createModel(name)) as VisionModel;
      expect(Math.round(learnable(m) / 1e4) / 100).toBe(n);
      m.dispose();
    });
  }
  for (const [name, n] of Object.entries(COUNTS)) {
    it(name, async () => {
      const m = (await createModel(name)) as VisionModel;
      expect(learnable(m)).toBe(n);
      m.dispose();
    });
  }
});

describe("pruned variants take timm's pruned definitions", () => {
  for (const name of ['efficientnet_b1_pruned', 'efficientnet_b2_pruned', 'efficientnet_b3_pruned']) {
    it(`${name} has every shape of its definition`, async () => {
      const m = (await createModel(name)) as VisionModel;
      const shapes = new Map<string, number[]>();
      for (const item of PRUNED[name]!.split('***')) {
        const i = item.indexOf(':');
        const body = item.slice(i + 1).trim().slice(1, -1);
        shapes.set(item.slice(0, i).trim(), body ? body.split(',').map((s) => Number.parseInt(s, 10)) : []);
      }
      const params = new Map(m.namedParams().map(([k, p]) => [k, p.shape]));
      expect([...params.keys()].sort()).toEqual([...shapes.keys()].sort());
      for (const [k, s] of shapes) expect(params.get(k), k).toEqual(s);
      m.dispose();
    });
  }
});

describe('features and intermediates', () => {
  for (const name of ['mobilenetv3_large_100', 'mobilenetv4_conv_small', 'efficientnetv2_rw_t', 'mixnet_s', 'tf_efficientnet_cc_b0_4e', 'gc_efficientnetv2_rw_t', 'mobilenetv4_hybrid_medium']) {
    it(`${name}: features_only levels agree with feature_info and forward_intermediates`, async () => {
      const model = (await createModel(name)) as VisionModel;
      const fm = (await createModel(name, { featuresOnly: true })) as FeatureModel;
      const x = tf.randomUniform([1, 96, 96, 3], -1, 1, 'float32', 3);
      // Same weights: copy the model's state into the features model (it has no head).
      fm.loadStateDict(model.stateDict(), { strict: false });
      tf.dispose([fm.forward(x), model.forwardIntermediates(x, { intermediatesOnly: true })]);
      const before = tf.memory().numTensors;
      const feats = fm.forward(x) as tf.Tensor[];
      expect(feats.map((f) => f.shape[3])).toEqual(fm.featureInfo.channels());
      expect(feats.map((f) => 96 / f.shape[1]!)).toEqual(fm.featureInfo.reduction());
      expect(fm.featureInfo.channels()).toEqual(model.featureInfo.map((f) => f.numChs));
      const inter = model.forwardIntermediates(x, { intermediatesOnly: true });
      expect(inter.length).toBe(feats.length);
      const diffs = tf.tidy(() => tf.stack(inter.map((t, i) => tf.max(tf.abs(tf.sub(t, feats[i]!))))));
      expect(Math.max(...diffs.dataSync())).toBeLessThan(1e-4);
      diffs.dispose();
      tf.dispose([feats, inter]);
      expect(tf.memory().numTensors).toBe(before);
      const sub = (await createModel(name, { featuresOnly: true, outIndices: [1, 3] })) as FeatureModel;
      const two = sub.forward(x) as tf.Tensor[];
      expect(two.length).toBe(2);
      expect(sub.featureInfo.reduction()).toEqual([4, 16]);
      tf.dispose([two, x]);
      sub.dispose();
      fm.dispose();
      model.dispose();
    });
  }

  for (const name of ['efficientnet_b0', 'mobilenetv4_conv_small']) {
    it(`${name}: featureCls 'hook' and featureCfg flattenSequential give the family features' maps`, async () => {
      const base = (await createModel(name, { featuresOnly: true })) as FeatureModel;
      const src = (await createModel(name)) as VisionModel;
      const sd = src.stateDict();
      src.dispose();
      base.loadStateDict(sd, { strict: false });
      const hook = (await createModel(name, { featuresOnly: true, featureCls: 'hook', pretrainedCfgOverlay: { stateDict: sd }, pretrained: true })) as FeatureModel;
      const flat = (await createModel(name, { featuresOnly: true, featureCfg: { flattenSequential: true }, pretrainedCfgOverlay: { stateDict: sd }, pretrained: true })) as FeatureModel;
      const x = tf.randomUniform([1, 64, 64, 3], -1, 1, 'float32', 9);
      const a = base.forward(x) as tf.Tensor[];
      for (const fm of [hook, flat]) {
        expect(fm.featureInfo.moduleName()).toEqual(base.featureInfo.moduleName());
        const b = fm.forward(x) as tf.Tensor[];
        expect(b.length).toBe(a.length);
        const d = tf.tidy(() => Math.max(...b.map((t, i) => tf.max(tf.abs(tf.sub(t, a[i]!))).dataSync()[0]!)));
        expect(d).toBeLessThan(1e-4);
        tf.dispose(b);
        fm.dispose();
      }
      tf.dispose([a, x]);
      base.dispose();
    });
  }

  it("featureLocation 'expansion' gives timm's hooked features (efficientnet_b0)", async () => {
    const src = (await createModel('efficientnet_b0')) as VisionModel;
    const sd = src.stateDict();
    const bott = (await createModel('efficientnet_b0', { featuresOnly: true, pretrained: true, pretrainedCfgOverlay: { stateDict: sd } })) as FeatureModel;
    const exp = (await createModel('efficientnet_b0', { featuresOnly: true, featureLocation: 'expansion', pretrained: true, pretrainedCfgOverlay: { stateDict: sd } })) as FeatureModel;
    expect(exp.featureInfo.channels()).toEqual([32, 144, 240, 672, 1152]);
    expect(exp.featureInfo.reduction()).toEqual([2, 4, 8, 16, 32]);
    expect(exp.featureInfo.moduleName()).toEqual(['blocks.0.0.conv_pw', 'blocks.1.1.conv_pwl', 'blocks.2.1.conv_pwl', 'blocks.4.2.conv_pwl', 'blocks.6.0.conv_pwl']);
    const x = tf.randomUniform([1, 64, 64, 3], -1, 1, 'float32', 4);
    const e = exp.forward(x) as tf.Tensor[];
    const b = bott.forward(x) as tf.Tensor[];
    expect(e.map((t) => t.shape[3])).toEqual([32, 144, 240, 672, 1152]);
    // The last stage is one block without a skip: its output is conv_pwl → bn3 of the hooked input.
    const block = src.getSubmodule('blocks.6.0') as unknown as { convPwl: Module; bn3: Module };
    const d = tf.tidy(() => tf.max(tf.abs(tf.sub(block.bn3.forward(block.convPwl.forward(e[4]!)), b[4]!))).dataSync()[0]!);
    expect(d).toBeLessThan(1e-4);
    tf.dispose([x, e, b]);
    src.dispose();
    bott.dispose();
    exp.dispose();
  });

  // Every block kind's expansion point is a hook on a module that a fused or routed path runs: each must fire.
  for (const name of ['efficientnet_cc_b0_4e', 'mobilenetv4_conv_small', 'efficientnet_el', 'mobilenetv1_100']) {
    it(`featureLocation 'expansion' fires every hook (${name})`, async () => {
      const exp = (await createModel(name, { featuresOnly: true, featureLocation: 'expansion' })) as FeatureModel;
      const x = tf.randomUniform([1, 64, 64, 3], -1, 1, 'float32', 5);
      const e = exp.forward(x) as tf.Tensor[];
      expect(e.map((t) => t.shape[3])).toEqual(exp.featureInfo.channels());
      expect(e.map((t) => 64 / t.shape[1]!)).toEqual(exp.featureInfo.reduction());
      tf.dispose([x, ...e]);
      exp.dispose();
    });
  }

  it("featureLocation 'expansion' hooks MobileNetV3's stem norm before its activation", async () => {
    const src = (await createModel('mobilenetv3_small_100')) as VisionModel;
    const sd = src.stateDict();
    src.dispose();
    const bott = (await createModel('mobilenetv3_small_100', { featuresOnly: true, pretrained: true, pretrainedCfgOverlay: { stateDict: sd } })) as FeatureModel;
    const exp = (await createModel('mobilenetv3_small_100', { featuresOnly: true, featureLocation: 'expansion', outIndices: [0, 1], pretrained: true, pretrainedCfgOverlay: { stateDict: sd } })) as FeatureModel;
    expect(exp.featureInfo.moduleName()).toEqual(['bn1', 'blocks.0.0.conv_pw']);
    const x = tf.randomUniform([1, 64, 64, 3], -1, 1, 'float32', 4);
    const [stem] = exp.forward(x) as tf.Tensor[];
    const [stemAct] = bott.forward(x) as tf.Tensor[];
    const d = tf.tidy(() => tf.max(tf.abs(tf.sub(applyAct('hard_swish', stem!), stemAct!))).dataSync()[0]!);
    expect(d).toBeLessThan(1e-5);
    expect(tf.tidy(() => tf.min(stem!).dataSync()[0]!)).toBeLessThan(-0.5);
    tf.dispose([x, stem!, stemAct!]);
    bott.dispose();
    exp.dispose();
  });

  for (const name of ['efficientnet_b2', 'mobilenetv3_small_075', 'tf_efficientnetv2_b3']) {
    it(`${name}: features_only loads a full checkpoint (head width other than the default)`, async () => {
      const src = (await createModel(name)) as VisionModel;
      const sd = src.stateDict();
      src.dispose();
      const fm = (await createModel(name, { featuresOnly: true, pretrained: true, pretrainedCfgOverlay: { stateDict: sd } })) as FeatureModel;
      expect(fm.featureInfo.length).toBe(5);
      expect(fm.pretrainedCfg.numClasses).toBeUndefined();
      fm.dispose();
    });
  }

  it('forward_features through forward_intermediates final equals forwardFeatures', async () => {
    const m = (await createModel('efficientnet_lite0')) as VisionModel;
    const x = tf.randomUniform([1, 64, 64, 3], -1, 1, 'float32', 5);
    const { final, intermediates } = m.forwardIntermediates(x);
    const early = m.forwardIntermediates(x, { indices: [1, 2], stopEarly: true });
    expect(early.intermediates.length).toBe(2);
    expect(early.final.shape).toEqual(early.intermediates[1]!.shape);
    tf.dispose([early.final, early.intermediates]);
    const ff = m.forwardFeatures(x);
    expect(final.shape).toEqual(ff.shape);
    expect(tf.max(tf.abs(tf.sub(final, ff))).dataSync()[0]).toBeLessThan(1e-5);
    expect(intermediates.length).toBe(5);
    tf.dispose([final, intermediates, ff, x]);
    m.dispose();
  });

  it('space-to-depth (efficientnet_x_b3): a 2×2 stride-2 conv to 4× channels starts the trunk', async () => {
    const m = (await createModel('efficientnet_x_b3')) as VisionModel;
    const shapes = new Map(m.namedParams().map(([k, p]) => [k, p.shape]));
    expect(shapes.get('blocks.0.0.conv_s2d.weight')).toEqual([160, 40, 2, 2]);
    expect(shapes.get('blocks.0.0.conv_dw.weight')).toEqual([160, 1, 2, 2]);
    expect(shapes.get('blocks.0.1.conv_pw.weight')).toEqual([96, 96, 1, 1]);
    expect(shapes.get('blocks.1.0.conv_exp.weight')).toEqual([144, 96, 3, 3]);
    const x = tf.randomUniform([2, 96, 96, 3], -1, 1, 'float32', 1);
    const feats = m.forwardIntermediates(x, { intermediatesOnly: true });
    expect(feats.map((t) => t.shape)).toEqual([[2, 24, 24, 96], [2, 24, 24, 32], [2, 12, 12, 48], [2, 6, 6, 136], [2, 3, 3, 384]]);
    const y = m.forward(x);
    expect(y.shape).toEqual([2, 1000]);
    tf.dispose([x, feats, y]);
    m.dispose();
  });

  it('test_efficientnet_evos builds with EvoNorm (no BatchNorm buffers) and runs', async () => {
    const m = (await createModel('test_efficientnet_evos')) as VisionModel;
    expect(m.namedParams().some(([k]) => k.endsWith('running_mean'))).toBe(false);
    expect(m.namedParams().some(([k]) => k === 'bn1.v')).toBe(true);
    expect(m.namedParams().some(([k]) => k === 'blocks.1.0.bn2.v')).toBe(false);
    const x = tf.randomUniform([1, 64, 64, 3]);
    const y = m.forward(x);
    expect(y.shape).toEqual([1, 1000]);
    tf.dispose([x, y]);
    m.dispose();
  });

  for (const [name, os] of [['efficientnet_b0', 16], ['tf_efficientnet_b0', 8], ['mixnet_s', 16]] as const) {
    it(`${name} with outputStride ${os} dilates instead of striding`, async () => {
      const m = (await createModel(name, { outputStride: os })) as VisionModel;
      expect(Math.max(...m.featureInfo.map((f) => f.reduction))).toBe(os);
      const x = tf.randomUniform([1, 64, 64, 3], -1, 1, 'float32', 2);
      const f = m.forwardFeatures(x);
      expect(f.shape).toEqual([1, 64 / os, 64 / os, 1280 + (name === 'mixnet_s' ? 256 : 0)]);
      expect(tf.tidy(() => tf.all(tf.isFinite(f)).dataSync()[0])).toBe(1);
      tf.dispose([x, f]);
      m.dispose();
    });
  }

  it('resetClassifier and numClasses 0 give pooled features', async () => {
    const m = (await createModel('mobilenetv3_small_100', { numClasses: 0 })) as VisionModel;
    const x = tf.zeros([2, 64, 64, 3]);
    const y = m.forward(x);
    expect(y.shape).toEqual([2, 1024]);
    m.resetClassifier(7);
    const z = m.forward(x);
    expect(z.shape).toEqual([2, 7]);
    tf.dispose([x, y, z]);
    m.dispose();
  });
});
