import * as tf from '@tensorflow/tfjs-core';
import { createFeatureModel, resizeRelPosBiasTable, type StateDict, setBackend } from '@zoo/core';
import { checkpointFilterFn, checkpointFilterFnV2, SwinTransformer, SwinTransformerV2 } from '@zoo/swin';
import { checkTrainModeStochastic } from '@zoo/testing/checks';
import { beforeAll, describe, expect, it } from 'vitest';

beforeAll(async () => {
  await setBackend('wasm');
});

// Small models for the API checks: two stages at 32 px (maps 8×8 and 4×4, windows 4 and 4 → 4).
const tinyV1 = { imgSize: 32, embedDim: 16, depths: [2, 2], numHeads: [2, 4], windowSize: 4, numClasses: 5 };
const tinyV2 = { ...tinyV1, pretrainedWindowSizes: [0, 0] };

const maxDiff = (a: tf.Tensor, b: tf.Tensor) => tf.tidy(() => tf.max(tf.abs(tf.sub(a, b))).dataSync()[0]!);

describe('Swin models beyond the registered architectures', () => {
  it('forwardIntermediates gives NHWC stage maps equal to features_only, and the normed final map', () => {
    for (const m of [new SwinTransformer({ ...tinyV1, depths: [2, 2, 2], numHeads: [1, 2, 4] }), new SwinTransformerV2({ ...tinyV2, depths: [2, 2, 2], numHeads: [1, 2, 4], pretrainedWindowSizes: [0, 0, 0] })]) {
      const x = tf.randomUniform([1, 32, 32, 3], -1, 1, 'float32', 3);
      const { final, intermediates } = m.forwardIntermediates(x);
      expect(intermediates.map((t) => t.shape)).toEqual([[1, 8, 8, 16], [1, 4, 4, 32], [1, 2, 2, 64]]);
      const feats = m.forwardFeatures(x);
      expect(maxDiff(final, feats)).toBe(0);
      // timm's features_only for Swin: a FeatureListNet over the flattened `layers`, NHWC maps.
      const fm = createFeatureModel(m, { flattenSequential: true, outIndices: [0, 2] });
      expect(fm.constructor.name).toBe('FeatureListNet');
      const maps = fm.forward(x) as tf.Tensor[];
      expect(maxDiff(maps[0]!, intermediates[0]!)).toBe(0);
      expect(maxDiff(maps[1]!, intermediates[2]!)).toBe(0);
      // norm: the last level gets the final norm, as timm's.
      const normed = m.forwardIntermediates(x, { indices: [2], norm: true, intermediatesOnly: true });
      expect(maxDiff(normed[0]!, feats)).toBe(0);
      tf.dispose([x, final, ...intermediates, feats, ...maps, ...normed]);
      fm.dispose();
    }
  });

  it('pruneIntermediateLayers drops the later stages, the norm on request and the head, as timm', () => {
    const m = new SwinTransformer(tinyV1);
    expect(m.pruneIntermediateLayers([0], true)).toEqual([0]);
    expect(m.numClasses).toBe(0);
    expect(Object.keys(m.stateDict()).some((k) => k.startsWith('layers.1.') || k.startsWith('norm.') || k.startsWith('head.fc'))).toBe(false);
    const x = tf.zeros([1, 32, 32, 3]);
    const out = m.forwardIntermediates(x, { intermediatesOnly: true });
    expect(out.map((t) => t.shape)).toEqual([[1, 8, 8, 16]]);
    tf.dispose([x, ...out]);
    m.dispose();
  });

  it('strictImgSize false takes other input sizes (masks made for the input); strict models name the size', () => {
    const x = tf.randomUniform([2, 48, 40, 3], -1, 1, 'float32', 5);
    const loose = new SwinTransformer({ ...tinyV1, strictImgSize: false });
    const y = loose.forward(x);
    expect(y.shape).toEqual([2, 5]);
    expect(Number.isFinite(tf.sum(y).dataSync()[0]!)).toBe(true);
    const strict = new SwinTransformer(tinyV1);
    expect(() => strict.forward(x)).toThrow(/Input size \(48x40\) doesn't match model \(32x32\)/);
    tf.dispose([x, y]);
    loose.dispose();
    strict.dispose();
  });

  it('rejects options timm rejects, naming them', () => {
    expect(() => new SwinTransformer({ globalPool: 'max' })).toThrow(/globalPool must be 'avg' or ''/);
    expect(() => new SwinTransformer({ depths: [2, 2], numHeads: [2] })).toThrow(/2 depths but 1 numHeads/);
    expect(() => new SwinTransformer({ depths: [1, 1, 1], numHeads: [1, 1, 1], windowSize: [7, 7, 7, 7] })).toThrow(/windowSize must be one value or 3/);
    expect(() => new SwinTransformer({ normLayer: 'batchnorm' })).toThrow(/unknown normLayer 'batchnorm'/);
  });

  it('train mode runs drop path per sample; eval mode is deterministic', () => {
    const m = new SwinTransformerV2({ ...tinyV2, dropPathRate: 0.5 });
    const x = tf.randomUniform([4, 32, 32, 3], -1, 1, 'float32', 6);
    expect(() => checkTrainModeStochastic(m, x)).not.toThrow();
    x.dispose();
    m.dispose();
  });
});

/** The keys of Microsoft's original checkpoints: each stage's merging at the end of the stage before, the classifier at `head`, and the index / mask buffers. */
function toOriginal(sd: StateDict): StateDict {
  const out: StateDict = {};
  for (const [k, v] of Object.entries(sd)) {
    const o = k.replace(/layers\.(\d+)\.downsample/, (_, i: string) => `layers.${Number(i) - 1}.downsample`).replace(/^head\.fc\./, 'head.');
    out[o] = v;
  }
  out['layers.0.blocks.0.attn.relative_position_index'] = { dtype: 'int32', shape: [16, 16], data: new Int32Array(256) };
  out['layers.0.blocks.1.attn_mask'] = { dtype: 'float32', shape: [4, 16, 16], data: new Float32Array(1024) };
  return out;
}

describe("checkpoint filters (timm's checkpoint_filter_fn)", () => {
  it('convert original Microsoft checkpoints to timm keys, for V1 and V2', () => {
    for (const [m, filter] of [[new SwinTransformer(tinyV1), checkpointFilterFn], [new SwinTransformerV2(tinyV2), checkpointFilterFnV2]] as const) {
      const sd = m.stateDict();
      const converted = filter(toOriginal(sd), m);
      expect(Object.keys(converted).sort()).toEqual(Object.keys(sd).sort());
      for (const [k, v] of Object.entries(sd)) expect(converted[k]!.data).toBe(v.data);
      expect(filter(sd, m)).toEqual(sd);
      m.dispose();
    }
  });

  it("resize bias tables to the model's windows, and resample the patch embedding to its patch size", () => {
    const src = new SwinTransformer(tinyV1);
    const dst = new SwinTransformer({ ...tinyV1, windowSize: 3, patchSize: 2, imgSize: 24 });
    const sd = src.stateDict();
    const out = checkpointFilterFn(sd, dst);
    expect(out['layers.0.blocks.0.attn.relative_position_bias_table']!.shape).toEqual([25, 2]);
    expect(out['layers.0.blocks.0.attn.relative_position_bias_table']).toEqual(
      resizeRelPosBiasTable(sd['layers.0.blocks.0.attn.relative_position_bias_table']!, [3, 3], [25, 2]),
    );
    expect(out['patch_embed.proj.weight']!.shape).toEqual([16, 3, 2, 2]);
    expect(() => dst.loadStateDict(out)).not.toThrow();
    src.dispose();
    dst.dispose();
  });

  it('resizeRelPosBiasTable keeps a fitting table and names a shape it cannot read', () => {
    const t = { dtype: 'float32' as const, shape: [49, 2], data: new Float32Array(98) };
    expect(resizeRelPosBiasTable(t, [4, 4], [49, 2])).toBe(t);
    expect(() => resizeRelPosBiasTable({ ...t, shape: [98] }, [4, 4], [49, 2])).toThrow(/shape \[98\]/);
    expect(() => resizeRelPosBiasTable({ ...t, shape: [50, 2], data: new Float32Array(100) }, [3, 3], [25, 2])).toThrow(/50 rows is not a square grid/);
  });
});
