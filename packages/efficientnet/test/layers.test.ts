import * as tf from '@tensorflow/tfjs-core';
import { BatchNorm2d, CondConv2d, Conv2d, EvoNorm2dS0, GlobalContext, MultiQueryAttention2d } from '@zoo/core';
import { beforeAll, describe, expect, it } from 'vitest';

beforeAll(async () => {
  const { setBackend } = await import('@zoo/core');
  await setBackend('wasm');
});

/** Deterministic pseudo-random numbers in [-1, 1). */
function rand(n: number, seed: number): Float32Array {
  const out = new Float32Array(n);
  let s = seed >>> 0;
  for (let i = 0; i < n; i++) {
    s = (Math.imul(s, 1664525) + 1013904223) >>> 0;
    out[i] = s / 2 ** 31 - 1;
  }
  return out;
}

describe('GlobalContext (GCNet) matches its definition', () => {
  it('attention-pooled context → conv mlp with LayerNorm → sigmoid scale', () => {
    const [B, H, W, C, R] = [2, 3, 4, 8, 3];
    const gc = new GlobalContext(C, { rdChannels: R, act: 'relu' });
    const sd = {
      'conv_attn.weight': { shape: [1, C, 1, 1], data: rand(C, 1) },
      'conv_attn.bias': { shape: [1], data: rand(1, 2) },
      'mlp_scale.fc1.weight': { shape: [R, C, 1, 1], data: rand(R * C, 3) },
      'mlp_scale.fc1.bias': { shape: [R], data: rand(R, 4) },
      'mlp_scale.norm.weight': { shape: [R], data: rand(R, 5) },
      'mlp_scale.norm.bias': { shape: [R], data: rand(R, 6) },
      'mlp_scale.fc2.weight': { shape: [C, R, 1, 1], data: rand(C * R, 7) },
      'mlp_scale.fc2.bias': { shape: [C], data: rand(C, 8) },
    };
    gc.loadStateDict(sd as never);
    const xd = rand(B * H * W * C, 9);
    const x = tf.tensor4d(xd, [B, H, W, C]);
    const y = gc.forward(x).dataSync();
    const at = (b: number, p: number, c: number) => xd[(b * H * W + p) * C + c]!;
    const get = (k: keyof typeof sd) => sd[k].data;
    for (let b = 0; b < B; b++) {
      const logits = Array.from({ length: H * W }, (_, p) => {
        let s = get('conv_attn.bias')[0]!;
        for (let c = 0; c < C; c++) s += get('conv_attn.weight')[c]! * at(b, p, c);
        return s;
      });
      const m = Math.max(...logits);
      const e = logits.map((l) => Math.exp(l - m));
      const z = e.reduce((a, v) => a + v, 0);
      const ctx = Array.from({ length: C }, (_, c) => e.reduce((a, v, p) => a + (v / z) * at(b, p, c), 0));
      const h = Array.from({ length: R }, (_, r) => ctx.reduce((a, v, c) => a + get('mlp_scale.fc1.weight')[r * C + c]! * v, get('mlp_scale.fc1.bias')[r]!));
      const mean = h.reduce((a, v) => a + v, 0) / R;
      const v = h.reduce((a, q) => a + (q - mean) ** 2, 0) / R;
      const hn = h.map((q, r) => Math.max(0, ((q - mean) / Math.sqrt(v + 1e-6)) * get('mlp_scale.norm.weight')[r]! + get('mlp_scale.norm.bias')[r]!));
      const gate = Array.from({ length: C }, (_, c) => {
        const s = hn.reduce((a, q, r) => a + get('mlp_scale.fc2.weight')[c * R + r]! * q, get('mlp_scale.fc2.bias')[c]!);
        return 1 / (1 + Math.exp(-s));
      });
      for (let p = 0; p < H * W; p++) {
        for (let c = 0; c < C; c++) expect(y[(b * H * W + p) * C + c]).toBeCloseTo(at(b, p, c) * gate[c]!, 5);
      }
    }
    x.dispose();
    gc.dispose();
  });
});

