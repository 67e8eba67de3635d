// The layers the MLP-Mixer and MetaFormer families are built from: timm's keys and shapes, and GroupNorm1's
// normalisation over a whole stage-1-sized sample against a float64 reference.
import * as tf from '@tensorflow/tfjs-core';
import { beforeAll, describe, expect, it } from 'vitest';
import { Affine, GatedMlp, GroupNorm1, PoolingMixer, Scale, SepConvMixer, SpatialGatingUnit, StarReLU, setBackend } from '../src/index.js';

beforeAll(async () => {
  await setBackend('wasm');
});

const shapes = (m: { stateDict(): Record<string, { shape: number[] }> }) =>
  Object.fromEntries(Object.entries(m.stateDict()).map(([k, v]) => [k, v.shape]));

describe('mixer and MetaFormer layers', () => {
  it("hold timm's keys and shapes", () => {
    expect(shapes(new Affine(8))).toEqual({ alpha: [1, 1, 8], beta: [1, 1, 8] });
    expect(shapes(new StarReLU())).toEqual({ scale: [1], bias: [1] });
    expect(shapes(new Scale(8))).toEqual({ scale: [8] });
    expect(shapes(new GroupNorm1(8, { bias: false }))).toEqual({ weight: [8] });
    expect(shapes(new PoolingMixer())).toEqual({});
    expect(shapes(new SepConvMixer(4))).toEqual({
      'pwconv1.weight': [8, 4, 1, 1], 'act1.scale': [1], 'act1.bias': [1], 'dwconv.weight': [8, 1, 7, 7], 'pwconv2.weight': [4, 8, 1, 1],
    });
    const gmlp = new GatedMlp(4, { hiddenFeatures: 12, gateLayer: (h) => new SpatialGatingUnit(h, 9) });
    expect(shapes(gmlp)).toEqual({
      'fc1.weight': [12, 4], 'fc1.bias': [12], 'gate.norm.weight': [6], 'gate.norm.bias': [6], 'gate.proj.weight': [9, 9], 'gate.proj.bias': [9],
      'fc2.weight': [4, 6], 'fc2.bias': [4],
    });
    expect(gmlp.forward(tf.ones([2, 9, 4])).shape).toEqual([2, 9, 4]);
  });

  it('StarReLU is scale * relu(x)² + bias; PoolingMixer is the padding-free 3×3 average minus x', () => {
    const x = tf.tensor4d([-2, 1, 3, 0], [1, 2, 2, 1]);
    expect(Array.from(new StarReLU({ scaleValue: 2, biasValue: 0.5 }).forward(x).dataSync())).toEqual([0.5, 2.5, 18.5, 0.5]);
    // Each output averages the whole 2×2 map (padding not counted): mean 0.5.
    expect(Array.from(new PoolingMixer().forward(x).dataSync())).toEqual([2.5, -0.5, -2.5, 0.5]);
  });

  it('GroupNorm1 normalises a 56×56×64 sample as float64 does (offset data, where one float32 sum drifts)', () => {
    const [H, W, C] = [56, 56, 64];
    const n = H * W * C;
    const data = new Float32Array(n);
    for (let i = 0; i < n; i++) data[i] = Math.fround(3 + Math.sin(i * 0.37) * 0.5 + ((i % 97) / 97) * 0.1);
    let mean = 0;
    for (const v of data) mean += v;
    mean /= n;
    let variance = 0;
    for (const v of data) variance += (v - mean) ** 2;
    variance /= n;
    const y = new GroupNorm1(C).forward(tf.tensor4d(data, [1, H, W, C])).dataSync();
    let worst = 0;
    for (let i = 0; i < n; i++) worst = Math.max(worst, Math.abs(y[i]! - (data[i]! - mean) / Math.sqrt(variance + 1e-5)));
    expect(worst).toBeLessThan(2e-5);
  });
});
