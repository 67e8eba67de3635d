import * as tf from '@tensorflow/tfjs-core';
import { createModel, type FeatureModel, ModelOptionError, StateDictError, setBackend, type VisionModel } from '@zoo/core';
import { HighResolutionNet, HighResolutionNetFeatures } from '@zoo/hrnet';
import { archs } from '../src/archs.js';
import { beforeAll, describe, expect, it } from 'vitest';

beforeAll(async () => {
  await setBackend('wasm');
});

describe("HRNet's features_only (timm's HighResolutionNetFeatures)", () => {
  it("is timm's own class: stem + four incre levels by default, keys without the classification head", async () => {
    const fm = (await createModel('hrnet_w18_small', { featuresOnly: true })) as FeatureModel<tf.Tensor[]>;
    try {
      expect(fm).toBeInstanceOf(HighResolutionNetFeatures);
      expect(fm.featureInfo.outIndices).toEqual([0, 1, 2, 3, 4]);
      expect(fm.featureInfo.channels()).toEqual([64, 128, 256, 512, 1024]);
      const tops = new Set(fm.namedParams().map(([k]) => k.split('.')[0]));
      expect([...tops]).toEqual(['conv1', 'bn1', 'conv2', 'bn2', 'layer1', 'transition1', 'stage2', 'transition2', 'stage3', 'transition3', 'stage4', 'incre_modules']);
      // timm's pretrained_cfg_for_features: no classifier fields.
      expect(fm.pretrainedCfg.classifier).toBeUndefined();
      expect(fm.pretrainedCfg.numClasses).toBeUndefined();
      expect(fm.pretrainedCfg.firstConv).toBe('conv1');
    } finally {
      fm.dispose();
    }
  });

  it("featureLocation '' returns the raw branches (timm's num_channels) and no incre modules", async () => {
    const fm = (await createModel('hrnet_w18_small', { featuresOnly: true, featureLocation: '', outIndices: [1, 2, 3, 4] })) as FeatureModel<tf.Tensor[]>;
    const x = tf.zeros([1, 64, 64, 3]);
    try {
      expect(fm.featureInfo.channels()).toEqual([16, 32, 64, 128]);
      expect(fm.featureInfo.reduction()).toEqual([4, 8, 16, 32]);
      expect(fm.namedParams().some(([k]) => k.startsWith('incre_modules'))).toBe(false);
      const maps = fm.forward(x);
      expect(maps.map((t) => t.shape)).toEqual([[1, 16, 16, 16], [1, 8, 8, 32], [1, 4, 4, 64], [1, 2, 2, 128]]);
      tf.dispose(maps);
    } finally {
      x.dispose();
      fm.dispose();
    }
  });

  it('takes only the stem level without running the stages, and a last-n outIndices', async () => {
    const stem = (await createModel('hrnet_w18_small', { featuresOnly: true, outIndices: [0] })) as FeatureModel<tf.Tensor[]>;
    const last2 = (await createModel('hrnet_w18_small', { featuresOnly: true, outIndices: 2 })) as FeatureModel<tf.Tensor[]>;
    const x = tf.zeros([1, 64, 64, 3]);
    try {
      const a = stem.forward(x);
      expect(a.map((t) => t.shape)).toEqual([[1, 32, 32, 64]]);
      expect(last2.featureInfo.moduleName()).toEqual(['stage3', 'stage4']);
      const b = last2.forward(x);
      expect(b.map((t) => t.shape)).toEqual([[1, 4, 4, 512], [1, 2, 2, 1024]]);
      tf.dispose([...a, ...b]);
    } finally {
      x.dispose();
      stem.dispose();
      last2.dispose();
    }
  });

  it("loads a full checkpoint non-strictly as timm does, and strictly only when asked (then the head's keys are unexpected)", async () => {
    const full = (await createModel('hrnet_w18_small')) as VisionModel;
    const sd = full.stateDict();
    full.dispose();
    const fm = await createModel('hrnet_w18_small', { featuresOnly: true, pretrained: true, pretrainedCfgOverlay: { stateDict: sd } });
    fm.dispose();
    const before = tf.memory().numTensors;
    const strict = createModel('hrnet_w18_small', { featuresOnly: true, pretrained: true, pretrainedStrict: true, pretrainedCfgOverlay: { stateDict: sd } });
    await expect(strict).rejects.toThrow(StateDictError);
    await expect(strict).rejects.toThrow(/unexpected key\(s\):\n {2}downsamp_modules\.0\.0\.weight/);
    expect(tf.memory().numTensors).toBe(before);
  });
});