describe('CondConv2d matches a conv with each sample\'s routed kernel', () => {
  for (const [groups, cin, cout, k, stride, padding] of [[1, 3, 5, 3, 1, ''], [4, 4, 4, 5, 2, 'same'], [1, 6, 2, 1, 1, '']] as const) {
    it(`groups ${groups}, ${cin}→${cout}, k${k}, stride ${stride}, padding '${padding}'`, () => {
      const E = 3;
      const cc = new CondConv2d(cin, cout, k, { groups, stride, padding, numExperts: E, bias: true });
      const P = cout * (cin / groups) * k * k;
      const w = rand(E * P, 11);
      const bias = rand(E * cout, 12);
      cc.loadStateDict({ weight: { shape: [E, P], data: w }, bias: { shape: [E, cout], data: bias } } as never);
      const x = tf.tensor4d(rand(2 * 7 * 7 * cin, 13), [2, 7, 7, cin]);
      const routing = tf.tensor2d([0.2, 0.5, 0.9, 0.7, 0.1, 0.3], [2, E]);
      const y = cc.forwardRouted(x, routing);
      const r = routing.arraySync();
      for (let b = 0; b < 2; b++) {
        const conv = new Conv2d(cin, cout, k, { groups, stride, padding, bias: true });
        const wb = new Float32Array(P).map((_, i) => r[b]!.reduce((a, re, e) => a + re * w[e * P + i]!, 0));
        const bb = new Float32Array(cout).map((_, i) => r[b]!.reduce((a, re, e) => a + re * bias[e * cout + i]!, 0));
        conv.loadStateDict({ weight: { shape: [cout, cin / groups, k, k], data: wb }, bias: { shape: [cout], data: bb } } as never);
        const xb = tf.slice(x, [b, 0, 0, 0], [1, -1, -1, -1]);
        const ref = conv.forward(xb);
        const got = tf.slice(y, [b, 0, 0, 0], [1, -1, -1, -1]);
        expect(got.shape).toEqual(ref.shape);
        expect(tf.max(tf.abs(tf.sub(got, ref))).dataSync()[0]).toBeLessThan(1e-5);
        tf.dispose([xb, ref, got]);
        conv.dispose();
      }
      tf.dispose([x, routing, y]);
      cc.dispose();
    });
  }
});

describe('EvoNorm2dS0 matches its definition', () => {
  it('x * sigmoid(v x) / group std, then affine; affine only without the activation', () => {
    const [B, H, W, C, G] = [2, 3, 3, 6, 2];
    const sd = { weight: { shape: [C], data: rand(C, 21) }, bias: { shape: [C], data: rand(C, 22) }, v: { shape: [C], data: rand(C, 23) } };
    const n = new EvoNorm2dS0(C, { groupSize: C / G });
    n.loadStateDict(sd as never);
    const plain = new EvoNorm2dS0(C, { groupSize: C / G, applyAct: false });
    plain.loadStateDict({ weight: sd.weight, bias: sd.bias } as never);
    const xd = rand(B * H * W * C, 24);
    const x = tf.tensor4d(xd, [B, H, W, C]);
    const y = n.forward(x).dataSync();
    const yp = plain.forward(x).dataSync();
    const cg = C / G;
    for (let b = 0; b < B; b++) {
      for (let g = 0; g < G; g++) {
        const vals: number[] = [];
        for (let p = 0; p < H * W; p++) for (let c = g * cg; c < (g + 1) * cg; c++) vals.push(xd[(b * H * W + p) * C + c]!);
        const mean = vals.reduce((a, v) => a + v, 0) / vals.length;
        const std = Math.sqrt(vals.reduce((a, v) => a + (v - mean) ** 2, 0) / vals.length + 1e-5);
        for (let p = 0; p < H * W; p++) {
          for (let c = g * cg; c < (g + 1) * cg; c++) {
            const i = (b * H * W + p) * C + c;
            const xv = xd[i]!;
            const act = (xv / (1 + Math.exp(-xv * sd.v.data[c]!))) / std;
            expect(y[i]).toBeCloseTo(act * sd.weight.data[c]! + sd.bias.data[c]!, 5);
            expect(yp[i]).toBeCloseTo(xv * sd.weight.data[c]! + sd.bias.data[c]!, 5);
          }
        }
      }
    }
    x.dispose();
    n.dispose();
    plain.dispose();
  });
});

