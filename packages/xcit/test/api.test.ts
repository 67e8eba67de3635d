import * as tf from '@tensorflow/tfjs-core';
import { createFeatureModel, type StateDict, setBackend, type TensorData } from '@zoo/core';
import { checkpointFilterFn, fourierFeatures, Xcit } from '@zoo/xcit';
import { beforeAll, describe, expect, it } from 'vitest';

beforeAll(async () => {
  await setBackend('wasm');
});

// A small XCiT for the API checks: 4 XCA blocks at 64 px (a 4×4 grid), 2 class-attention blocks.
const small = { imgSize: 64, embedDim: 32, depth: 4, numHeads: 4, numClasses: 5 };

const maxDiff = (a: tf.Tensor, b: tf.Tensor) => tf.tidy(() => tf.max(tf.abs(tf.sub(a, b))).dataSync()[0]!);
const input = (h = 64, w = 64) => tf.randomUniform([1, h, w, 3], -1, 1, 'float32', 3);

describe('XCiT intermediates and features', () => {
  it("forwardIntermediates gives the chosen blocks' patch tokens (NHWC or NLC, optionally normed) and forwardFeatures as final", () => {
    const m = new Xcit(small);
    const x = input();
    const feats = m.forwardFeatures(x);
    expect(feats.shape).toEqual([1, 17, 32]);
    const { final, intermediates } = m.forwardIntermediates(x);
    expect(intermediates.map((t) => t.shape)).toEqual(Array(4).fill([1, 4, 4, 32]));
    expect(maxDiff(final, feats)).toBe(0);
    const nlc = m.forwardIntermediates(x, { indices: 2, outputFmt: 'NLC', intermediatesOnly: true });
    expect(nlc.map((t) => t.shape)).toEqual([[1, 16, 32], [1, 16, 32]]);
    const last = tf.reshape(intermediates[3]!, [1, 16, 32]);
    expect(maxDiff(nlc[1]!, last)).toBe(0);
    // norm: the final norm on each intermediate (timm's `norm=True`)
    const normed = m.forwardIntermediates(x, { indices: [3], norm: true, outputFmt: 'NLC', intermediatesOnly: true });
    const want = m.norm!.forward(last);
    expect(maxDiff(normed[0]!, want)).toBeLessThan(1e-6);
    // stopEarly: blocks after the last index are not run; final is then the class-attention output of that block
    const early = m.forwardIntermediates(x, { indices: [1], stopEarly: true });
    expect(maxDiff(early.intermediates[0]!, intermediates[1]!)).toBe(0);
    expect(early.final.shape).toEqual([1, 17, 32]);
    expect(() => m.forwardIntermediates(x, { outputFmt: 'NCHW' as never })).toThrow(/NHWC or NLC/);
    tf.dispose([x, feats, final, ...intermediates, ...nlc, last, ...normed, want, early.final, ...early.intermediates]);
    m.dispose();
  });

  it("features_only is timm's getter: the last three blocks by default, equal to forwardIntermediates, the model pruned", () => {
    const m = new Xcit(small);
    const x = input();
    const all = m.forwardIntermediates(x, { intermediatesOnly: true });
    const fm = createFeatureModel(m, { outIndices: 3, featureCls: 'getter' });
    expect(fm.constructor.name).toBe('FeatureGetterNet');
    expect(fm.featureInfo.moduleName()).toEqual(['blocks.1', 'blocks.2', 'blocks.3']);
    expect(fm.featureInfo.reduction()).toEqual([16, 16, 16]);
    const maps = fm.forward(x) as tf.Tensor[];
    for (let i = 0; i < 3; i++) expect(maxDiff(maps[i]!, all[i + 1]!)).toBe(0);
    // pruned as timm's getter prunes: no class attention, no norm, no head
    const keys = fm.namedParams().map(([k]) => k);
    expect(keys.some((k) => k.includes('cls_attn_blocks') || k.startsWith('model.norm') || k.startsWith('model.head'))).toBe(false);
    tf.dispose([x, ...all, ...maps]);
    fm.dispose();
  });

  it('pruneIntermediateLayers drops the later blocks, the norm on request, and with the head the class attention', () => {
    const m = new Xcit(small);
    expect(m.pruneIntermediateLayers([0, -3], false, false)).toEqual([0, 1]);
    let keys = m.namedParams().map(([k]) => k);
    expect(keys.some((k) => k.startsWith('blocks.2.'))).toBe(false);
    expect(keys.some((k) => k.startsWith('cls_attn_blocks.1.'))).toBe(true);
    expect(m.numClasses).toBe(5);
    m.pruneIntermediateLayers(1, true, true);
    keys = m.namedParams().map(([k]) => k);
    expect(keys.filter((k) => /^(norm|head|cls_attn_blocks)\./.test(k))).toEqual([]);
    expect(m.numClasses).toBe(0);
    expect(m.globalPool).toBe('');
    const x = input();
    // as timm's forward_features after pruning: the class token is still joined in front (no blocks, no norm after it)
    const y = m.forward(x);
    expect(y.shape).toEqual([1, 17, 32]);
    tf.dispose([x, y]);
    m.dispose();
  });
});

