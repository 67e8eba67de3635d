import * as tf from '@tensorflow/tfjs-core';
import { BatchNorm2d, Conv2d, createModel, freezeExcept, Linear, Sequential, setBackend, type VisionModel } from '@zoo/core';
import { differentiableConv2d } from '@zoo/core/layers';
import { beforeAll, describe, expect, it } from 'vitest';
import '@zoo/resnet';
import '@zoo/vit';
import { createLoss, createOptimizer, OptimizerError, paramGroupsWeightDecay, registerGradients, trainStep } from '../src/index.js';

beforeAll(async () => {
  expect((await setBackend('wasm')).backend).toBe('wasm');
  registerGradients();
});

describe('conv gradients on wasm', () => {
  // L = Σ conv(x, w) · r is linear in x and in w, so each partial derivative is L at a one-hot x (or w): computed
  // with tfjs' own forward conv, independent of the autodiff path under test.
  const cases = [
    { name: 'regular 3×3 stride 2, TF SAME pads', k: 3, s: 2, pads: [0, 1, 0, 1] as [number, number, number, number], depthwise: false },
    { name: 'regular 3×3 stride 1 pad 1', k: 3, s: 1, pads: [1, 1, 1, 1] as [number, number, number, number], depthwise: false },
    { name: 'regular 5×5 stride 2 pad 2 (odd size)', k: 5, s: 2, pads: [2, 2, 2, 2] as [number, number, number, number], depthwise: false },
    { name: 'regular 1×1 stride 2', k: 1, s: 2, pads: [0, 0, 0, 0] as [number, number, number, number], depthwise: false },
    { name: 'regular 3×3 pad 0 (valid)', k: 3, s: 1, pads: [0, 0, 0, 0] as [number, number, number, number], depthwise: false },
    { name: 'depthwise 3×3 stride 1', k: 3, s: 1, pads: [1, 1, 1, 1] as [number, number, number, number], depthwise: true },
    { name: 'depthwise 5×5 stride 2 pad 2', k: 5, s: 2, pads: [2, 2, 2, 2] as [number, number, number, number], depthwise: true },
    { name: 'depthwise 3×3 stride 2, TF SAME pads', k: 3, s: 2, pads: [0, 1, 0, 1] as [number, number, number, number], depthwise: true },
  ];
  for (const c of cases) {
    it(`input and filter gradients are exact: ${c.name}`, () => {
      const cin = 2;
      const cout = c.depthwise ? cin : 3;
      const xShape: [number, number, number, number] = [1, 5, 5, cin];
      const wShape: [number, number, number, number] = c.depthwise ? [c.k, c.k, cin, 1] : [c.k, c.k, cin, cout];
      const x = tf.randomNormal(xShape, 0, 1, 'float32', 1) as tf.Tensor4D;
      const w = tf.randomNormal(wShape, 0, 1, 'float32', 2) as tf.Tensor4D;
      const explicit = [[0, 0], [c.pads[0], c.pads[1]], [c.pads[2], c.pads[3]], [0, 0]] as never;
      const ref = (xi: tf.Tensor4D, wi: tf.Tensor4D) => (c.depthwise ? tf.depthwiseConv2d(xi, wi, c.s, explicit) : tf.conv2d(xi, wi, c.s, explicit));
      const r = tf.randomNormal(ref(x, w).shape, 0, 1, 'float32', 3);
      const L = (xi: tf.Tensor4D, wi: tf.Tensor4D) => tf.tidy(() => tf.sum(tf.mul(ref(xi, wi), r)).dataSync()[0]!);
      const geometry = { stride: c.s, dilation: 1, pads: c.pads, groups: c.depthwise ? cin : 1, depthwise: c.depthwise };
      const [dx, dw] = tf.grads((a: tf.Tensor, b: tf.Tensor) => tf.sum(tf.mul(differentiableConv2d(a as tf.Tensor4D, b as tf.Tensor4D, null, geometry), r)))([x, w]);
      const oneHot = (shape: number[], i: number) => {
        const d = new Float32Array(shape.reduce((p, n) => p * n, 1));
        d[i] = 1;
        return tf.tensor(d, shape);
      };
      const check = (grad: tf.Tensor, shape: number[], at: (e: tf.Tensor4D) => number) => {
        const g = grad.dataSync();
        for (let i = 0; i < g.length; i++) {
          const e = oneHot(shape, i) as tf.Tensor4D;
          expect(Math.abs(g[i]! - at(e)), `${shape} ${i}`).toBeLessThan(1e-4);
          e.dispose();
        }
      };
      check(dx!, xShape, (e) => L(e, w));
      check(dw!, wShape, (e) => L(x, e));
    });
  }
});