describe('MultiQueryAttention2d matches multi-query attention written out', () => {
  for (const kvStride of [1, 2]) {
    it(`per-head queries, one shared key/value (kv stride ${kvStride})`, () => {
      const [B, H, W, C, NH, KD, VD, CO] = [2, 4, 4, 6, 3, 4, 5, 7];
      const mqa = new MultiQueryAttention2d(C, { dimOut: CO, numHeads: NH, keyDim: KD, valueDim: VD, kvStride, dwKernelSize: 3 });
      const sd: Record<string, { shape: number[]; data: Float32Array }> = {
        'query.proj.weight': { shape: [NH * KD, C, 1, 1], data: rand(NH * KD * C, 31) },
        'key.proj.weight': { shape: [KD, C, 1, 1], data: rand(KD * C, 32) },
        'value.proj.weight': { shape: [VD, C, 1, 1], data: rand(VD * C, 33) },
        'output.proj.weight': { shape: [CO, NH * VD, 1, 1], data: rand(CO * NH * VD, 34) },
      };
      if (kvStride > 1) {
        for (const [i, kv] of ['key', 'value'].entries()) {
          sd[`${kv}.down_conv.weight`] = { shape: [C, 1, 3, 3], data: rand(C * 9, 40 + i) };
          sd[`${kv}.norm.weight`] = { shape: [C], data: rand(C, 50 + i) };
          sd[`${kv}.norm.bias`] = { shape: [C], data: rand(C, 60 + i) };
          sd[`${kv}.norm.running_mean`] = { shape: [C], data: rand(C, 70 + i) };
          sd[`${kv}.norm.running_var`] = { shape: [C], data: rand(C, 80 + i).map((v) => v + 1.5) };
        }
      }
      mqa.loadStateDict(sd as never);
      const xd = rand(B * H * W * C, 35);
      const x = tf.tensor4d(xd, [B, H, W, C]);
      const y = mqa.forward(x);
      expect(y.shape).toEqual([B, H, W, CO]);
      const yd = y.dataSync();
      // Key / value sources: x, or x through the depthwise down-sampling conv + BatchNorm (separate, unfused modules).
      const src = (kv: string): { data: Float32Array; m: number } => {
        if (kvStride === 1) return { data: xd, m: H * W };
        const conv = new Conv2d(C, C, 3, { stride: kvStride, groups: C });
        const bn = new BatchNorm2d(C);
        conv.loadStateDict({ weight: sd[`${kv}.down_conv.weight`] } as never);
        bn.loadStateDict({ weight: sd[`${kv}.norm.weight`], bias: sd[`${kv}.norm.bias`], running_mean: sd[`${kv}.norm.running_mean`], running_var: sd[`${kv}.norm.running_var`] } as never);
        const t = bn.forward(conv.forward(x));
        const out = { data: t.dataSync() as Float32Array, m: t.shape[1]! * t.shape[2]! };
        tf.dispose(t);
        conv.dispose();
        bn.dispose();
        return out;
      };
      const ks = src('key');
      const vs = src('value');
      const proj = (w: Float32Array, inp: Float32Array, row: number, o: number) => {
        let s = 0;
        for (let c = 0; c < C; c++) s += w[o * C + c]! * inp[row * C + c]!;
        return s;
      };
      for (let b = 0; b < B; b++) {
        const K = Array.from({ length: ks.m }, (_, j) => Array.from({ length: KD }, (_, d) => proj(sd['key.proj.weight']!.data, ks.data, b * ks.m + j, d)));
        const V = Array.from({ length: vs.m }, (_, j) => Array.from({ length: VD }, (_, d) => proj(sd['value.proj.weight']!.data, vs.data, b * vs.m + j, d)));
        for (let p = 0; p < H * W; p++) {
          const heads: number[] = [];
          for (let h = 0; h < NH; h++) {
            const q = Array.from({ length: KD }, (_, d) => proj(sd['query.proj.weight']!.data, xd, b * H * W + p, h * KD + d));
            const logits = K.map((k) => k.reduce((a, kv, d) => a + kv * q[d]!, 0) / Math.sqrt(KD));
            const mx = Math.max(...logits);
            const e = logits.map((l) => Math.exp(l - mx));
            const z = e.reduce((a, v) => a + v, 0);
            for (let d = 0; d < VD; d++) heads.push(e.reduce((a, ev, j) => a + (ev / z) * V[j]![d]!, 0));
          }
          for (let o = 0; o < CO; o++) {
            const want = heads.reduce((a, hv, i) => a + sd['output.proj.weight']!.data[o * NH * VD + i]! * hv, 0);
            expect(yd[(b * H * W + p) * CO + o]).toBeCloseTo(want, 4);
          }
        }
      }
      tf.dispose([x, y]);
      mqa.dispose();
    });
  }
});
