import * as tf from '@tensorflow/tfjs-core';
import {
  createModel, type FeatureModel, interpWeights, type PatchEmbed, resampleAbsPosEmbed, resampleAbsPosEmbedTensor, resamplePatchEmbed,
  type VisionModel,
} from '@zoo/core';
import { VisionTransformer } from '@zoo/vit';
import { beforeAll, describe, expect, it } from 'vitest';

beforeAll(async () => {
  const { setBackend } = await import('@zoo/core');
  await setBackend('wasm');
});

const input = (h: number, w: number, b = 1) => tf.randomUniform([b, h, w, 3], -1, 1, 'float32', 7);
const maxDiff = (a: tf.Tensor, b: tf.Tensor) => tf.tidy(() => tf.max(tf.abs(tf.sub(a, b))).dataSync()[0]!);

describe('pos-embed resampling (torch F.interpolate semantics)', () => {
  it('bicubic weights: rows sum to 1, identity at the same size, linear ramps kept away from the borders', () => {
    for (const aa of [false, true]) {
      const w = interpWeights(7, 13, 'bicubic', aa);
      for (let o = 0; o < 13; o++) {
        let s = 0;
        for (let i = 0; i < 7; i++) s += w[o * 7 + i]!;
        expect(s).toBeCloseTo(1, 12);
      }
      const id = interpWeights(5, 5, 'bicubic', aa);
      for (let o = 0; o < 5; o++) for (let i = 0; i < 5; i++) expect(id[o * 5 + i]).toBeCloseTo(o === i ? 1 : 0, 12);
    }
    // Without antialias, 2x upsampling uses torch's well-known A = -0.75 taps (t = 0.75 here): [-0.0352, 0.2617, 0.8789, -0.1055].
    const w = interpWeights(8, 16, 'bicubic', false);
    expect(Array.from(w.slice(4 * 8, 4 * 8 + 4))).toEqual([-0.03515625, 0.26171875, 0.87890625, -0.10546875]);
    // The border row clamps taps to index 0: src = -0.25 folds three taps onto index 0.
    expect(w[0]! + w[1]!).toBeCloseTo(1, 12);
    expect(w[0]).toBeCloseTo(-0.03515625 + 0.26171875 + 0.87890625, 12);
  });

  it('array and tensor paths agree; prefix tokens are kept', () => {
    const C = 3;
    const data = Float32Array.from({ length: (1 + 16) * C }, (_, i) => Math.sin(i));
    const sd = { dtype: 'float32' as const, shape: [1, 17, C], data };
    const a = resampleAbsPosEmbed(sd, [6, 5], null, 1, 'bicubic', false);
    expect(a.shape).toEqual([1, 31, C]);
    const ad = a.data as Float32Array;
    expect(Array.from(ad.slice(0, C))).toEqual(Array.from(data.slice(0, C)));
    const t = resampleAbsPosEmbedTensor(tf.tensor3d(data, [1, 17, C]), [6, 5], null, 1, 'bicubic', false);
    expect(t.shape).toEqual([1, 31, C]);
    const d = t.dataSync();
    for (let i = 0; i < d.length; i++) expect(d[i]).toBeCloseTo(ad[i]!, 5);
    t.dispose();
  });

  it('patch-embed resampling (pseudo-inverse): <resize(x), w\'> equals <x, w> when upsampling', () => {
    const [O, I, p, q] = [2, 3, 4, 6];
    const data = Float32Array.from({ length: O * I * p * p }, (_, i) => Math.cos(i * 0.7));
    const w = { dtype: 'float32' as const, shape: [O, I, p, p], data };
    const r = resamplePatchEmbed(w, [q, q]);
    expect(r.shape).toEqual([O, I, q, q]);
    const wy = interpWeights(p, q, 'bicubic', true);
    const x = Float64Array.from({ length: p * p }, (_, i) => Math.sin(i + 1));
    // resize(x) = Wy x Wx^T
    const rx = new Float64Array(q * q);
    for (let a = 0; a < q; a++) for (let b = 0; b < q; b++) {
      let s = 0;
      for (let i = 0; i < p; i++) for (let j = 0; j < p; j++) s += wy[a * p + i]! * x[i * p + j]! * wy[b * p + j]!;
      rx[a * q + b] = s;
    }
    const rd = r.data as Float32Array;
    for (let k = 0; k < O * I; k++) {
      let lhs = 0;
      let rhs = 0;
      for (let i = 0; i < q * q; i++) lhs += rx[i]! * rd[k * q * q + i]!;
      for (let i = 0; i < p * p; i++) rhs += x[i]! * data[k * p * p + i]!;
      expect(lhs).toBeCloseTo(rhs, 4);
    }
  });
});

