import { readFileSync } from 'node:fs';
import { join } from 'node:path';
import * as tf from '@tensorflow/tfjs-core';
import { createModel, type GroupMatcher, Module, type Param, type StateDict, setBackend } from '@zoo/core';
import { afterAll, beforeAll, describe, expect, it } from 'vitest';
import '@zoo/resnet';
import {
  type CreateSchedulerOptions,
  createLoss,
  createOptimizer,
  createScheduler,
  LossError,
  Mixup,
  MixupError,
  type MixupOptions,
  type MixupRandom,
  ModelEma,
  ModelEmaError,
  type ModelEmaOptions,
  Optimizer,
  OptimizerError,
  type OptName,
  PlateauLRScheduler,
  type PlateauOptions,
  registerGradients,
  SchedulerError,
  softTargetCrossEntropy,
  trainStep,
} from '../src/index.js';

/**
 * Lamb, layer-wise lr decay, the soft-target / BCE losses, the schedulers (plateau among them), Mixup / CutMix and
 * ModelEmaV3 against `fixtures/timm_extras.json`, which `fixtures/make_train_extras.py` computed with timm + PyTorch.
 */
type Flat = Record<string, number[]>;
interface Extras {
  lamb: {
    name: string;
    opt: OptName;
    lr: number;
    weight_decay: number;
    layer_decay: number | null;
    sched: Record<string, unknown> | null;
    init: Flat;
    grads: Flat[];
    groups: { names: string[]; weight_decay: number; lr_scale: number }[];
    steps: { lrs: number[]; params: Flat }[];
  }[];
  losses: { logits: number[]; shape: [number, number]; cases: { name: string; options: Record<string, unknown>; target: number[]; dense: boolean; loss: number; grad: number[] }[] };
  schedulers: { name: string; kwargs: Record<string, unknown>; metrics: number[]; lrs: number[][]; num_epochs?: number }[];
  mixup: {
    x: number[];
    shape: [number, number, number, number];
    target: number[];
    cases: { name: string; options: Record<string, unknown>; draws: { fn: string; args: number[]; values: number[] }[]; x: number[]; target: number[] }[];
  };
  ema: { model: string; num_classes: number; cases: { name: string; options: Record<string, unknown>; decays: number[]; state: Record<string, { head?: number[]; sum?: number; numel?: number; int?: number }> }[] };
}

const extras = JSON.parse(readFileSync(join(import.meta.dirname, 'fixtures', 'timm_extras.json'), 'utf8')) as Extras;

/** Python keyword arguments as our camelCase options. */
function camel<T>(kw: Record<string, unknown>): T {
  return Object.fromEntries(Object.entries(kw).map(([k, v]) => [k.replace(/_([a-z])/g, (_, c: string) => c.toUpperCase()), v])) as T;
}

function expectClose(ours: ArrayLike<number>, ref: readonly number[], atol: number, rtol: number, what: string): void {
  expect(ours.length, what).toBe(ref.length);
  let worst = 0;
  let at = -1;
  for (let i = 0; i < ref.length; i++) {
    const excess = Math.abs(ours[i]! - ref[i]!) - (atol + rtol * Math.abs(ref[i]!));
    if (excess > worst) [worst, at] = [excess, i];
  }
  expect(at, `${what}: element ${at} is ${ours[at]}, timm ${ref[at]}`).toBe(-1);
}

/** A model of plain (untransposed) parameters named as the fixture's: stem, two blocks, a head. */
class Tiny extends Module {
  matcher: GroupMatcher | null = null;
  constructor() {
    super();
    const part = (params: [string, number[]][]) => {
      const m = new Module();
      for (const [n, s] of params) m.addParam(n, s);
      return m;
    };
    this.addModule('stem', part([['weight', [4, 3]], ['bias', [4]]]));
    const blocks = this.addModule('blocks', new Module());
    blocks.addModule('0', part([['weight', [4, 4]], ['norm', [4]]]));
    blocks.addModule('1', part([['weight', [4, 4]], ['bias', [4]]]));
    this.addModule('head', part([['weight', [2, 4]], ['bias', [2]]]));
  }
  groupMatcher(): GroupMatcher | null {
    return this.matcher;
  }
}

