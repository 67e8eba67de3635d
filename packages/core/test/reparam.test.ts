import * as tf from '@tensorflow/tfjs-core';
import { beforeAll, describe, expect, it } from 'vitest';
import {
  type Module,
  MobileOneBlock,
  RepConditionalPosEnc,
  RepMixer,
  ReparamLargeKernelConv,
  reparameterizeModules,
  Sequential,
  type StateDict,
  setBackend,
} from '../src/index.js';

beforeAll(async () => {
  await setBackend('wasm');
});

/** Every float tensor of `m` filled with deterministic values (running variances positive), as a trained model's. */
function fill(m: Module, seed: number): void {
  const sd: StateDict = {};
  let t = seed;
  for (const [k, v] of Object.entries(m.stateDict())) {
    t++;
    if (v.dtype !== 'float32') {
      sd[k] = v;
      continue;
    }
    const n = v.shape.reduce((a, b) => a * b, 1);
    const f = k.endsWith('running_var') ? (i: number) => 0.5 + Math.abs(Math.sin(i * 1.3 + t)) : (i: number) => Math.sin(i * 0.77 + t * 1.9) * 0.4;
    sd[k] = { dtype: 'float32', shape: v.shape, data: Float32Array.from({ length: n }, (_, i) => f(i)) };
  }
  m.loadStateDict(sd);
}

const maxDiff = (a: tf.Tensor, b: tf.Tensor) => tf.tidy(() => tf.max(tf.abs(tf.sub(a, b))).dataSync()[0]!);
const input = (h: number, c: number) => tf.tensor4d(Float32Array.from({ length: 2 * h * h * c }, (_, i) => Math.cos(i * 0.37)), [2, h, h, c]);

/** Forward before and after `reparameterize()` agree, and no train-time key is left. */
function expectFusedEqual(m: Module & { reparameterize(): void }, x: tf.Tensor, trainKeys: RegExp): string[] {
  const before = m.forward(x);
  m.reparameterize();
  const after = m.forward(x);
  const keys = Object.keys(m.stateDict());
  expect(keys.filter((k) => trainKeys.test(k))).toEqual([]);
  expect(maxDiff(before, after)).toBeLessThan(1e-4);
  m.reparameterize(); // idempotent
  expect(maxDiff(after, m.forward(x))).toBe(0);
  tf.dispose([before, after]);
  return keys;
}

describe('re-parameterisable blocks fold into one conv with the same output', () => {
  it('MobileOneBlock: kxk branches + 1×1 scale + BN skip (+ SE), dense and depthwise, strided or not', () => {
    const x = input(8, 6);
    const dense = new MobileOneBlock(6, 6, 3, { numConvBranches: 2, useSe: true });
    expect(Object.keys(dense.stateDict()).map((k) => k.split('.').slice(0, 2).join('.'))).toEqual(expect.arrayContaining(['se.fc1', 'identity.weight', 'conv_kxk.1', 'conv_scale.conv']));
    fill(dense, 1);
    expect(expectFusedEqual(dense, x, /identity|conv_kxk|conv_scale/)).toEqual(['se.fc1.weight', 'se.fc1.bias', 'se.fc2.weight', 'se.fc2.bias', 'reparam_conv.weight', 'reparam_conv.bias']);
    const dw = new MobileOneBlock(6, 6, 3, { stride: 2, groupSize: 1, actLayer: 'relu' });
    expect(dw.identity).toBeNull(); // no skip when the block strides
    fill(dw, 2);
    expectFusedEqual(dw, x, /conv_kxk|conv_scale/);
    const widen = new MobileOneBlock(6, 12, 1);
    expect(widen.conv_scale).toBeNull(); // no scale branch for a 1×1 kernel
    fill(widen, 3);
    expectFusedEqual(widen, x, /conv_kxk/);
    for (const m of [dense, dw, widen]) m.dispose();
    x.dispose();
  });

  it('ReparamLargeKernelConv: the small kernel centred in the large one; SE and activation after', () => {
    const x = input(9, 4);
    const m = new ReparamLargeKernelConv(4, 8, 7, { stride: 2, groupSize: 1, smallKernel: 3, useSe: true, actLayer: 'gelu' });
    fill(m, 4);
    expectFusedEqual(m, x, /large_conv|small_conv/);
    expect(() => new ReparamLargeKernelConv(4, 4, 3, { smallKernel: 5 })).toThrow(/smallKernel \(5\) cannot be larger than kernelSize \(3\)/);
    m.dispose();
    x.dispose();
  });

  it('RepConditionalPosEnc and RepMixer (with and without layer scale) fold their skips into the kernel', () => {
    const x = input(7, 5);
    const cpe = new RepConditionalPosEnc(5, { spatialShape: 7 });
    fill(cpe, 5);
    expectFusedEqual(cpe, x, /pos_enc/);
    expect(() => new RepConditionalPosEnc(5, { spatialShape: [7, 0] as never })).toThrow(/spatialShape/);
    for (const layerScaleInitValue of [1e-5, null]) {
      const mixer = new RepMixer(5, { layerScaleInitValue });
      fill(mixer, 6);
      expect(expectFusedEqual(mixer, x, /norm|mixer|layer_scale/)).toEqual(['reparam_conv.weight', 'reparam_conv.bias']);
      mixer.dispose();
    }
    cpe.dispose();
    x.dispose();
  });

  it('reparameterizeModules fuses every block below a module once, outermost first, and counts them', () => {
    const x = input(8, 4);
    const net = new Sequential([new MobileOneBlock(4, 4, 3), new RepMixer(4), new RepConditionalPosEnc(4, { spatialShape: 3 })]);
    fill(net, 7);
    const before = net.forward(x);
    expect(reparameterizeModules(net)).toBe(3);
    expect(Object.keys(net.stateDict())).toEqual(['0.reparam_conv.weight', '0.reparam_conv.bias', '1.reparam_conv.weight', '1.reparam_conv.bias', '2.reparam_conv.weight', '2.reparam_conv.bias']);
    const after = net.forward(x);
    expect(maxDiff(before, after)).toBeLessThan(1e-4);
    tf.dispose([before, after, x]);
    net.dispose();
  });
});
