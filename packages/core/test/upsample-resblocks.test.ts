import * as tf from '@tensorflow/tfjs-core';
import { beforeAll, describe, expect, it } from 'vitest';
import { type BatchNorm2d, type Conv2d, type Module, makeResLayer, BasicBlock, Bottleneck, resDownsample, setBackend, Upsample, upsampleNearest } from '../src/index.js';

beforeAll(async () => {
  await setBackend('wasm');
});

/** Random (seeded) weights and BN statistics for every parameter of `m`, so folded and plain paths can differ. */
function randomize(m: Module, seed: number): void {
  const sd: Record<string, { dtype: 'float32'; shape: number[]; data: Float32Array }> = {};
  let s = seed;
  for (const [k, p] of m.namedParams()) {
    if (p.dtype === 'int64') continue;
    const n = p.shape.reduce((a, b) => a * b, 1);
    const data = new Float32Array(n);
    for (let i = 0; i < n; i++) {
      s = (s * 1103515245 + 12345) % 2147483648;
      const u = s / 2147483648;
      data[i] = k.endsWith('running_var') ? 0.5 + u : k.endsWith('weight') && p.shape.length === 1 ? 0.5 + u : u - 0.5;
    }
    sd[k] = { dtype: 'float32', shape: [...p.shape], data };
  }
  m.loadStateDict(sd, { strict: false });
}

const convBn = (x: tf.Tensor, conv: Conv2d, bn: Module) => bn.forward(conv.forward(x));
/** max |a - b| relative to max(1, max |b|): folding BN into the conv reorders float32 rounding. */
const relDiff = (a: tf.Tensor, b: tf.Tensor) => tf.tidy(() => tf.max(tf.abs(tf.sub(a, b))).dataSync()[0]! / Math.max(1, tf.max(tf.abs(b)).dataSync()[0]!));

describe("nearest upsampling by an integer factor (torch's nn.Upsample(mode='nearest'))", () => {
  it('repeats every pixel s×s times: output[y][x] = input[floor(y/s)][floor(x/s)]', () => {
    for (const s of [2, 3, 4, 8]) {
      const [h, w, c] = [3, 5, 2];
      const data = Float32Array.from({ length: h * w * c }, (_, i) => i * 0.25 - 3);
      const x = tf.tensor4d(data, [1, h, w, c]);
      const y = upsampleNearest(x, s);
      expect(y.shape).toEqual([1, h * s, w * s, c]);
      const got = y.dataSync();
      for (let yy = 0; yy < h * s; yy++) {
        for (let xx = 0; xx < w * s; xx++) {
          for (let k = 0; k < c; k++) {
            expect(got[(yy * w * s + xx) * c + k]).toBe(data[(Math.floor(yy / s) * w + Math.floor(xx / s)) * c + k]);
          }
        }
      }
      tf.dispose([x, y]);
    }
  });

  it('is a parameter-free module, and refuses a factor that is not a positive integer', () => {
    const up = new Upsample(4);
    expect(up.namedParams()).toEqual([]);
    const x = tf.ones([2, 1, 2, 3]);
    const y = up.forward(x);
    expect(y.shape).toEqual([2, 4, 8, 3]);
    tf.dispose([x, y]);
    expect(() => new Upsample(1.5)).toThrow(/scaleFactor must be a positive integer, got 1.5/);
    expect(() => new Upsample(0)).toThrow(/positive integer/);
    const flat = tf.ones([2, 3]);
    expect(() => upsampleNearest(flat, 2)).toThrow(/NHWC \(rank 4\)/);
    flat.dispose();
  });
});

describe("ResNet's default BasicBlock and Bottleneck as core layers", () => {
  it("have timm's keys, with a 1×1 conv + BN shortcut only where the stride or width changes", () => {
    const keys = (m: Module) => m.namedParams().map(([k]) => k).filter((k) => !k.includes('running') && !k.includes('num_batches'));
    const basic = makeResLayer(BasicBlock, 16, 16, 2);
    expect(keys(basic)).toEqual(['0.conv1.weight', '0.bn1.weight', '0.bn1.bias', '0.conv2.weight', '0.bn2.weight', '0.bn2.bias', '1.conv1.weight', '1.bn1.weight', '1.bn1.bias', '1.conv2.weight', '1.bn2.weight', '1.bn2.bias']);
    const bottle = makeResLayer(Bottleneck, 64, 32, 2);
    expect(keys(bottle).filter((k) => k.startsWith('0.'))).toEqual([
      '0.conv1.weight', '0.bn1.weight', '0.bn1.bias', '0.conv2.weight', '0.bn2.weight', '0.bn2.bias', '0.conv3.weight', '0.bn3.weight', '0.bn3.bias',
      '0.downsample.0.weight', '0.downsample.1.weight', '0.downsample.1.bias',
    ]);
    expect(bottle.namedParams().find(([k]) => k === '1.conv1.weight')![1].shape).toEqual([32, 128, 1, 1]);
    expect(keys(makeResLayer(BasicBlock, 16, 16, 1, 2)).some((k) => k.includes('downsample'))).toBe(true);
    for (const m of [basic, bottle]) m.dispose();
  });

  it('compute conv → BN → ReLU … + shortcut, ReLU exactly as the unfused layers do', () => {
    const x = tf.randomNormal([2, 8, 8, 16], 0, 1, 'float32', 3);
    const basic = new BasicBlock({ inplanes: 16, planes: 24, stride: 2, downsample: resDownsample(16, 24, 2) });
    randomize(basic, 1);
    const bRef = tf.tidy(() => {
      const y = convBn(tf.relu(convBn(x, basic.conv1, basic.bn1)), basic.conv2, basic.bn2);
      const ds = basic.downsample!;
      return tf.relu(tf.add(y, (ds.getChild('1') as BatchNorm2d).forward((ds.getChild('0') as Conv2d).forward(x))));
    });
    const bOut = basic.forward(x);
    expect(bOut.shape).toEqual([2, 4, 4, 24]);
    expect(relDiff(bOut, bRef)).toBeLessThan(1e-6);

    const bottle = new Bottleneck({ inplanes: 16, planes: 4 });
    randomize(bottle, 2);
    const nRef = tf.tidy(() => {
      let y = tf.relu(convBn(x, bottle.conv1, bottle.bn1));
      y = tf.relu(convBn(y, bottle.conv2, bottle.bn2));
      return tf.relu(tf.add(convBn(y, bottle.conv3, bottle.bn3), x));
    });
    const nOut = bottle.forward(x);
    expect(nOut.shape).toEqual([2, 8, 8, 16]);
    expect(relDiff(nOut, nRef)).toBeLessThan(1e-6);
    tf.dispose([x, bRef, bOut, nRef, nOut]);
    basic.dispose();
    bottle.dispose();
  });
});
