// MobileViT's pieces in core's block language without the family package: the 'mobilevit' / 'mobilevit2' block types
// of the block registry with timm's keys and shapes, LinearSelfAttention against its definition computed element by
// element, and the two unfold / fold paths (a block with empty transformer work is a plain conv stack).
import * as tf from '@tensorflow/tfjs-core';
import { beforeAll, describe, expect, it } from 'vitest';
import { byoLayerFns, createByoBlock, LinearSelfAttention, MobileVitBlock, MobileVitV2Block, resolveByoModelCfg, setBackend, type TransformerBlock } from '../src/index.js';

beforeAll(async () => {
  await setBackend('wasm');
});

const layers = byoLayerFns(resolveByoModelCfg({ blocks: [{ type: 'mobilevit', d: 1, c: 16 }], actLayer: 'silu' }));
const shapes = (m: { namedParams(): Iterable<[string, { shape: readonly number[] }]> }) => Object.fromEntries([...m.namedParams()].map(([k, p]) => [k, [...p.shape]]));
const seeded = (shape: number[], seed: number) => tf.randomUniform(shape, -1, 1, 'float32', seed);

describe("the block registry's MobileViT types", () => {
  it("'mobilevit' is timm's MobileVitBlock: kxk + 1×1 in, ViT blocks (qkv bias), LayerNorm, 1×1 proj, fusion", () => {
    const b = createByoBlock('mobilevit', { inChs: 16, outChs: 16, layers, transformerDim: 24, transformerDepth: 2, patchSize: 2 } as never);
    expect(b).toBeInstanceOf(MobileVitBlock);
    const s = shapes(b);
    expect(s['conv_kxk.conv.weight']).toEqual([16, 16, 3, 3]);
    expect(s['conv_1x1.weight']).toEqual([24, 16, 1, 1]);
    expect(s['transformer.1.attn.qkv.bias']).toEqual([72]);
    expect(s['transformer.1.mlp.fc1.weight']).toEqual([48, 24]);
    expect(s['norm.weight']).toEqual([24]);
    expect(s['conv_proj.conv.weight']).toEqual([16, 24, 1, 1]);
    expect(s['conv_fusion.conv.weight']).toEqual([16, 32, 3, 3]);
    expect(Object.keys(s).some((k) => k.includes('ls1'))).toBe(false);
  });

  it("'mobilevit2' is timm's MobileVitV2Block: depthwise kxk, GroupNorm1 linear-attention blocks, 1×1 ConvNorm out", () => {
    const b = createByoBlock('mobilevit2', { inChs: 16, outChs: 16, layers, groupSize: 1, bottleRatio: 0.5, transformerDepth: 1, patchSize: 2 } as never);
    expect(b).toBeInstanceOf(MobileVitV2Block);
    const s = shapes(b);
    expect(s['conv_kxk.conv.weight']).toEqual([16, 1, 3, 3]);
    expect(s['conv_1x1.weight']).toEqual([8, 16, 1, 1]); // make_divisible(0.5 · 16)
    expect(s['transformer.0.norm1.weight']).toEqual([8]);
    expect(s['transformer.0.attn.qkv_proj.weight']).toEqual([17, 8, 1, 1]);
    expect(s['transformer.0.mlp.fc1.weight']).toEqual([16, 8, 1, 1]);
    expect(s['conv_proj.conv.weight']).toEqual([16, 8, 1, 1]);
    expect(Object.keys(s).some((k) => k.startsWith('conv_fusion'))).toBe(false);
  });
});

