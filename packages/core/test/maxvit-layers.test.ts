// MaxViT's layers against timm's definitions written out literally: RelPosBiasTf against timm's one-hot lookup
// einsums (`generate_lookup_tensor`, `reindex_2d_einsum_lookup`), grid partition against timm's view / permute index
// arithmetic, ConvMlp against the linear Mlp with the same weights. (The maxxvit parity fixtures exercise them in
// whole models too.)
import * as tf from '@tensorflow/tfjs-core';
import { ConvMlp, gridPartition, gridReverse, Mlp, RelPosBiasTf, relPosTfIndex, type StateDict, setBackend } from '@zoo/core';
import { beforeAll, describe, expect, it } from 'vitest';

beforeAll(async () => {
  await setBackend('wasm');
});

/** timm's `generate_lookup_tensor(length)`: `[length, length, 2·length−1]`, one at `v = x − i + length − 1`. */
function lookup(length: number): number[][][] {
  return Array.from({ length }, (_, i) => Array.from({ length }, (_, x) => Array.from({ length: 2 * length - 1 }, (_, v) => (v === x - i + length - 1 ? 1 : 0))));
}

describe('RelPosBiasTf', () => {
  it("equals timm's two one-hot einsum lookups, for a non-square window", () => {
    const [wh, ww, heads] = [3, 2, 2];
    const [vh, vw] = [2 * wh - 1, 2 * ww - 1];
    const table = Float32Array.from({ length: heads * vh * vw }, (_, i) => Math.cos(i * 0.7));
    // einsum('nhw,ixh->nixw') then einsum('nixw,jyw->nijxy'), reshaped to [n, (i, j), (x, y)].
    const hl = lookup(wh);
    const wl = lookup(ww);
    const want: number[] = [];
    for (let n = 0; n < heads; n++)
      for (let i = 0; i < wh; i++)
        for (let j = 0; j < ww; j++)
          for (let x = 0; x < wh; x++)
            for (let y = 0; y < ww; y++) {
              let s = 0;
              for (let h = 0; h < vh; h++) for (let w = 0; w < vw; w++) s += table[(n * vh + h) * vw + w]! * hl[i]![x]![h]! * wl[j]![y]![w]!;
              want.push(s);
            }
    const m = new RelPosBiasTf([wh, ww], heads);
    m.loadStateDict({ relative_position_bias_table: { dtype: 'float32', shape: [heads, vh, vw], data: table } });
    const got = tf.tidy(() => m.getBias().dataSync());
    expect(Array.from(got)).toEqual(want.map(Math.fround));
    expect(relPosTfIndex([wh, ww])).toHaveLength((wh * ww) ** 2);
    m.dispose();
  });
});

describe('gridPartition / gridReverse', () => {
  it("cut the windows timm's grid_partition cuts (pixels H/gh, W/gw apart), and put the map back", () => {
    const [B, H, W, C] = [2, 6, 8, 3];
    const [gh, gw] = [3, 2];
    const [hp, wp] = [H / gh, W / gw];
    const x = tf.reshape(tf.range(0, B * H * W * C), [B, H, W, C]);
    const data = x.dataSync();
    const windows = gridPartition(x, [gh, gw]);
    expect(windows.shape).toEqual([B * hp * wp, gh, gw, C]);
    // timm: view(B, gh, H/gh, gw, W/gw, C).permute(0, 2, 4, 1, 3, 5): window (b, p, q), position (a, c).
    const got = windows.dataSync();
    let o = 0;
    for (let b = 0; b < B; b++)
      for (let p = 0; p < hp; p++)
        for (let q = 0; q < wp; q++)
          for (let a = 0; a < gh; a++)
            for (let c = 0; c < gw; c++)
              for (let ch = 0; ch < C; ch++) expect(got[o++]).toBe(data[((b * H + a * hp + p) * W + c * wp + q) * C + ch]);
    const back = gridReverse(windows, [gh, gw], H, W);
    expect(Array.from(back.dataSync())).toEqual(Array.from(data));
    expect(() => gridPartition(x, [4, 2])).toThrow(/6x8 map is not divisible by the 4x2 grid/);
    tf.dispose([x, windows, back]);
  });
});

describe('ConvMlp', () => {
  it('is the linear Mlp with the 1×1 conv weights, keys fc1, fc2', () => {
    const conv = new ConvMlp(4, { hiddenFeatures: 6, outFeatures: 3, actLayer: 'gelu' });
    const lin = new Mlp(4, { hiddenFeatures: 6, outFeatures: 3, actLayer: 'gelu' });
    const sd = lin.stateDict();
    const convSd: StateDict = {};
    for (const [k, v] of Object.entries(sd)) {
      const data = Float32Array.from({ length: v.data.length }, (_, i) => Math.sin(i + k.length));
      sd[k] = { ...v, data };
      convSd[k] = { ...v, data, shape: k.endsWith('weight') ? [...v.shape, 1, 1] : v.shape };
    }
    lin.loadStateDict(sd);
    conv.loadStateDict(convSd);
    expect(Object.keys(conv.stateDict())).toEqual(['fc1.weight', 'fc1.bias', 'fc2.weight', 'fc2.bias']);
    const x = tf.randomUniform([1, 3, 5, 4], -1, 1, 'float32', 2);
    const d = tf.tidy(() => tf.max(tf.abs(tf.sub(conv.forward(x), lin.forward(x)))).dataSync()[0]!);
    expect(d).toBeLessThan(1e-6);
    x.dispose();
    conv.dispose();
    lin.dispose();
  });
});