describe('HighResolutionNet options and errors', () => {
  it("takes cfg fields as options, as timm's cfg.update(**kwargs)", async () => {
    const m = (await createModel('hrnet_w18_small', { stemWidth: 32 })) as HighResolutionNet;
    try {
      expect(m.cfg.stemWidth).toBe(32);
      expect(m.cfg.stage2).toEqual(archs.hrnet_w18_small!.cfg.stage2);
      expect(m.conv1.weight.shape).toEqual([32, 3, 3, 3]);
      expect(m.conv2.weight.shape).toEqual([64, 32, 3, 3]);
      expect(m.featureInfo[0]).toEqual({ numChs: 32, reduction: 2, module: 'stem' });
    } finally {
      m.dispose();
    }
  });

  it('rejects bad options with errors naming them, building nothing', async () => {
    const before = tf.memory().numTensors;
    await expect(createModel('hrnet_w18_small', { featuresOnly: true, featureLocation: 'stem' })).rejects.toThrow(ModelOptionError);
    await expect(createModel('hrnet_w18_small', { featuresOnly: true, featureLocation: 'stem' })).rejects.toThrow(/option 'featureLocation' is the string "stem"; allowed: 'incre' or ''/);
    await expect(createModel('hrnet_w18_small', { featureLocation: '' })).rejects.toThrow(/option 'featureLocation' .*only with featuresOnly/);
    await expect(createModel('hrnet_w18_small', { featuresOnly: true, featureCls: 'hook' })).rejects.toThrow(/option 'featureCls' is the string "hook".*HighResolutionNetFeatures/);
    await expect(createModel('hrnet_w18_small', { featuresOnly: true, head: 'incre' })).rejects.toThrow(/option 'head' is the string "incre"/);
    await expect(createModel('hrnet_w18_small', { featuresOnly: true, outIndices: [5] })).rejects.toThrow(/out index 5 is out of range: the model has 5 feature levels/);
    await expect(createModel('hrnet_w18_small', { outputStride: 16 })).rejects.toThrow(/outputStride must be 32/);
    await expect(createModel('hrnet_w18_small', { pretrainedStrict: 'yes' })).rejects.toThrow(/option 'pretrainedStrict' is the string "yes"/);
    const cfg = archs.hrnet_w18_small!.cfg;
    expect(() => new HighResolutionNet({ cfg: { ...cfg, stage3: { ...cfg.stage3, blockType: 'BASICS' as never } } })).toThrow(/stage3: blockType must be 'BASIC' or 'BOTTLENECK', got "BASICS"/);
    expect(() => new HighResolutionNet({ cfg: { ...cfg, stage3: { ...cfg.stage3, numBlocks: [2, 2] } } })).toThrow(/numBranches\(3\) <> numBlocks\(2\)/);
    expect(() => new HighResolutionNet({ cfg, head: 'pool' as never })).toThrow(/head must be 'classification', 'incre' or ''/);
    expect(tf.memory().numTensors).toBe(before);
  });

  it('says why an input whose size does not halve evenly into the branches fails, and leaks nothing', async () => {
    const m = (await createModel('hrnet_w18_small')) as VisionModel;
    const ok = tf.zeros([1, 64, 64, 3]);
    tf.dispose(m.forward(ok));
    const before = tf.memory().numTensors;
    const odd = tf.zeros([1, 80, 80, 3]);
    try {
      expect(() => m.forward(odd)).toThrow(/fusing branch \d into branch \d: \d+×\d+ does not match \d+×\d+; .*multiples of 32/);
      expect(tf.memory().numTensors).toBe(before + 1);
    } finally {
      tf.dispose([ok, odd]);
      m.dispose();
    }
  });

  it("a network built with head 'incre' has no single feature map, and says to use featuresOnly", async () => {
    const m = (await createModel('hrnet_w18_small', { head: 'incre' })) as HighResolutionNet;
    const x = tf.zeros([1, 64, 64, 3]);
    try {
      expect(m.numFeatures).toBe(2048);
      expect(m.namedParams().some(([k]) => k.startsWith('final_layer') || k.startsWith('classifier'))).toBe(false);
      expect(() => m.forwardFeatures(x)).toThrow(/hrnet_w18_small was built with head 'incre'.*featuresOnly: true/);
      expect(() => m.resetClassifier(10)).toThrow(/needs the classification head/);
    } finally {
      x.dispose();
      m.dispose();
    }
  });
});