describe('XCiT heads and inputs', () => {
  it("pools as timm's forward_head ('token', 'avg', '') and refuses another pool, changing nothing", () => {
    const m = new Xcit(small);
    const x = input();
    const feats = m.forwardFeatures(x);
    const token = m.forwardHead(feats, { preLogits: true });
    expect(maxDiff(token, tf.reshape(tf.slice(feats, [0, 0, 0], [1, 1, 32]), [1, 32]))).toBe(0);
    m.resetClassifier(3, 'avg');
    const avg = m.forwardHead(feats, { preLogits: true });
    expect(maxDiff(avg, tf.mean(tf.slice(feats, [0, 1, 0], [1, 16, 32]), 1))).toBeLessThan(1e-6);
    expect(m.forward(x).shape).toEqual([1, 3]);
    expect(() => m.resetClassifier(7, 'max')).toThrow(/globalPool must be one of 'token', 'avg' or ''/);
    expect(m.numClasses).toBe(3);
    expect(m.globalPool).toBe('avg');
    expect(() => new Xcit({ ...small, globalPool: 'map' })).toThrow(/globalPool/);
    tf.dispose([x, feats, token, avg]);
    m.dispose();
  });

  it('runs any input size (the Fourier encoding per grid; the stem rounds odd sizes up), and refuses what timm refuses', () => {
    const m = new Xcit(small);
    const x = input(48, 80);
    const f = m.forwardFeatures(x);
    expect(f.shape).toEqual([1, 1 + 3 * 5, 32]);
    const odd = input(50, 64);
    const g = m.forwardFeatures(odd);
    expect(g.shape).toEqual([1, 1 + 4 * 4, 32]);
    expect(() => new Xcit({ patchSize: 4 })).toThrow(/patchSize must be 8 or 16/);
    expect(() => new Xcit({ imgSize: 100 })).toThrow(/must divide the imgSize height 100/);
    const wide = new Xcit({ ...small, imgSize: [64, 40] });
    expect(wide.numFeatures).toBe(32);
    wide.dispose();
    tf.dispose([x, f, odd, g]);
    m.dispose();
  });

  it("computes timm's Fourier features: per axis sin / cos pairs of the normalised position over the frequency bands", () => {
    const H = 3;
    const W = 2;
    const f = fourierFeatures(H, W, 4);
    expect(f.length).toBe(H * W * 8);
    // cell (h=2, w=0): y = 3 / 3 · 2π, x = 1 / 2 · 2π; bands 10000^(0/4), 10000^(2/4)
    const y = ((3 / (3 + 1e-6)) * 2 * Math.PI);
    const xx = ((1 / (2 + 1e-6)) * 2 * Math.PI);
    const want = [Math.sin(y), Math.cos(y), Math.sin(y / 100), Math.cos(y / 100), Math.sin(xx), Math.cos(xx), Math.sin(xx / 100), Math.cos(xx / 100)];
    const at = (2 * W + 0) * 8;
    const got = Array.from(f.slice(at, at + 8));
    for (let i = 0; i < 8; i++) expect(got[i]).toBeCloseTo(want[i]!, 5);
  });
});

