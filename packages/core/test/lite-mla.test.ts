import * as tf from '@tensorflow/tfjs-core';
import { beforeAll, describe, expect, it } from 'vitest';
import { LiteConvNormAct, LiteMBConv, LiteMLA, LiteResidualBlock, liteBatchNorm, setBackend } from '../src/index.js';

beforeAll(async () => {
  await setBackend('wasm');
});

const shapes = (m: { namedParams(): [string, { shape: number[] }][] }) => Object.fromEntries(m.namedParams().map(([k, p]) => [k, p.shape]));

describe("EfficientViT (MIT) layers (timm's efficientvit_mit)", () => {
  it('LiteMLA computes relu(q)·relu(k)ᵀ·[v 1] per head, divided by its last column (+eps), over every aggregation branch (its grouped 1×1 as a batched matmul equals the grouped conv)', () => {
    const [B, H, W, C, d] = [2, 3, 4, 8, 4];
    const mla = new LiteMLA(C, 6, { dim: d, scales: [3, 5], bias: [true, false] });
    expect(mla.heads).toBe(2);
    const x = tf.randomNormal([B, H, W, C], 0, 1, 'float32', 3);
    const ours = mla.forward(x);
    // The reference: the heads laid out from the multi-scale qkv map channel by channel, attention in plain loops.
    const qkv = mla.qkv.forward(x);
    const maps = tf.concat([qkv, ...mla.aggreg.namedChildren().map(([, op]) => op.forward(qkv))], 3);
    const G = maps.shape[3]! / (3 * d);
    expect(G).toBe(2 * 3);
    const a = maps.arraySync() as number[][][][];
    const out = new Float32Array(B * H * W * G * d);
    const N = H * W;
    const at = (b: number, n: number, c: number) => a[b]![Math.floor(n / W)]![n % W]![c]!;
    for (let b = 0; b < B; b++) {
      for (let g = 0; g < G; g++) {
        const q = (n: number, i: number) => Math.max(0, at(b, n, g * 3 * d + i));
        const k = (n: number, i: number) => Math.max(0, at(b, n, g * 3 * d + d + i));
        const v = (n: number, i: number) => at(b, n, g * 3 * d + 2 * d + i);
        for (let n = 0; n < N; n++) {
          let den = 0;
          const num = new Array<number>(d).fill(0);
          for (let m = 0; m < N; m++) {
            let s = 0;
            for (let i = 0; i < d; i++) s += q(n, i) * k(m, i);
            den += s;
            for (let i = 0; i < d; i++) num[i]! += s * v(m, i);
          }
          for (let i = 0; i < d; i++) out[((b * N + n) * G + g) * d + i] = num[i]! / (den + mla.eps);
        }
      }
    }
    const ref = mla.proj.forward(tf.tensor4d(out, [B, H, W, G * d]));
    expect(ours.shape).toEqual([B, H, W, 6]);
    expect(tf.max(tf.abs(tf.sub(ours, ref))).dataSync()[0]).toBeLessThan(1e-5);
    tf.dispose([x, ours, qkv, maps, ref]);
  });

  it("LiteMLA's state dict is timm's: qkv conv without norm, aggregation convs grouped per head's q / k / v, projection with BatchNorm", () => {
    const s = shapes(new LiteMLA(64, 64, { dim: 16 }));
    expect(s['qkv.conv.weight']).toEqual([192, 64, 1, 1]);
    expect(s['aggreg.0.0.weight']).toEqual([192, 1, 5, 5]);
    expect(s['aggreg.0.1.weight']).toEqual([192, 16, 1, 1]);
    expect(s['proj.conv.weight']).toEqual([64, 128, 1, 1]);
    expect(Object.keys(s).filter((k) => k.startsWith('qkv.norm'))).toEqual([]);
    expect(() => new LiteMLA(64, 64, { scales: [4] })).toThrow(/odd/);
  });

  it('Lite blocks take bias / norm / activation per layer as timm (fewer-norm MBConv: biases, then one BatchNorm)', () => {
    const mb = new LiteResidualBlock(new LiteMBConv(8, 8, { expandRatio: 4, bias: [true, true, false], norm: [null, null, liteBatchNorm()], act: ['hardswish', 'hardswish', null] }), true);
    expect(Object.keys(shapes(mb))).toEqual([
      'main.inverted_conv.conv.weight', 'main.inverted_conv.conv.bias', 'main.depth_conv.conv.weight', 'main.depth_conv.conv.bias',
      'main.point_conv.conv.weight', 'main.point_conv.norm.weight', 'main.point_conv.norm.bias', 'main.point_conv.norm.running_mean', 'main.point_conv.norm.running_var',
      'main.point_conv.norm.num_batches_tracked',
    ]);
    const x = tf.randomNormal([1, 5, 5, 8], 0, 1, 'float32', 4);
    const y = mb.forward(x);
    const inner = mb.main.forward(x);
    expect(tf.max(tf.abs(tf.sub(y, tf.add(inner, x)))).dataSync()[0]).toBeLessThan(1e-6);
    const cna = new LiteConvNormAct(8, 4, 3, { stride: 2, act: 'gelu_tanh', norm: liteBatchNorm(1e-7) });
    expect(cna.forward(x).shape).toEqual([1, 3, 3, 4]);
    expect((cna.norm as unknown as { eps: number }).eps).toBe(1e-7);
    tf.dispose([x, y, inner]);
  });
});
