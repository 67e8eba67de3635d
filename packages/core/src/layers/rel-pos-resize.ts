import type { TensorData } from '../weights/types.js';
import type { Pair } from './helpers.js';

/**
 * The offsets timm's `resize_rel_pos_bias_table` places a `src`-wide axis of a table at, to be read at the integer
 * offsets of a `dst`-wide one: a geometric progression `±(1, 1 + q, 1 + q + q², …)` around 0, its ratio `q` bisected
 * in [1.01, 1.5] until the outermost offset reaches `dst // 2` (BEiT's own recipe, from Microsoft's unilm).
 */
function progressionOffsets(src: number, dst: number): number[] {
  const half = Math.floor(src / 2);
  const sum = (r: number) => (1 - r ** half) / (1 - r);
  let [lo, hi] = [1.01, 1.5];
  let q = lo;
  while (hi - lo > 1e-6) {
    q = (lo + hi) / 2;
    if (sum(q) > Math.floor(dst / 2)) hi = q;
    else lo = q;
  }
  const dis: number[] = [];
  let cur = 1;
  for (let i = 0; i < half; i++) {
    dis.push(cur);
    cur += q ** (i + 1);
  }
  return [...dis.map((d) => -d).reverse(), 0, ...dis];
}

/** Where `x` falls among the ascending `p` with the weight of each neighbour, as timm's `RegularGridInterpolator`. */
function bracket(p: number[], x: number): [number, number, number, number] {
  let right = p.findIndex((v) => v >= x);
  if (right < 0) right = p.length - 1;
  const left = Math.max(right - 1, 0);
  let dl = Math.max(x - p[left]!, 0);
  let dr = Math.max(p[right]! - x, 0);
  if (dl === 0 && dr === 0) dl = dr = 1;
  // The left neighbour weighs by the distance to the right one, and the other way round.
  return [left, right, dr / (dl + dr), dl / (dl + dr)];
}

/**
 * timm's `resize_rel_pos_bias_table` for a flat table `[(2h−1)·(2w−1) + extra, heads]` (BEiT's, with its class-token
 * rows last): the square source grid is read at the new window's integer offsets `(2·newH−1) × (2·newW−1)`, each head
 * interpolated bilinearly between the source's geometrically spaced offsets (values beyond them clamp to the edge);
 * the extra rows are kept. `newBiasShape` is the model's table shape `[rows, heads]`. Returns the table unchanged when
 * its grid already fits.
 */
export function resizeRelPosBiasTable(table: TensorData, newWindowSize: Pair, newBiasShape: number[]): TensorData {
  if (table.shape.length !== 2) throw new Error(`resizeRelPosBiasTable: expected a [positions, heads] table, got [${table.shape}]`);
  const [srcRows, heads] = table.shape as [number, number];
  const [dstH, dstW] = [2 * newWindowSize[0] - 1, 2 * newWindowSize[1] - 1];
  const extra = newBiasShape[0]! - dstH * dstW;
  const side = Math.floor(Math.sqrt(srcRows - extra));
  if (side < 1 || side * side !== srcRows - extra) throw new Error(`resizeRelPosBiasTable: ${srcRows - extra} positions are not a square grid`);
  if (newBiasShape[1] !== heads) throw new Error(`resizeRelPosBiasTable: the table has ${heads} heads, the model ${newBiasShape[1]}`);
  if (side === dstH && side === dstW) return table;
  const src = table.data as Float32Array;
  const ys = progressionOffsets(side, dstH);
  const xs = progressionOffsets(side, dstW);
  const at = (n: number) => Array.from({ length: n }, (_, i) => i - Math.floor(n / 2));
  const by = at(dstH).map((y) => bracket(ys, y));
  const bx = at(dstW).map((x) => bracket(xs, x));
  const out = new Float32Array((dstH * dstW + extra) * heads);
  for (let i = 0; i < dstH; i++) {
    const [y0, y1, wy0, wy1] = by[i]!;
    for (let j = 0; j < dstW; j++) {
      const [x0, x1, wx0, wx1] = bx[j]!;
      for (let h = 0; h < heads; h++) {
        const v = (y: number, x: number) => src[(y * side + x) * heads + h]!;
        out[(i * dstW + j) * heads + h] = wy0 * (wx0 * v(y0, x0) + wx1 * v(y0, x1)) + wy1 * (wx0 * v(y1, x0) + wx1 * v(y1, x1));
      }
    }
  }
  out.set(src.subarray((srcRows - extra) * heads), dstH * dstW * heads);
  return { dtype: 'float32', shape: [dstH * dstW + extra, heads], data: out };
}