describe('LinearSelfAttention', () => {
  it('equals its definition: softmax of the query over the N patches weights the keys; relu(values) scaled', async () => {
    const C = 3;
    const attn = new LinearSelfAttention(C);
    const [B, P, N] = [1, 2, 5];
    const x = seeded([B, P, N, C], 1);
    // weights in PyTorch's layout ([out, in, 1, 1] kernels), assigned as a checkpoint entry is
    const arr = (n: number, seed: number) => Float32Array.from({ length: n }, (_, i) => Math.sin(seed * 97 + i * 1.7));
    const w1 = arr((1 + 2 * C) * C, 2);
    const b1 = arr(1 + 2 * C, 3);
    const w2 = arr(C * C, 4);
    const b2 = arr(C, 5);
    attn.qkv_proj.weight.assign({ dtype: 'float32', shape: [1 + 2 * C, C, 1, 1], data: w1 });
    attn.qkv_proj.bias!.assign({ dtype: 'float32', shape: [1 + 2 * C], data: b1 });
    attn.out_proj.weight.assign({ dtype: 'float32', shape: [C, C, 1, 1], data: w2 });
    attn.out_proj.bias!.assign({ dtype: 'float32', shape: [C], data: b2 });
    const ours = await attn.forward(x).data();
    const xs = await x.data();
    let worst = 0;
    for (let p = 0; p < P; p++) {
      // qkv[n][o] = b1[o] + Σ_c w1[o, c] x[p, n, c] (torch's [out, in] 1×1 kernel)
      const qkv = Array.from({ length: N }, (_, n) => Array.from({ length: 1 + 2 * C }, (_, o) => b1[o]! + Array.from({ length: C }, (_, c) => w1[o * C + c]! * xs[(p * N + n) * C + c]!).reduce((a, v) => a + v, 0)));
      const m = Math.max(...qkv.map((r) => r[0]!));
      const e = qkv.map((r) => Math.exp(r[0]! - m));
      const z = e.reduce((a, v) => a + v, 0);
      const ctx = Array.from({ length: C }, (_, c) => qkv.reduce((a, r, n) => a + r[1 + c]! * (e[n]! / z), 0));
      for (let n = 0; n < N; n++) {
        const mid = Array.from({ length: C }, (_, c) => Math.max(0, qkv[n]![1 + C + c]!) * ctx[c]!);
        for (let o = 0; o < C; o++) {
          const want = b2[o]! + mid.reduce((a, v, c) => a + w2[o * C + c]! * v, 0);
          worst = Math.max(worst, Math.abs(ours[(p * N + n) * C + o]! - want));
        }
      }
    }
    expect(worst).toBeLessThan(1e-5);
    x.dispose();
    attn.dispose();
  });
});

describe('unfold / fold', () => {
  it('v1: with the transformer contributing nothing, fold(unfold(·)) gives the map back, resized up and back where the patch does not divide it', () => {
    const b = new MobileVitBlock({ inChs: 4, outChs: 4, layers, transformerDim: 8, transformerDepth: 1, patchSize: 2, noFusion: true });
    // zero attention and MLP outputs: the tokens pass the transformer unchanged
    const t = b.transformer.getChild('0') as TransformerBlock;
    for (const w of [t.attn.proj.weight, t.attn.proj.bias!, t.mlp.fc2.weight, t.mlp.fc2.bias!]) w.setTensor(tf.zeros(w.value.shape));
    for (const [H, W] of [[6, 8], [5, 7]] as const) {
      const x = seeded([2, H, W, 4], 7);
      const y = b.forward(x);
      const want = tf.tidy(() => {
        let h = b.conv_1x1.forward(b.conv_kxk.forward(x));
        const up = H % 2 !== 0 || W % 2 !== 0;
        // the final norm is a LayerNorm over channels, per position, so it commutes with unfold / fold (not with a resize)
        if (up) h = tf.image.resizeBilinear(h as tf.Tensor4D, [Math.ceil(H / 2) * 2, Math.ceil(W / 2) * 2], false, true);
        h = b.norm.forward(h);
        if (up) h = tf.image.resizeBilinear(h as tf.Tensor4D, [H, W], false, true);
        return b.conv_proj.forward(h);
      });
      expect(y.shape).toEqual([2, H, W, 4]);
      expect(tf.max(tf.abs(tf.sub(y, want))).dataSync()[0]).toBeLessThan(1e-5);
      tf.dispose([x, y, want]);
    }
  });

  it('v2: a map the patch does not divide is resized up and stays at that size', () => {
    const b = new MobileVitV2Block({ inChs: 8, outChs: 8, layers, groupSize: 1, bottleRatio: 0.5, transformerDepth: 1, patchSize: 2 });
    const y = b.forward(tf.ones([1, 5, 7, 8]));
    expect(y.shape).toEqual([1, 6, 8, 8]);
    y.dispose();
  });
});
