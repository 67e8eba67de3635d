// Core's Bring-Your-Own-Blocks language on its own (no family package): what a family built on it (ByobNet, MobileViT)
// gets from createByobStem / createByobStages, and timm's override rules for block cfgs.
import * as tf from '@tensorflow/tfjs-core';
import { beforeAll, describe, expect, it } from 'vitest';
import {
  ByoRepVggBlock,
  blockLayers,
  byoLayerFns,
  createByobStages,
  createByobStem,
  EvoNorm2dS0a,
  expandBlocksCfg,
  numGroups,
  resolveByoModelCfg,
  resolveGroupSize,
  setBackend,
  stageDropPathRates,
} from '../src/index.js';

beforeAll(async () => {
  await setBackend('wasm');
});

const cfg = resolveByoModelCfg({ blocks: [{ type: 'bottle', d: 2, c: 64, s: 1, br: 0.25 }, { type: 'basic', d: 1, c: 96 }, { type: 'edge', d: 1, c: 96, s: 1 }] });

describe('stems', () => {
  it("'tiered' + maxpool: three convs (3c/8, c/2, c), its feature before the pool", () => {
    const layers = byoLayerFns(cfg);
    const { stem, featureInfo } = createByobStem(3, 64, 'tiered', 'maxpool', layers);
    expect(stem.namedChildren().map(([n]) => n)).toEqual(['conv1', 'conv2', 'conv3', 'pool']);
    expect(featureInfo).toEqual([
      { numChs: 64, reduction: 2, module: 'stem.conv3', stage: 0 },
      { numChs: 64, reduction: 4, module: 'stem.pool', stage: 0 },
    ]);
    expect(Object.keys(stem.stateDict())[0]).toBe('conv1.conv.weight');
    expect(stem.stateDict()['conv1.conv.weight']!.shape).toEqual([24, 3, 3, 3]);
    stem.dispose();
  });

  it("'quad2': four convs, the first two plain (no norm, no act), the last strided", () => {
    const { stem, featureInfo } = createByobStem(3, 64, 'quad2', '', byoLayerFns(cfg));
    const keys = Object.keys(stem.stateDict());
    expect(keys.filter((k) => k.startsWith('conv1.') || k.startsWith('conv2.'))).toEqual(['conv1.weight', 'conv2.weight']);
    expect(featureInfo.map((f) => [f.module, f.reduction])).toEqual([['stem.conv3', 2], ['stem.conv4', 4]]);
    stem.dispose();
  });

  it("'rep' is a RepVGG block; unknown stems are named", () => {
    expect(createByobStem(3, 48, 'rep', 'maxpool', byoLayerFns(cfg)).stem).toBeInstanceOf(ByoRepVggBlock);
    expect(() => createByobStem(3, 48, 'hex', '', byoLayerFns(cfg))).toThrow(/stemType must be one of .* got 'hex'/);
  });
});

describe('stages', () => {
  it('feature levels end where a stride follows (a stride-1 stage joins the previous level)', () => {
    const layers = byoLayerFns(cfg);
    const stemFeat = { numChs: 32, reduction: 4, module: 'stem', stage: 0 };
    const { stages, featureInfo } = createByobStages(cfg, { stemFeat, layers });
    expect(featureInfo.map((f) => [f.module, f.numChs, f.reduction])).toEqual([['stages.0', 64, 4], ['stages.2', 96, 8]]);
    const x = tf.zeros([1, 16, 16, 32]);
    const y = stages.forward(x);
    expect(y.shape).toEqual([1, 8, 8, 96]);
    tf.dispose([x, y]);
    stages.dispose();
  });

  it("a block's attention / kwargs replace the model's ('' turns attention off, {} clears kwargs)", () => {
    const m = resolveByoModelCfg({ blocks: [{ type: 'bottle', d: 1, c: 8 }], attnLayer: 'se', blockKwargs: { extraConv: true } });
    const layers = byoLayerFns(m);
    expect(layers.attn).not.toBeNull();
    expect(blockLayers(layers, { type: 'bottle', d: 1, c: 8, attnLayer: '' }, m).layers.attn).toBeNull();
    expect(blockLayers(layers, { type: 'bottle', d: 1, c: 8, blockKwargs: {} }, m).kwargs).toEqual({});
    expect(blockLayers(layers, { type: 'bottle', d: 1, c: 8 }, m).kwargs).toEqual({ extraConv: true });
    expect(blockLayers(layers, { type: 'bottle', d: 1, c: 8, blockKwargs: { linear_out: true } }, m).kwargs).toEqual({ linearOut: true });
  });

  it('cfg helpers: repeats, groups, drop-path rates', () => {
    expect(expandBlocksCfg([{ type: 'one', d: 2, c: 8 }, { type: 'rep', d: 1, c: 16 }]).map((b) => [b.type, b.d])).toEqual([['one', 1], ['one', 1], ['rep', 1]]);
    expect(numGroups(0, 64)).toBe(1);
    expect(numGroups(1, 64)).toBe(64);
    expect(() => numGroups(6, 64)).toThrow(/channels \(64\) must be divisible by group size \(6\)/);
    expect([0, 1, 2, 3].map((i) => resolveGroupSize({ type: 'alternate', groups: 4 }, 128, i))).toEqual([0, 32, 0, 32]);
    const dpr = stageDropPathRates(0.3, [1, 2, 1]);
    expect(dpr.map((s) => s.length)).toEqual([1, 2, 1]);
    for (const [i, want] of [0, 0.1, 0.2, 0.3].entries()) expect(dpr.flat()[i]).toBeCloseTo(want, 12);
  });
});

describe('EvoNorm2dS0a', () => {
  it('computes x·sigmoid(v·x) / group std · weight + bias, and without act x / group std · weight + bias', () => {
    const n = new EvoNorm2dS0a(4, { groupSize: 2 });
    const noAct = new EvoNorm2dS0a(4, { groupSize: 2, applyAct: false });
    const vals = Array.from({ length: 2 * 2 * 4 }, (_, i) => Math.sin(i * 1.3) * 2);
    const x = tf.tensor4d(vals, [1, 2, 2, 4]);
    // The reference from the definition, in plain JS: groups of channels {0,1} and {2,3} over all 4 positions, eps 1e-3.
    const std = [0, 1].map((g) => {
      const xs = vals.filter((_, i) => Math.floor((i % 4) / 2) === g);
      const mean = xs.reduce((a, b) => a + b, 0) / xs.length;
      return Math.sqrt(xs.reduce((a, b) => a + (b - mean) ** 2, 0) / xs.length + 1e-3);
    });
    const want = vals.map((v, i) => (v / (1 + Math.exp(-v))) / std[Math.floor((i % 4) / 2)]!);
    const wantNoAct = vals.map((v, i) => v / std[Math.floor((i % 4) / 2)]!);
    const got = n.forward(x).dataSync();
    const gotNoAct = noAct.forward(x).dataSync();
    for (const [i, w] of want.entries()) expect(got[i]).toBeCloseTo(w, 5);
    for (const [i, w] of wantNoAct.entries()) expect(gotNoAct[i]).toBeCloseTo(w, 5);
    expect(Object.keys(n.stateDict())).toEqual(['weight', 'bias', 'v']);
    x.dispose();
    n.dispose();
    noAct.dispose();
  });
});
