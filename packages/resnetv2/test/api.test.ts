import { readFileSync } from 'node:fs';
import { join } from 'node:path';
import * as tf from '@tensorflow/tfjs-core';
import { createModel, type FeatureModel, setBackend, type VisionModel } from '@zoo/core';
import { compareOutput, fixtureInput, fixtureStateDict, type OutputRecord, type ParityFixture } from '@zoo/parity/pure';
import { ResNetV2 } from '@zoo/resnetv2';
import { beforeAll, describe, expect, it } from 'vitest';

beforeAll(async () => {
  await setBackend('wasm');
});

const fixture = (name: string, dir = 'fixtures') => JSON.parse(readFileSync(join(import.meta.dirname, dir, `${name}.json`), 'utf8')) as ParityFixture;

describe('ResNetV2 beyond the parity cases', () => {
  it("forwardIntermediates gives timm's feature maps (the stem conv, then each stage), and the normed final", async () => {
    // timm's features_only maps of resnetv2_50 are what its forward_intermediates returns (same modules' outputs).
    const f = fixture('resnetv2_50_features');
    const m = (await createModel('resnetv2_50')) as VisionModel;
    m.loadStateDict(fixtureStateDict(f));
    const x = fixtureInput(f);
    const { final, intermediates } = m.forwardIntermediates(x);
    const want = f.outputs.features as OutputRecord[];
    expect(intermediates.length).toBe(5);
    intermediates.forEach((t, i) => {
      const r = compareOutput(`intermediates[${i}]`, t, want[i]!);
      expect(r.ok, r.message).toBe(true);
    });
    // The final output is forward_features (the last stage through the final norm + act); `norm` applies it to the last level.
    const ff = m.forwardFeatures(x);
    expect(final.shape).toEqual(ff.shape);
    expect(tf.max(tf.abs(tf.sub(final, ff))).dataSync()[0]).toBe(0);
    const normed = m.forwardIntermediates(x, { indices: [4], norm: true, intermediatesOnly: true });
    expect(tf.max(tf.abs(tf.sub(normed[0]!, ff))).dataSync()[0]).toBe(0);
    // Stopping early after stage 2 leaves the final output un-normed and equal to that level.
    const early = m.forwardIntermediates(x, { indices: [2], stopEarly: true });
    expect(early.final.shape).toEqual([1, 28, 28, 512]);
    expect(tf.max(tf.abs(tf.sub(early.final, early.intermediates[0]!))).dataSync()[0]).toBe(0);
    tf.dispose([x, final, ...intermediates, ff, ...normed, early.final, ...early.intermediates]);
    m.dispose();
  }, 60_000);

  it('pruning for the stem and first stage drops the later stages, the final norm when asked, and the classifier', async () => {
    const m = (await createModel('resnetv2_18')) as ResNetV2;
    expect(m.pruneIntermediateLayers([0, 1], true)).toEqual([0, 1]);
    const keys = Object.keys(m.stateDict());
    expect(keys.some((k) => k.startsWith('stages.1.') || k.startsWith('norm.') || k.startsWith('head.fc'))).toBe(false);
    expect(keys.some((k) => k.startsWith('stages.0.'))).toBe(true);
    const x = tf.zeros([1, 64, 64, 3]);
    const maps = m.forwardIntermediates(x, { indices: [0, 1], intermediatesOnly: true });
    expect(maps.map((t) => t.shape)).toEqual([[1, 32, 32, 64], [1, 16, 16, 64]]);
    tf.dispose([x, ...maps]);
    m.dispose();
  });

  it('outputStride 16 / 8 dilate the last stages instead of striding them', async () => {
    for (const [os, reductions, side] of [[16, [2, 4, 8, 16, 16], 4], [8, [2, 4, 8, 8, 8], 8]] as const) {
      const m = (await createModel('resnetv2_18d', { outputStride: os })) as VisionModel;
      expect(m.featureInfo.map((f) => f.reduction)).toEqual(reductions);
      const x = tf.zeros([1, 64, 64, 3]);
      const y = m.forwardFeatures(x);
      expect(y.shape).toEqual([1, side, side, 512]);
      tf.dispose([x, y]);
      m.dispose();
    }
  });

  it("builds the ViT hybrids' backbone through the registry: timm's keys for vit_base_r50_s16's patch_embed.backbone", async () => {
    // timm's `_resnetv2((3, 4, 9))` in vision_transformer_hybrid.py: no pre-activation, TF-SAME stem and convs,
    // StdConv eps 1e-8, no head. The wanted keys are timm's own (from its arch dump of vit_base_r50_s16_224).
    const want = JSON.parse(readFileSync(join(import.meta.dirname, 'fixtures-hybrid/vit_hybrid_backbone_keys.json'), 'utf8')) as Record<string, [string, number[]][]>;
    const hybrid = { preact: false, stemType: 'same', convLayer: { type: 'stdconv_same', eps: 1e-8 }, numClasses: 0, globalPool: '' } as const;
    for (const [arch, layers] of [['vit_base_r50_s16_224', [3, 4, 9]], ['vit_small_r26_s32_224', [2, 2, 2, 2]]] as const) {
      const m = (await createModel('resnetv2_50x1_bit', { ...hybrid, layers: [...layers] })) as ResNetV2;
      expect(m.namedParams().map(([k, p]) => [k, p.shape]), arch).toEqual(want[arch]);
      expect(m.featureInfo[0]).toEqual({ numChs: 64, reduction: 2, module: 'stem.norm' });
      const x = tf.zeros([1, 64, 64, 3]);
      const y = m.forward(x);
      expect(y.shape).toEqual(layers.length === 3 ? [1, 4, 4, 1024] : [1, 2, 2, 2048]);
      tf.dispose([x, y]);
      m.dispose();
    }
    // The stem-only hybrids (timm's `layers=()`): the stem alone, its map at a quarter of the input size.
    const stemOnly = (await createModel('resnetv2_50x1_bit', { ...hybrid, layers: [] })) as ResNetV2;
    expect(Object.keys(stemOnly.stateDict())).toEqual(['stem.conv.weight', 'stem.norm.weight', 'stem.norm.bias']);
    const xs = tf.zeros([1, 64, 64, 3]);
    const ys = stemOnly.forward(xs);
    expect(ys.shape).toEqual([1, 16, 16, 64]);
    tf.dispose([xs, ys]);
    stemOnly.dispose();
    // ViT hybrids take the backbone's first levels as features too.
    const fm = (await createModel('resnetv2_50x1_bit', { ...hybrid, layers: [3, 4, 9], featuresOnly: true, outIndices: [1, 2, 3] })) as FeatureModel;
    expect(fm.featureInfo.channels()).toEqual([256, 512, 1024]);
    fm.dispose();
  });

  it('rejects what timm rejects and unknown layer names, naming the option', () => {
    expect(() => new ResNetV2({ layers: [1, 1, 1, 1], outputStride: 4 })).toThrow(/outputStride must be 8, 16 or 32, got 4/);
    expect(() => new ResNetV2({ layers: [1, 1, 1, 1], stemType: 'deeper' as never })).toThrow(/stemType must be one of .*got 'deeper'/);
    expect(() => new ResNetV2({ layers: [1, 1, 1, 1], normLayer: 'layernorm' as never })).toThrow(/normLayer must be one of 'groupnorm', 'batchnorm'/);
    expect(() => new ResNetV2({ layers: [1, 1, 1, 1], convLayer: { type: 'scaledstdconv' as never } })).toThrow(/convLayer must be one of 'conv2d', 'stdconv', 'stdconv_same'/);
    expect(() => new ResNetV2({ layers: [1, 1, 1, 1], basic: true, preact: false })).toThrow(/basic blocks exist only with preact/);
    expect(() => new ResNetV2({ layers: [1, 1, 1, 1, 1] })).toThrow(/5 stages \(layers\) but only 4 channels/);
    expect(() => new ResNetV2({ layers: [3, 0] })).toThrow(/layers must be a list of positive block counts, got \[3,0\]/);
  });
});