describe('createOptimizer', () => {
  /** One parameter p = [1, -2] (a 2-element weight of a Linear(1, 2)), gradient g = [0.5, 0.25], two steps. */
  async function twoSteps(opt: 'sgd' | 'momentum' | 'adam' | 'adamw' | 'rmsproptf', weightDecay: number): Promise<number[]> {
    const lin = new Linear(1, 2, { bias: false });
    lin.weight.setTensor(tf.tensor2d([[1, -2]]));
    const o = createOptimizer(lin, { opt, lr: 0.1, momentum: 0.9, weightDecay, filterBiasAndBn: false });
    const g = tf.tensor2d([[0.5, 0.25]]);
    o.step(new Map([[lin.weight, g]]));
    o.step(new Map([[lin.weight, g]]));
    const out = Array.from(lin.weight.value.dataSync());
    o.dispose();
    g.dispose();
    lin.dispose();
    return out;
  }

  it('follows torch.optim: Nesterov SGD (timm sgd), momentum, Adam (L2) and AdamW (decoupled)', async () => {
    // Written out from torch.optim's update rules for p = 1, g = 0.5 (first element), lr 0.1.
    const wd = 0.01;
    // SGD Nesterov: d1 = g + wd·p0; buf1 = d1; p1 = p0 - lr(d1 + m·buf1); d2 = g + wd·p1; buf2 = m·buf1 + d2; p2 = p1 - lr(d2 + m·buf2)
    const p0 = 1;
    const g = 0.5;
    const d1 = g + wd * p0;
    const p1 = p0 - 0.1 * (d1 + 0.9 * d1);
    const d2 = g + wd * p1;
    const buf2 = 0.9 * d1 + d2;
    expect((await twoSteps('sgd', wd))[0]).toBeCloseTo(p1 - 0.1 * (d2 + 0.9 * buf2), 6);
    // Plain momentum: p -= lr·buf
    const q1 = p0 - 0.1 * d1;
    const e2 = g + wd * q1;
    expect((await twoSteps('momentum', wd))[0]).toBeCloseTo(q1 - 0.1 * (0.9 * d1 + e2), 6);
    // AdamW, two steps with the same gradient: m̂ = g, v̂ = g² each step, so each step moves by lr·g/(|g| + ε') after decay.
    const adamwStep = (p: number) => p * (1 - 0.1 * wd) - 0.1 * (g / (Math.abs(g) + 1e-8));
    expect((await twoSteps('adamw', wd))[0]).toBeCloseTo(adamwStep(adamwStep(p0)), 5);
    // Adam with L2: gradient g + wd·p enters the moments.
    const a1 = p0 - 0.1 * Math.sign(g + wd * p0);
    const ga = g + wd * a1;
    const gb = g + wd * p0;
    const m = (0.9 * 0.1 * gb + 0.1 * ga) / (1 - 0.81);
    const v = (0.999 * 0.001 * gb * gb + 0.001 * ga * ga) / (1 - 0.999 ** 2);
    expect((await twoSteps('adam', wd))[0]).toBeCloseTo(a1 - (0.1 * m) / (Math.sqrt(v) + 1e-8), 5);
    // RMSpropTF: sq from 1, eps 1e-10 inside the root, lr inside the momentum buffer.
    const ra = g + wd * p0;
    const sq1 = 1 + (ra * ra - 1) * 0.1;
    const buf1 = (0.1 * ra) / Math.sqrt(sq1 + 1e-10);
    const r1 = p0 - buf1;
    const rb = g + wd * r1;
    const sq2 = sq1 + (rb * rb - sq1) * 0.1;
    expect((await twoSteps('rmsproptf', wd))[0]).toBeCloseTo(r1 - (0.9 * buf1 + (0.1 * rb) / Math.sqrt(sq2 + 1e-10)), 6);
  });

  it("splits groups as timm's param_groups_weight_decay, with the model's noWeightDecay()", async () => {
    const vit = (await createModel('vit_tiny_patch16_224', { imgSize: 32 })) as VisionModel;
    const [noDecay, decay] = paramGroupsWeightDecay(vit, 0.05, vit.noWeightDecay());
    const names = noDecay.params.map(([n]) => n);
    expect(names).toContain('pos_embed');
    expect(names).toContain('cls_token');
    expect(names).toContain('blocks.0.norm1.weight');
    expect(names).toContain('head.bias');
    expect(decay.params.map(([n]) => n)).toContain('blocks.0.attn.qkv.weight');
    expect(decay.weightDecay).toBe(0.05);
    expect(noDecay.weightDecay).toBe(0);
    vit.dispose();
  });

  it('rejects unknown names and bad values, naming them', () => {
    const lin = new Linear(2, 2);
    expect(() => createOptimizer(lin, { opt: 'adagrad' as never, lr: 0.1 })).toThrow(OptimizerError);
    expect(() => createOptimizer(lin, { opt: 'adagrad' as never, lr: 0.1 })).toThrow(/'adagrad'.*sgd, nesterov, momentum, adam, adamw, lamb, lambc, rmsproptf/);
    expect(() => createOptimizer(lin, { opt: 'sgd', lr: Number.NaN })).toThrow(/lr must be/);
    expect(() => createOptimizer(lin, { opt: 'adamw', lr: 0.1, betas: [0.9, 1] })).toThrow(/betas/);
    lin.dispose();
  });
});