function paramsOf(m: Module): Map<string, Param> {
  return new Map(m.namedParams());
}

beforeAll(async () => {
  await setBackend('wasm');
  registerGradients();
});

describe("Lamb and layer-wise lr decay (timm's create_optimizer_v2)", () => {
  for (const c of extras.lamb) {
    it(`${c.name}: groups, lrs and parameters after ${c.steps.length} steps equal timm's`, () => {
      const start = tf.memory().numTensors;
      const model = new Tiny();
      if (c.layer_decay !== null) model.matcher = { stem: '^stem', blocks: [[String.raw`^blocks\.(\d+)`, null]] };
      const params = paramsOf(model);
      for (const [k, v] of Object.entries(c.init)) params.get(k)!.setTensor(tf.tensor(v, params.get(k)!.shape));
      const opt = createOptimizer(model, { opt: c.opt, lr: c.lr, weightDecay: c.weight_decay, ...(c.layer_decay !== null ? { layerDecay: c.layer_decay } : {}) });
      expect(opt.groups.map((g) => ({ names: g.params.map(([n]) => n), weight_decay: g.weightDecay, lr_scale: g.lrScale ?? 1 }))).toEqual(c.groups);
      const sched = c.sched ? createScheduler(opt, camel<CreateSchedulerOptions>(c.sched)).scheduler : null;
      c.steps.forEach((step, i) => {
        expectClose(
          opt.groups.map((g) => g.lr),
          step.lrs,
          0,
          1e-12,
          `lrs before step ${i + 1}`,
        );
        const grads = new Map<Param, tf.Tensor>();
        for (const [k, v] of Object.entries(c.grads[i]!)) grads.set(params.get(k)!, tf.tensor(v, params.get(k)!.shape));
        opt.step(grads);
        for (const g of grads.values()) g.dispose();
        sched?.step(i + 1);
        for (const [k, ref] of Object.entries(step.params)) expectClose(params.get(k)!.value.dataSync(), ref, 2e-6, 1e-5, `${k} after step ${i + 1}`);
      });
      opt.dispose();
      model.dispose();
      expect(tf.memory().numTensors).toBe(start);
    });
  }

  it('bad layer-decay options are named', () => {
    expect(() => createOptimizer(new Tiny(), { opt: 'lamb', lr: 0.1, layerDecay: 0 })).toThrow(OptimizerError);
    expect(() => createOptimizer(new Tiny(), { opt: 'lamb', lr: 0.1, layerDecay: 0.7, layerDecayMinScale: -1 })).toThrow(/layerDecayMinScale must be/);
  });
});

describe("losses (timm's SoftTargetCrossEntropy, BinaryCrossEntropy, LabelSmoothingCrossEntropy)", () => {
  const { logits: l, shape, cases } = extras.losses;
  for (const c of cases) {
    it(`${c.name}: value and gradient w.r.t. the logits equal PyTorch's`, () => {
      const start = tf.memory().numTensors;
      const logits = tf.tensor2d(l, shape);
      const target = c.dense ? tf.tensor2d(c.target, shape) : tf.tensor1d(c.target, 'int32');
      const loss = createLoss(c.options);
      const value = loss(logits, target);
      expect(Math.abs(value.dataSync()[0]! - c.loss)).toBeLessThan(1e-6 * Math.max(1, Math.abs(c.loss)));
      const grad = tf.grad((x: tf.Tensor) => loss(x, target))(logits);
      expectClose(grad.dataSync(), c.grad, 1e-7, 1e-5, `${c.name} gradient`);
      tf.dispose([logits, target, value, grad]);
      expect(tf.memory().numTensors).toBe(start);
    });
  }

  it('targets that do not fit, and options that need bce, are refused by name', () => {
    const logits = tf.zeros([2, 3]);
    expect(() => createLoss({ soft: true })(logits, tf.tensor1d([0, 1], 'int32'))).toThrow(/SoftTargetCrossEntropy takes dense targets \[2, 3\]/);
    expect(() => createLoss({ bce: true })(logits, tf.zeros([2, 4]))).toThrow(LossError);
    expect(() => createLoss({ bcePosWeight: 2 })).toThrow(/need bce: true/);
    logits.dispose();
  });
});

