// Core's window layers against what timm's own helpers compute (tooling/parity/make_window_fixture.py wrote the
// fixture with timm 1.0.29.dev0): relative position index, shifted-window masks over padded maps, SwinV2's
// log-spaced coordinates and resize_rel_pos_bias_table on flat, extra-token and [heads, H, W] tables.
import { readFileSync } from 'node:fs';
import { join } from 'node:path';
import * as tf from '@tensorflow/tfjs-core';
import {
  type Pair, relativeLogCoordsTable, relativePositionIndex, resizeRelPosBiasTable, rollAxis, setBackend, shiftedWindowMask, windowPartition,
  windowReverse,
} from '@zoo/core';
import { beforeAll, describe, expect, it } from 'vitest';

interface WindowFixture {
  index: { window: Pair; index: number[] }[];
  mask: { resolution: Pair; window: Pair; shift: Pair; shape: number[]; mask: number[] }[];
  coords: { window: Pair; pretrained: Pair; table: number[] }[];
  resize: { src_shape: number[]; src: number[]; window: Pair; new_shape: number[]; out_shape: number[]; out: number[] }[];
}
const fx = JSON.parse(readFileSync(join(import.meta.dirname, 'fixtures/window/timm-window.json'), 'utf8')) as WindowFixture;

const maxAbsDiff = (a: ArrayLike<number>, b: ArrayLike<number>) => {
  expect(a.length).toBe(b.length);
  let d = 0;
  for (let i = 0; i < a.length; i++) d = Math.max(d, Math.abs(a[i]! - b[i]!));
  return d;
};

beforeAll(async () => {
  await setBackend('wasm');
});

describe("window layers equal timm's helpers", () => {
  it('relativePositionIndex equals get_relative_position_index (square and not)', () => {
    for (const c of fx.index) expect(Array.from(relativePositionIndex(c.window[0], c.window[1]))).toEqual(c.index);
  });

  it("shiftedWindowMask equals a Swin block's attn_mask, padded up to whole windows", () => {
    for (const c of fx.mask) {
      const m = shiftedWindowMask(c.resolution[0], c.resolution[1], c.window, c.shift)!;
      expect(m.shape).toEqual(c.shape);
      expect(Array.from(m.data)).toEqual(c.mask);
    }
    expect(shiftedWindowMask(14, 14, [7, 7], [0, 0])).toBeNull();
  });

  it("relativeLogCoordsTable equals SwinV2's relative_coords_table (own and pretrained window sizes)", () => {
    for (const c of fx.coords) expect(maxAbsDiff(relativeLogCoordsTable(c.window, c.pretrained), c.table)).toBeLessThan(1e-6);
  });

  it('resizeRelPosBiasTable equals resize_rel_pos_bias_table: smaller, larger, non-square, extra rows, [heads, H, W]', () => {
    for (const c of fx.resize) {
      const r = resizeRelPosBiasTable({ dtype: 'float32', shape: c.src_shape, data: Float32Array.from(c.src) }, c.window, c.new_shape);
      // timm concatenates the [heads, H, W] form's heads along H ([heads·H, W]); the values, in order, are these.
      expect(r.shape).toEqual(c.new_shape);
      expect(r.shape.reduce((a, b) => a * b, 1)).toBe(c.out_shape.reduce((a, b) => a * b, 1));
      expect(maxAbsDiff(r.data as Float32Array, c.out), `${c.src_shape} → ${c.new_shape}`).toBeLessThan(1e-5);
    }
  });
});

describe('window partition, reverse and roll', () => {
  it("windowPartition cuts row-major windows (timm's order) and windowReverse puts them back", () => {
    const [B, H, W, C] = [2, 6, 8, 3];
    const x = tf.tensor4d(Float32Array.from({ length: B * H * W * C }, (_, i) => i), [B, H, W, C]);
    const w = windowPartition(x, [3, 4]);
    expect(w.shape).toEqual([B * 4, 3, 4, C]);
    const xs = x.arraySync();
    const ws = w.arraySync();
    // Window k of image b is rows ⌊k/2⌋·3…, columns (k mod 2)·4….
    for (let b = 0; b < B; b++) for (let k = 0; k < 4; k++) for (let i = 0; i < 3; i++) for (let j = 0; j < 4; j++) {
      expect(ws[b * 4 + k]![i]![j]).toEqual(xs[b]![Math.floor(k / 2) * 3 + i]![(k % 2) * 4 + j]);
    }
    const back = windowReverse(w, [3, 4], H, W);
    expect(Array.from(back.dataSync())).toEqual(Array.from(x.dataSync()));
    expect(() => windowPartition(x, [4, 4])).toThrow(/6x8 map is not a whole number of 4x4 windows/);
    tf.dispose([x, w, back]);
  });

  it('rollAxis is torch.roll along one axis (negative and wrapped shifts too)', () => {
    const x = tf.tensor2d([[0, 1, 2, 3, 4], [5, 6, 7, 8, 9]]);
    const roll = (s: number, axis: number) => tf.tidy(() => rollAxis(x, s, axis).arraySync());
    expect(roll(2, 1)).toEqual([[3, 4, 0, 1, 2], [8, 9, 5, 6, 7]]);
    expect(roll(-1, 1)).toEqual([[1, 2, 3, 4, 0], [6, 7, 8, 9, 5]]);
    expect(roll(7, 1)).toEqual(roll(2, 1));
    expect(roll(1, 0)).toEqual([[5, 6, 7, 8, 9], [0, 1, 2, 3, 4]]);
    expect(roll(0, 1)).toEqual(x.arraySync());
    x.dispose();
  });
});