describe('XCiT in training mode', () => {
  it('applies drop path and the attention / projection / head dropouts in training only', () => {
    const rates = { dropPathRate: 0.5, attnDropRate: 0.3, projDropRate: 0.3, dropRate: 0.3, posDropRate: 0.3 };
    const a = new Xcit({ ...small, ...rates });
    const b = new Xcit(small);
    b.loadStateDict(a.stateDict());
    const x = input();
    const evalA = a.forward(x);
    const evalB = b.forward(x);
    expect(maxDiff(evalA, evalB)).toBe(0);
    // both in training mode (BatchNorm on batch statistics in both): only the drops make them differ
    a.train();
    b.train();
    const trainA = a.forward(x);
    const trainB = b.forward(x);
    expect(maxDiff(trainA, trainB)).toBeGreaterThan(1e-3);
    tf.dispose([x, evalA, evalB, trainA, trainB]);
    a.dispose();
    b.dispose();
  });
});

describe("XCiT's checkpoint filter", () => {
  /** The original XCiT repository's layout of a timm state dict: `pos_embeder.`, fused class-attention qkv. */
  function toOriginal(sd: StateDict, caBlocks: number): StateDict {
    const out: StateDict = {};
    for (const [k, v] of Object.entries(sd)) {
      const m = /^(cls_attn_blocks\.\d+\.attn\.)([qkv])\.(weight|bias)$/.exec(k);
      if (m) {
        if (m[2] !== 'q') continue;
        const parts = ['q', 'k', 'v'].map((p) => sd[`${m[1]}${p}.${m[3]}`]!);
        const data = new Float32Array(parts.reduce((n, p) => n + p.data.length, 0));
        let at = 0;
        for (const p of parts) {
          data.set(p.data as Float32Array, at);
          at += p.data.length;
        }
        out[`${m[1]}qkv.${m[3]}`] = { dtype: 'float32', shape: [3 * v.shape[0]!, ...v.shape.slice(1)], data } as TensorData;
        continue;
      }
      out[k.replace(/^pos_embed\./, 'pos_embeder.')] = v;
    }
    expect(Object.keys(out).filter((k) => k.includes('.attn.qkv.') && k.startsWith('cls_attn'))).toHaveLength(2 * caBlocks);
    return out;
  }

  it("loads the original repository's layout (wrapped in `model`) into timm's, giving the same outputs", () => {
    const a = new Xcit(small);
    const b = new Xcit(small);
    const original = toOriginal(a.stateDict(), 2);
    const filtered = checkpointFilterFn({ model: original } as unknown as StateDict, b);
    expect(Object.keys(filtered).sort()).toEqual(Object.keys(a.stateDict()).sort());
    b.loadStateDict(filtered);
    const x = input();
    const ya = a.forward(x);
    const yb = b.forward(x);
    expect(maxDiff(ya, yb)).toBe(0);
    tf.dispose([x, ya, yb]);
    a.dispose();
    b.dispose();
  });

  it('drops the position encoding for a model built without one (timm: use_pos_embed=False)', () => {
    const a = new Xcit(small);
    const b = new Xcit({ ...small, usePosEmbed: false });
    const filtered = checkpointFilterFn(toOriginal(a.stateDict(), 2), b);
    expect(Object.keys(filtered).some((k) => k.startsWith('pos_embed'))).toBe(false);
    b.loadStateDict(filtered);
    expect(b.namedParams().some(([k]) => k.startsWith('pos_embed'))).toBe(false);
    a.dispose();
    b.dispose();
  });
});