describe("schedulers (timm's create_scheduler_v2: plateau, cosine, step; groups with lr_scale)", () => {
  for (const c of extras.schedulers) {
    it(`${c.name}: every lr equals timm's`, () => {
      const groups = [1, 0.5].slice(0, c.lrs[0]!.length).map((lrScale) => ({ params: [], lr: 0.1, weightDecay: 0, lrScale }));
      const opt = new Optimizer(groups, { opt: 'sgd', lr: 0.1 });
      let sched: { step(epoch: number, metric?: number): void; stepUpdate(n: number): void };
      if (c.name === 'plateau_cooldown') sched = new PlateauLRScheduler(opt, camel<PlateauOptions>(c.kwargs));
      else {
        const made = createScheduler(opt, camel<CreateSchedulerOptions>(c.kwargs));
        expect(made.numEpochs).toBe(c.num_epochs);
        sched = made.scheduler;
      }
      const lrs = [opt.groups.map((g) => g.lr)];
      if (c.kwargs.step_on_epochs === false) for (let u = 1; u < c.lrs.length; u++) {
        sched.stepUpdate(u);
        lrs.push(opt.groups.map((g) => g.lr));
      }
      else c.metrics.forEach((m, e) => {
        sched.step(e + 1, m);
        lrs.push(opt.groups.map((g) => g.lr));
      });
      expectClose(lrs.flat(), c.lrs.flat(), 0, 1e-12, c.name);
    });
  }

  it('plateau and createScheduler refuse bad options by name', () => {
    const opt = new Optimizer([{ params: [], lr: 0.1, weightDecay: 0 }], { opt: 'sgd', lr: 0.1 });
    expect(() => new PlateauLRScheduler(opt, { mode: 'up' as 'max' })).toThrow(/mode must be 'min' or 'max'/);
    expect(() => createScheduler(opt, { sched: 'plateau', stepOnEpochs: false, updatesPerEpoch: 4 })).toThrow(SchedulerError);
    expect(() => createScheduler(opt, { sched: 'cosine', stepOnEpochs: false })).toThrow(/updatesPerEpoch/);
    expect(() => createScheduler(opt, { sched: 'poly' as 'step' })).toThrow(/unknown sched 'poly'/);
  });
});

/** numpy's recorded draws, replayed in order; a call of another kind or with other arguments than timm's fails. */
function replay(draws: { fn: string; args: number[]; values: number[] }[]): MixupRandom & { left(): number } {
  const queue = draws.flatMap((d) => d.values.map((v) => ({ fn: d.fn, args: d.args, v })));
  const take = (fn: string, args: number[]): number => {
    const d = queue.shift();
    if (!d || d.fn !== fn || d.args.some((a, i) => Math.abs(a - args[i]!) > 1e-6)) {
      throw new Error(`mixup drew ${fn}(${args.join(', ')}) where timm drew ${d ? `${d.fn}(${d.args.join(', ')})` : 'nothing more'}`);
    }
    return d.v;
  };
  return { random: () => take('rand', []), beta: (a, b) => take('beta', [a, b]), randint: (lo, hi) => take('randint', [lo, hi]), left: () => queue.length };
}

