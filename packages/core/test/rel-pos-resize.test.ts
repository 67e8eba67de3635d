import { describe, expect, it } from 'vitest';
import { resizeRelPosBiasTable } from '../src/layers/index.js';

// Tables filled with a fixed pattern; expected values are timm's `resize_rel_pos_bias_table` on the same tables
// (timm 1.0.29.dev0, rounded to 1e-6).
const table = (rows: number, f: (i: number, h: number) => number) => ({
  dtype: 'float32' as const,
  shape: [rows, 2],
  data: Float32Array.from({ length: rows * 2 }, (_, k) => f(Math.floor(k / 2), k % 2)),
});
const round = (a: Float32Array) => Array.from(a, (v) => Math.round(v * 1e6) / 1e6 + 0);

describe("timm's resize_rel_pos_bias_table", () => {
  it('grows a 3x3-window table (5x5 offsets + 3 class-token rows) to a 4x4 window', () => {
    const t = table(28, (i, h) => ((i * 7 + h * 3) % 11) / 10 - 0.5);
    const r = resizeRelPosBiasTable(t, [4, 4], [52, 2]);
    expect(r.shape).toEqual([52, 2]);
    expect(round(r.data as Float32Array)).toEqual([
      -0.5, -0.2, -0.266667, 0.033333, 0.2, 0.5, -0.2, 0.1, 0.5, -0.3, 0.233333, 0.166667, 0.1, 0.4, -0.433333, -0.133333,
      -0.2, -0.022222, 0.266667, 0.2, -0.133333, 0.166667, 0.2, -0.233333, 0.177778, -0.011111, 0.166667, 0.1, -0.3, 0,
      -0.066667, -0.133333, 0.4, -0.4, 0, 0.3, -0.4, -0.1, 0.066667, -0.366667, 0.3, -0.5, -0.1, 0.2, -0.233333, 0.066667,
      -0.5, -0.2, 0.2, 0.5, -0.2, 0.1, 0.266667, -0.166667, 0.5, -0.3, 0.1, 0.4, -0.033333, 0.266667, -0.3, 0, 0.4, -0.4, 0,
      0.3, -0.266667, 0.033333, -0.4, -0.1, 0.233333, -0.2, 0.1, -0.088889, -0.166667, 0.133333, -0.2, -0.266667, 0.133333,
      0.433333, -0.133333, 0.166667, -0.266667, 0.033333, 0.3, -0.5, 0.166667, -0.266667, -0.1, 0.2, -0.5, -0.2, 0.2, 0.5,
      -0.066667, 0.233333, -0.2, 0.1, 0.5, -0.3, 0.1, 0.4, -0.3, 0,
    ]);
  });

  it('shrinks a 5x5-window table to a 3x3 window', () => {
    const t = table(84, (i, h) => ((i * 5 + h * 3) % 13) / 10 - 0.6);
    const r = resizeRelPosBiasTable(t, [3, 3], [28, 2]);
    expect(round(r.data as Float32Array)).toEqual([
      0.285275, 0.585275, -0.494059, -0.194059, 0.005941, 0.293069, 0.493069, -0.494059, -0.286265, 0.00099, -0.395049,
      -0.095049, 0.1, 0.4, 0.6, -0.4, -0.2, 0.1, 0.295049, 0.595049, 0.192078, 0.492078, -0.6, -0.3, -0.1, 0.2, 0.4, -0.6,
      -0.392078, -0.104951, -0.495049, -0.195049, 0, 0.3, 0.5, -0.5, -0.3, 0, 0.195049, 0.495049, 0.09901, 0.386265, 0.594059,
      -0.393069, -0.193069, 0.094059, 0.294059, 0.594059, -0.485275, -0.185275, -0.4, -0.1, 0.1, 0.4, 0.6, -0.4,
    ]);
  });

  it('keeps a table that fits, and refuses one whose grid is not square', () => {
    const t = table(28, () => 1);
    expect(resizeRelPosBiasTable(t, [3, 3], [28, 2])).toBe(t);
    expect(() => resizeRelPosBiasTable(table(30, () => 1), [3, 3], [28, 2])).toThrow(/not a square grid/);
  });
});