describe('createLoss', () => {
  it('label smoothing CE and plain CE as timm / PyTorch define them', () => {
    const logits = tf.tensor2d([
      [1, 2, 3],
      [0, -1, 0.5],
    ]);
    const target = tf.tensor1d([2, 0], 'int32');
    const lsm = (row: number[]) => {
      const mx = Math.max(...row);
      const z = Math.log(row.reduce((s, v) => s + Math.exp(v - mx), 0)) + mx;
      return row.map((v) => v - z);
    };
    const l0 = lsm([1, 2, 3]);
    const l1 = lsm([0, -1, 0.5]);
    const ce = (-l0[2]! - l1[0]!) / 2;
    const smooth = (-(l0[0]! + l0[1]! + l0[2]!) / 3 - (l1[0]! + l1[1]! + l1[2]!) / 3) / 2;
    expect(createLoss()(logits, target).dataSync()[0]).toBeCloseTo(ce, 5);
    expect(createLoss({ smoothing: 0.1 })(logits, target).dataSync()[0]).toBeCloseTo(0.9 * ce + 0.1 * smooth, 5);
    expect(() => createLoss({ smoothing: 1 })).toThrow(/smoothing must be in \[0, 1\)/);
  });
});

describe('trainStep', () => {
  it('head-only fine-tuning: frozen parameters and frozen BN statistics stay; tensor count constant over steps', async () => {
    const model = (await createModel('resnet10t', { numClasses: 3 })) as VisionModel;
    model.train();
    freezeExcept(model, ['fc']);
    const before = model.stateDict();
    const opt = createOptimizer(model, { opt: 'sgd', lr: 0.01, weightDecay: 1e-4 });
    expect(opt.groups.flatMap((g) => g.params.map(([n]) => n)).sort()).toEqual(['fc.bias', 'fc.weight']);
    const x = tf.randomNormal([4, 32, 32, 3], 0, 1, 'float32', 9);
    const loss = createLoss();
    const losses: number[] = [];
    const counts: number[] = [];
    for (let i = 0; i < 6; i++) {
      losses.push((await trainStep(model, opt, x, [0, 1, 2, 0], loss)).loss);
      counts.push(tf.memory().numTensors);
    }
    // Momentum buffers appear after the first step; after that nothing accumulates.
    expect(new Set(counts.slice(1)).size).toBe(1);
    expect(losses[5]!).toBeLessThan(losses[0]!);
    const after = model.stateDict();
    for (const k of Object.keys(before)) {
      const same = before[k]!.data.every((v, i) => v === after[k]!.data[i]);
      expect(same, k).toBe(!k.startsWith('fc.'));
    }
    opt.dispose();
    x.dispose();
    model.dispose();
  });

  it('leaves the model untouched and frees everything when the loss throws', async () => {
    const m = new Sequential([new Conv2d(3, 4, 3), new BatchNorm2d(4)]).train();
    const opt = createOptimizer(m, { opt: 'sgd', lr: 0.1 });
    const x = tf.randomNormal([1, 5, 5, 3], 0, 1, 'float32', 1);
    const w0 = Array.from(m.at(0).getParam('weight')!.value.dataSync());
    m.stateDict(); // parameters are created lazily, on first use
    const n = tf.memory().numTensors;
    await expect(
      trainStep(m, opt, x, [0], () => {
        throw new Error('boom');
      }),
    ).rejects.toThrow('boom');
    expect(tf.memory().numTensors).toBe(n);
    expect(Array.from(m.at(0).getParam('weight')!.value.dataSync())).toEqual(w0);
    opt.dispose();
    x.dispose();
    m.dispose();
  });
});