describe('VisionTransformer API', () => {
  it('forwardFeatures gives tokens, forwardHead pools, forwardIntermediates NHWC / NLC / stopEarly / norm', async () => {
    const m = (await createModel('test_vit2', { imgSize: 64, numClasses: 5 })) as VisionTransformer;
    expect(m).toBeInstanceOf(VisionTransformer);
    const x = input(64, 64, 2);
    tf.dispose(m.forward(x)); // parameters are created on first use
    const before = tf.memory().numTensors;
    const f = m.forwardFeatures(x);
    expect(f.shape).toEqual([2, 1 + 16, 64]); // one register token, no class token
    const pre = m.forwardHead(f, { preLogits: true });
    expect(pre.shape).toEqual([2, 64]);
    const logits = m.forward(x);
    expect(logits.shape).toEqual([2, 5]);
    const r = m.forwardIntermediates(x, { indices: [1, -1] });
    expect(r.intermediates.map((t) => t.shape)).toEqual([[2, 4, 4, 64], [2, 4, 4, 64]]);
    expect(maxDiff(r.final, f)).toBeLessThan(1e-5);
    const nlc = m.forwardIntermediates(x, { indices: 2, outputFmt: 'NLC', intermediatesOnly: true });
    expect(nlc.map((t) => t.shape)).toEqual([[2, 16, 64], [2, 16, 64]]);
    const early = m.forwardIntermediates(x, { indices: [0], stopEarly: true });
    expect(early.intermediates[0]!.shape).toEqual([2, 4, 4, 64]);
    tf.dispose([f, pre, logits, r.final, ...r.intermediates, ...nlc, early.final, ...early.intermediates]);
    expect(tf.memory().numTensors).toBe(before);
    x.dispose();
    m.dispose();
  });

  it('dynamicImgSize: same result at the built size through resampled pos embed; other sizes run', async () => {
    const m = (await createModel('test_vit', { imgSize: 64 })) as VisionModel;
    const x = input(64, 64);
    const y = m.forwardFeatures(x);
    expect(y.shape).toEqual([1, 17, 64]);
    const x2 = input(96, 48);
    const y2 = m.forwardFeatures(x2);
    expect(y2.shape).toEqual([1, 1 + 6 * 3, 64]);
    const r = m.forwardIntermediates(x2, { indices: 1 });
    expect(r.intermediates[0]!.shape).toEqual([1, 6, 3, 64]);
    tf.dispose([x, y, x2, y2, r.final, ...r.intermediates]);
    m.dispose();
  });

  it('a fixed-size model rejects other sizes with a clear message', async () => {
    const m = (await createModel('vit_tiny_patch16_224', { imgSize: 64, numClasses: 0 })) as VisionModel;
    const x = input(96, 96);
    expect(() => m.forward(x)).toThrow(/doesn't match model \(64x64\)/);
    expect(m.numClasses).toBe(0);
    const x64 = input(64, 64);
    const p = m.forward(x64);
    expect(p.shape).toEqual([1, 192]);
    tf.dispose([x, x64, p]);
    m.dispose();
  });

  it('featuresOnly: last three blocks by default, NHWC maps; pruning drops later blocks and the head', async () => {
    const fm = (await createModel('test_vit2', { imgSize: 64, featuresOnly: true })) as FeatureModel;
    expect(fm.featureInfo.moduleName()).toEqual(['blocks.5', 'blocks.6', 'blocks.7']);
    expect(fm.featureInfo.reduction()).toEqual([16, 16, 16]);
    const x = input(64, 64);
    const feats = fm.forward(x) as tf.Tensor[];
    expect(feats.map((t) => t.shape)).toEqual([[1, 4, 4, 64], [1, 4, 4, 64], [1, 4, 4, 64]]);
    tf.dispose([x, ...feats]);
    const fm2 = (await createModel('test_vit2', { imgSize: 64, featuresOnly: true, outIndices: [1, 3] })) as FeatureModel;
    const keys = Object.keys(fm2.stateDict());
    expect(keys.some((k) => k.includes('blocks.4.'))).toBe(false);
    expect(keys.some((k) => k.includes('blocks.3.'))).toBe(true);
    expect(keys.some((k) => k.includes('head'))).toBe(false);
    fm.dispose();
    fm2.dispose();
  });

  it('resetClassifier and getClassifier', async () => {
    const m = (await createModel('deit_tiny_distilled_patch16_224', { imgSize: 32 })) as VisionTransformer;
    m.resetClassifier(7);
    expect(m.numClasses).toBe(7);
    const x = input(32, 32);
    const y = m.forward(x);
    expect(y.shape).toEqual([1, 7]);
    expect(Object.keys(m.stateDict())).toEqual(expect.arrayContaining(['dist_token', 'head_dist.weight', 'head.weight']));
    expect(m.getClassifier()).toBe(m.getChild('head'));
    tf.dispose([x, y]);
    m.dispose();
  });
});

describe('checkpoint filter', () => {
  it('loads 16-pixel-patch weights into an 8-pixel-patch model (8x8 grid) (patch + pos embed resampled)', async () => {
    const src = (await createModel('vit_tiny_patch16_224', { imgSize: 64, numClasses: 3 })) as VisionModel;
    const x = input(64, 64);
    tf.dispose(src.forward(x));
    const sd = src.stateDict();
    const m = (await createModel('vit_tiny_patch16_224', {
      imgSize: 64, patchSize: 8, numClasses: 3, pretrained: true, pretrainedCfgOverlay: { stateDict: sd },
    })) as VisionTransformer;
    expect((m.patchEmbed as PatchEmbed).proj.weight.shape).toEqual([192, 3, 8, 8]);
    expect(m.posEmbed!.shape).toEqual([1, 1 + 64, 192]);
    const y = m.forward(x);
    expect(y.shape).toEqual([1, 3]);
    tf.dispose([x, y]);
    src.dispose();
    m.dispose();
  });
});

describe('MAP attention-pool head (SigLIP)', () => {
  it('pools with learned latent queries; keys as timm; resetClassifier to another pool drops it', async () => {
    const m = (await createModel('test_vit3', { imgSize: 32, numClasses: 4 })) as VisionTransformer;
    const keys = Object.keys(m.stateDict());
    expect(keys).toEqual(expect.arrayContaining([
      'attn_pool.latent', 'attn_pool.q.weight', 'attn_pool.kv.weight', 'attn_pool.proj.weight', 'attn_pool.norm.weight',
      'attn_pool.mlp.fc1.weight', 'attn_pool.mlp.fc2.weight',
    ]));
    const x = input(32, 32, 2);
    const y = m.forward(x);
    expect(y.shape).toEqual([2, 4]);
    const f = m.forwardFeatures(x);
    const pre = m.forwardHead(f, { preLogits: true });
    expect(pre.shape).toEqual([2, m.embedDim]);
    m.resetClassifier(0, 'avg');
    expect(Object.keys(m.stateDict()).some((k) => k.startsWith('attn_pool'))).toBe(false);
    const p2 = m.forward(x);
    expect(p2.shape).toEqual([2, m.embedDim]);
    tf.dispose([x, y, f, pre, p2]);
    m.dispose();
  });
});

describe('parallel blocks', () => {
  it("ParallelThingsBlock / ParallelScalingBlock carry timm's keys and run", async () => {
    const things = (await createModel('vit_small_patch16_18x2_224', { imgSize: 32, numClasses: 3 })) as VisionTransformer;
    const tk = things.namedParams().map(([n]) => n);
    expect(tk).toEqual(expect.arrayContaining([
      'blocks.0.attns.0.norm.weight', 'blocks.0.attns.1.attn.qkv.weight', 'blocks.0.attns.0.ls.gamma',
      'blocks.17.ffns.1.mlp.fc2.bias', 'blocks.17.ffns.0.ls.gamma',
    ]));
    const scaling = (await createModel('vit_base_patch16_xp_224', { imgSize: 32, numClasses: 3 })) as VisionTransformer;
    const sk = scaling.namedParams().map(([n]) => n);
    expect(sk).toEqual(expect.arrayContaining([
      'blocks.0.in_norm.weight', 'blocks.0.in_proj.weight', 'blocks.0.mlp_bias', 'blocks.0.q_norm.weight',
      'blocks.0.k_norm.weight', 'blocks.0.attn_out_proj.weight', 'blocks.0.mlp_out_proj.bias', 'norm_pre.weight',
    ]));
    expect(sk).not.toContain('blocks.0.in_proj.bias');
    expect(sk).not.toContain('norm_pre.bias'); // RmsNorm
    const x = input(32, 32);
    const pwee = (await createModel('vit_pwee_patch16_reg1_gap_256', { imgSize: 32, numClasses: 3 })) as VisionTransformer;
    for (const m of [things, pwee]) {
      const y = m.forward(x);
      expect(y.shape).toEqual([1, 3]);
      expect(Number.isFinite(y.dataSync()[0])).toBe(true);
      y.dispose();
    }
    x.dispose();
    for (const m of [things, scaling, pwee]) m.dispose();
  });
});

describe('differential attention', () => {
  it("DiffAttention blocks carry timm's keys and run", async () => {
    const m = (await createModel('vit_dwee_patch16_reg1_gap_256', { imgSize: 32, numClasses: 3 })) as VisionTransformer;
    const keys = m.namedParams().map(([n]) => n);
    expect(keys).toEqual(expect.arrayContaining([
      'blocks.0.attn.qkv.weight', 'blocks.0.attn.lambda_q1', 'blocks.0.attn.lambda_k2', 'blocks.0.attn.sub_norm.weight',
      'blocks.13.attn.proj.bias',
    ]));
    const x = input(32, 32);
    const y = m.forward(x);
    expect(y.shape).toEqual([1, 3]);
    expect(Number.isFinite(y.dataSync()[0])).toBe(true);
    const p = (await createModel('vit_dpwee_patch16_reg1_gap_256', { imgSize: 32, numClasses: 3 })) as VisionTransformer;
    expect(p.namedParams().map(([n]) => n)).toEqual(expect.arrayContaining([
      'blocks.0.in_norm.weight', 'blocks.0.in_proj.weight', 'blocks.0.sub_norm.weight', 'blocks.0.lambda_q1',
      'blocks.0.out_proj.weight', 'blocks.0.ls.gamma',
    ]));
    const yp = p.forward(x);
    expect(yp.shape).toEqual([1, 3]);
    expect(Number.isFinite(yp.dataSync()[0])).toBe(true);
    tf.dispose([x, y, yp]);
    m.dispose();
    p.dispose();
  });
});
