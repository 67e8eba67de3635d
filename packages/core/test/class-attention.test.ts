import * as tf from '@tensorflow/tfjs-core';
import { ClassAttn, setBackend } from '@zoo/core';
import { beforeAll, describe, expect, it } from 'vitest';

beforeAll(async () => {
  await setBackend('wasm');
});

/** y = x Wᵀ + b for one token (PyTorch Linear layout `[out, in]`). */
function linear(x: number[], w: Float32Array, b: Float32Array | null, out: number): number[] {
  const n = x.length;
  return Array.from({ length: out }, (_, o) => x.reduce((s, v, i) => s + v * w[o * n + i]!, b ? b[o]! : 0));
}

describe('ClassAttn (CaiT / XCiT class attention)', () => {
  it("has timm's keys and computes softmax(q_cls·kᵀ/√d)·v per head for the class token only", () => {
    const [B, N, C, H] = [2, 5, 8, 2];
    const D = C / H;
    const m = new ClassAttn(C, { numHeads: H, qkvBias: true });
    expect(m.namedParams().map(([k, p]) => [k, p.shape])).toEqual([
      ['q.weight', [C, C]], ['q.bias', [C]], ['k.weight', [C, C]], ['k.bias', [C]], ['v.weight', [C, C]], ['v.bias', [C]],
      ['proj.weight', [C, C]], ['proj.bias', [C]],
    ]);
    const x = tf.randomUniform([B, N, C], -1, 1, 'float32', 5);
    const y = m.forward(x);
    expect(y.shape).toEqual([B, 1, C]);
    const sd = m.stateDict();
    const w = (k: string) => sd[k]!.data as Float32Array;
    const xs = x.arraySync() as number[][][];
    const got = y.arraySync() as number[][][];
    for (let b = 0; b < B; b++) {
      const q = linear(xs[b]![0]!, w('q.weight'), w('q.bias'), C);
      const k = xs[b]!.map((t) => linear(t, w('k.weight'), w('k.bias'), C));
      const v = xs[b]!.map((t) => linear(t, w('v.weight'), w('v.bias'), C));
      const o: number[] = [];
      for (let h = 0; h < H; h++) {
        const s = k.map((kt) => kt.slice(h * D, (h + 1) * D).reduce((a, kv, d) => a + kv * q[h * D + d]!, 0) / Math.sqrt(D));
        const mx = Math.max(...s);
        const e = s.map((z) => Math.exp(z - mx));
        const sum = e.reduce((a, z) => a + z, 0);
        for (let d = 0; d < D; d++) o.push(e.reduce((a, z, n) => a + (z / sum) * v[n]![h * D + d]!, 0));
      }
      const want = linear(o, w('proj.weight'), w('proj.bias'), C);
      for (let c = 0; c < C; c++) expect(got[b]![0]![c]).toBeCloseTo(want[c]!, 5);
    }
    tf.dispose([x, y]);
    m.dispose();
  });

  it('refuses a width the heads do not divide, naming both', () => {
    expect(() => new ClassAttn(10, { numHeads: 3 })).toThrow(/dim 10 is not divisible by numHeads 3/);
    expect(new ClassAttn(8).namedParams().map(([k]) => k)).toEqual(['q.weight', 'k.weight', 'v.weight', 'proj.weight', 'proj.bias']);
  });
});