describe("Mixup / CutMix (timm's, numpy's draws replayed)", () => {
  const { x: xs, shape, target, cases } = extras.mixup;
  for (const c of cases) {
    it(`${c.name}: mixed images and targets equal timm's`, () => {
      const x = tf.tensor4d(xs, shape);
      const start = tf.memory().numTensors;
      const random = replay(c.draws);
      const out = new Mixup({ ...camel<MixupOptions>(c.options), numClasses: 5, random }).apply(x, target);
      expect(random.left()).toBe(0);
      expectClose(out.x.dataSync(), c.x, 1e-6, 1e-6, 'x');
      expectClose(out.target.dataSync(), c.target, 1e-7, 1e-6, 'target');
      tf.dispose([out.x, out.target]);
      expect(tf.memory().numTensors).toBe(start);
      x.dispose();
    });
  }

  it('the seeded default is reproducible; odd batches and bad options are refused', () => {
    const x = tf.randomUniform([4, 6, 6, 3], 0, 1, 'float32', 1);
    const a = new Mixup({ mixupAlpha: 0.8, cutmixAlpha: 1, mode: 'elem', numClasses: 3, seed: 7 }).apply(x, [0, 1, 2, 0]);
    const b = new Mixup({ mixupAlpha: 0.8, cutmixAlpha: 1, mode: 'elem', numClasses: 3, seed: 7 }).apply(x, [0, 1, 2, 0]);
    expect(Array.from(a.x.dataSync())).toEqual(Array.from(b.x.dataSync()));
    expect(a.lam).toEqual(b.lam);
    expect((a.lam as number[]).some((l) => l !== 1)).toBe(true);
    // Each target row is a distribution.
    const rows = tf.sum(a.target, 1).dataSync();
    for (const r of rows) expect(r).toBeCloseTo(1, 5);
    tf.dispose([a.x, a.target, b.x, b.target]);
    expect(() => new Mixup({ numClasses: 3 }).apply(tf.zeros([3, 4, 4, 3]), [0, 1, 2])).toThrow(/batch size must be even, got 3/);
    expect(() => new Mixup({ numClasses: 3 }).apply(x, [0, 1, 2, 3])).toThrow(MixupError);
    expect(() => new Mixup({ mixupAlpha: 0 })).toThrow(/one of mixupAlpha > 0/);
    x.dispose();
  });
});

/** The fixture's deterministic state: float entry i of key k = sin(0.37 i + 1.3 k)·0.1·(1 + 0.25·step), ints step + 3. */
function patternState(model: Module, step: number): StateDict {
  const sd: StateDict = {};
  model.namedParams().forEach(([name, p], k) => {
    const n = p.shape.reduce((a, b) => a * b, 1);
    if (p.dtype === 'int64') sd[name] = { dtype: 'int64', shape: [...p.shape], data: BigInt64Array.of(BigInt(step + 3)) };
    else {
      const data = new Float32Array(n);
      for (let i = 0; i < n; i++) data[i] = Math.fround(Math.fround(Math.sin(i * 0.37 + k * 1.3) * 0.1) * (1 + 0.25 * step));
      sd[name] = { dtype: 'float32', shape: [...p.shape], data };
    }
  });
  return sd;
}

