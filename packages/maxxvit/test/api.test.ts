import * as tf from '@tensorflow/tfjs-core';
import { createFeatureModel, createModel, resizeRelPosBiasTable, type StateDict, setBackend } from '@zoo/core';
import { checkpointFilterFn, MaxxVit, type MaxxVitArgs } from '@zoo/maxxvit';
import { checkTrainModeStochastic } from '@zoo/testing/checks';
import { beforeAll, describe, expect, it } from 'vitest';

beforeAll(async () => {
  await setBackend('wasm');
});

// A small MaxxVit for the API checks: 32 px, stem 16×16, a MaxViT stage (8×8 map, window / grid 4, TF bias tables)
// and a CoAtNet transformer stage (4×4 map).
const tiny = (over: Partial<MaxxVitArgs> = {}): MaxxVit =>
  new MaxxVit({
    imgSize: 32,
    numClasses: 5,
    cfg: {
      embedDim: [16, 32], depths: [1, 1], blockType: ['M', 'T'], stemWidth: 8,
      transformerCfg: { dimHead: 8, windowSize: 4, relPosType: 'bias_tf', headFirst: false },
    },
    ...over,
  });

const maxDiff = (a: tf.Tensor, b: tf.Tensor) => tf.tidy(() => tf.max(tf.abs(tf.sub(a, b))).dataSync()[0]!);

describe('MaxxVit models beyond the registered architectures', () => {
  it('forwardIntermediates gives the stem and stage maps features_only gives, and the normed final map', () => {
    const m = tiny();
    const x = tf.randomUniform([1, 32, 32, 3], -1, 1, 'float32', 3);
    const { final, intermediates } = m.forwardIntermediates(x);
    expect(intermediates.map((t) => t.shape)).toEqual([[1, 16, 16, 8], [1, 8, 8, 16], [1, 4, 4, 32]]);
    const feats = m.forwardFeatures(x);
    expect(maxDiff(final, feats)).toBe(0);
    // timm's features_only for MaxxVit: a FeatureListNet over stem + flattened stages.
    const fm = createFeatureModel(m, { flattenSequential: true, outIndices: [0, 1, 2] });
    expect(fm.constructor.name).toBe('FeatureListNet');
    const maps = fm.forward(x) as tf.Tensor[];
    expect(maps).toHaveLength(3);
    for (const [i, t] of maps.entries()) expect(maxDiff(t, intermediates[i]!)).toBe(0);
    // norm: the last level gets the final norm, as timm's.
    const normed = m.forwardIntermediates(x, { indices: [2], norm: true, intermediatesOnly: true });
    expect(maxDiff(normed[0]!, feats)).toBe(0);
    tf.dispose([x, final, ...intermediates, feats, ...maps, ...normed]);
    fm.dispose();
  });

  it('pruneIntermediateLayers drops the later stages, the norm on request and the head, as timm', () => {
    const m = tiny();
    expect(m.pruneIntermediateLayers([1], true)).toEqual([1]);
    expect(m.numClasses).toBe(0);
    expect(Object.keys(m.stateDict()).some((k) => k.startsWith('stages.1.') || k.startsWith('norm.') || k.startsWith('head.fc'))).toBe(false);
    const x = tf.zeros([1, 32, 32, 3]);
    const out = m.forwardIntermediates(x, { intermediatesOnly: true });
    expect(out.map((t) => t.shape)).toEqual([[1, 16, 16, 8], [1, 8, 8, 16]]);
    tf.dispose([x, ...out]);
    m.dispose();
  });

  it('features_only through the registry: timm default out_indices (stem + 4 stages) and feature_info', async () => {
    const fm = await createModel('maxvit_pico_rw_256', { featuresOnly: true, imgSize: 64 });
    expect(fm.featureInfo.channels()).toEqual([32, 32, 64, 128, 256]);
    expect(fm.featureInfo.reduction()).toEqual([2, 4, 8, 16, 32]);
    const x = tf.zeros([1, 64, 64, 3]);
    const maps = (fm as unknown as { forward(x: tf.Tensor): tf.Tensor[] }).forward(x);
    expect(maps.map((t) => t.shape)).toEqual([[1, 32, 32, 32], [1, 16, 16, 32], [1, 8, 8, 64], [1, 4, 4, 128], [1, 2, 2, 256]]);
    tf.dispose([x, ...maps]);
    fm.dispose();
  });

  it("checkpointFilterFn resizes TF bias tables to the model's window and reshapes 1×1 conv ↔ linear weights", () => {
    const m = tiny();
    const key = 'stages.0.blocks.0.attn_grid.attn.rel_pos.relative_position_bias_table';
    const heads = 2;
    const table = { dtype: 'float32' as const, shape: [heads, 13, 13], data: Float32Array.from({ length: heads * 169 }, (_, i) => Math.sin(i)) };
    const fc1 = 'stages.0.blocks.0.attn_grid.mlp.fc1.weight';
    const w = m.stateDict()[fc1]!;
    const sd: StateDict = { [key]: table, [fc1]: { ...w, shape: [...w.shape, 1, 1] } };
    const out = checkpointFilterFn(sd, m);
    expect(out[key]!.shape).toEqual([heads, 7, 7]);
    expect(Array.from(out[key]!.data as Float32Array)).toEqual(Array.from(resizeRelPosBiasTable(table, [4, 4], [heads, 7, 7]).data as Float32Array));
    expect(out[fc1]!.shape).toEqual(w.shape);
    m.dispose();
  });

  it('names a wrong input size and bad options', () => {
    const m = tiny();
    const x = tf.zeros([1, 64, 64, 3]);
    expect(() => m.forward(x)).toThrow(/8x8 window does not match the 4x4/);
    x.dispose();
    m.dispose();
    expect(() => tiny({ cfg: { embedDim: [16], depths: [1], blockType: ['X'] } })).toThrow(/block type must be 'C', 'T', 'M' or 'PM', got 'X'/);
    expect(() => tiny({ cfg: { embedDim: [16, 32], depths: [1] } })).toThrow(/one entry per stage/);
    expect(() => tiny({ cfg: { convCfg: { blockType: 'resnet' as never } } })).toThrow(/'mbconv' or 'convnext'/);
  });

  it('train mode runs drop path per sample; eval mode is deterministic', () => {
    const m = tiny({ dropPathRate: 0.5, cfg: { embedDim: [16, 32], depths: [1, 2], blockType: ['C', 'T'], stemWidth: 8, transformerCfg: { dimHead: 8 } } });
    const x = tf.randomUniform([4, 32, 32, 3], -1, 1, 'float32', 6);
    expect(() => checkTrainModeStochastic(m, x)).not.toThrow();
    x.dispose();
    m.dispose();
  });

  it('noWeightDecay names the position tables and MLPs; groupMatcher is timm', () => {
    const m = tiny({ cfg: { embedDim: [16, 32], depths: [1, 1], blockType: ['M', 'T'], stemWidth: 8, transformerCfg: { dimHead: 8, windowSize: 4, relPosType: 'mlp', relPosDim: 16 } } });
    const nwd = m.noWeightDecay();
    expect(nwd.length).toBeGreaterThan(0);
    expect(nwd.every((k) => /rel_pos\.mlp/.test(k))).toBe(true);
    expect(m.groupMatcher()).toEqual({ stem: '^stem', blocks: [[String.raw`^stages\.(\d+)`, null], ['^norm', [99999]]] });
    m.dispose();
  });
});