describe("ModelEma (timm's ModelEmaV3) on a zoo model", () => {
  const built: Module[] = [];
  afterAll(() => {
    for (const m of built) m.dispose();
  });

  for (const c of extras.ema.cases) {
    it(`${c.name}: decays and the averaged state after 4 updates equal timm's`, async () => {
      const model = await createModel(extras.ema.model, { numClasses: extras.ema.num_classes });
      const copy = await createModel(extras.ema.model, { numClasses: extras.ema.num_classes });
      built.push(model, copy);
      // The fixture's state order is the state dict's (params, then buffers, per module), ours interleaves them the
      // same way: check before relying on the index k.
      expect(model.namedParams().map(([n]) => n)).toEqual(Object.keys(c.state));
      model.loadStateDict(patternState(model, 0));
      const ema = new ModelEma(model, copy, camel<ModelEmaOptions>(c.options));
      const start = tf.memory().numTensors;
      const decays: number[] = [];
      for (let step = 1; step <= 4; step++) {
        model.loadStateDict(patternState(model, step));
        decays.push(ema.getDecay(step));
        ema.update(model, step);
      }
      expect(tf.memory().numTensors).toBe(start);
      expectClose(decays, c.decays, 0, 1e-12, 'decays');
      const sd = ema.module.stateDict();
      for (const [name, ref] of Object.entries(c.state)) {
        const got = sd[name]!;
        if (ref.int !== undefined) {
          expect(Number((got.data as BigInt64Array)[0]), name).toBe(ref.int);
          continue;
        }
        const data = got.data as Float32Array;
        expectClose(data.subarray(0, ref.head!.length), ref.head!, 1e-7, 1e-6, `${name} head`);
        let sum = 0;
        for (const v of data) sum += v;
        // float32 rounding of each average, summed over up to ~10⁵ elements.
        expect(Math.abs(sum - ref.sum!), `${name} sum`).toBeLessThan(1e-6 * ref.numel! + 1e-6);
      }
    });
  }

  it('Mixup targets train a zoo model through trainStep with the soft loss, and the EMA follows', async () => {
    const model = await createModel('test_resnet', { numClasses: 4 });
    const copy = await createModel('test_resnet', { numClasses: 4 });
    built.push(model, copy);
    model.train();
    const ema = new ModelEma(model, copy, { decay: 0.5 });
    const x = tf.randomUniform([2, 32, 32, 3], 0, 1, 'float32', 5);
    const mixed = new Mixup({ mixupAlpha: 1, numClasses: 4, seed: 3 }).apply(x, [1, 3]);
    const loss = createLoss({ soft: true });
    // The loss trainStep reports is the soft-target loss of this forward (train-mode BN, same batch statistics).
    const logits = model.forward(mixed.x) as tf.Tensor;
    const expected = softTargetCrossEntropy()(logits, mixed.target);
    const fcBefore = model.namedParams().find(([n]) => n === 'fc.weight')![1];
    const w0 = Float32Array.from(fcBefore.value.dataSync());
    const opt = createOptimizer(model, { opt: 'lamb', lr: 0.01, weightDecay: 0.05, layerDecay: 0.8 });
    const { loss: value } = await trainStep(model, opt, mixed.x, mixed.target, loss);
    expect(value).toBeCloseTo(expected.dataSync()[0]!, 5);
    const w1 = fcBefore.value.dataSync();
    expect(w1.some((v, i) => v !== w0[i])).toBe(true);
    ema.update(model, 2);
    const e = copy.namedParams().find(([n]) => n === 'fc.weight')![1].value.dataSync();
    // decay 0.5: the average is halfway between the old and the new weights.
    expectClose(e, Array.from(w1, (v, i) => 0.5 * v + 0.5 * w0[i]!), 1e-7, 1e-6, 'ema fc.weight');
    tf.dispose([x, mixed.x, mixed.target, logits, expected]);
    opt.dispose();
  });

  it('the EMA copy stays in eval mode, validates as a model, and must match the architecture', async () => {
    const model = await createModel('test_resnet', { numClasses: 4 });
    const copy = await createModel('test_resnet', { numClasses: 4 });
    const other = await createModel('test_resnet', { numClasses: 3 });
    built.push(model, copy, other);
    model.train();
    const ema = new ModelEma(model, copy, { decay: 0.5 });
    expect(ema.module.training).toBe(false);
    const x = tf.randomUniform([1, 32, 32, 3], 0, 1, 'float32', 3);
    const a = ema.module.forward(x) as tf.Tensor;
    model.eval();
    const b = model.forward(x) as tf.Tensor;
    // Just set from the model: the same logits in eval mode.
    expectClose(a.dataSync(), Array.from(b.dataSync()), 1e-5, 1e-5, 'logits');
    expect(a.shape).toEqual([1, 4]);
    tf.dispose([x, a, b]);
    expect(() => new ModelEma(model, other)).toThrow(ModelEmaError);
    expect(() => new ModelEma(model, other)).toThrow(/'fc.weight' is float32 \[3, \d+\] in the EMA copy but float32 \[4, \d+\] in the model/);
    expect(() => new ModelEma(model, model)).toThrow(/second model/);
  });
});
