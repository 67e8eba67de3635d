import { Linear, setBackend } from '@zoo/core';
import { beforeAll, describe, expect, it } from 'vitest';
import { CosineLRScheduler, createOptimizer, SchedulerError, StepLRScheduler } from '../src/index.js';

beforeAll(async () => {
  await setBackend('wasm');
});

const optimizer = (lr: number) => createOptimizer(new Linear(2, 2), { opt: 'sgd', lr, weightDecay: 1e-4 });

describe("timm's schedulers", () => {
  it('cosine with warmup: linear ramp from warmupLrInit, then half a cosine to lrMin, then lrMin', () => {
    const o = optimizer(0.1);
    const s = new CosineLRScheduler(o, { tInitial: 10, lrMin: 0.001, warmupT: 2, warmupLrInit: 0.01 });
    // Construction puts every group at the warmup start.
    expect(o.groups.map((g) => g.lr)).toEqual([0.01, 0.01]);
    s.step(1);
    expect(o.groups[0]!.lr).toBeCloseTo(0.01 + (0.1 - 0.01) / 2, 12);
    // Without warmup_prefix the cosine's t is the epoch itself: at t = 5 it is halfway.
    expect(s.getLr(5)[0]).toBeCloseTo(0.001 + 0.5 * (0.1 - 0.001), 12);
    expect(s.getLr(2)[0]).toBeCloseTo(0.001 + 0.5 * (0.1 - 0.001) * (1 + Math.cos(Math.PI * 0.2)), 12);
    expect(s.getLr(10)[0]).toBe(0.001);
    expect(s.getLr(25)[0]).toBe(0.001);
    // Epoch-driven: stepUpdate changes nothing.
    s.stepUpdate(100);
    expect(o.groups[0]!.lr).toBeCloseTo(0.055, 12);
    o.dispose();
  });

  it('cosine restarts: cycleMul lengthens and cycleDecay lowers each cycle; warmupPrefix shifts t; per-update stepping', () => {
    const o = optimizer(1);
    const s = new CosineLRScheduler(o, { tInitial: 4, cycleMul: 2, cycleDecay: 0.5, cycleLimit: 3, warmupT: 1, warmupPrefix: true, tInEpochs: false });
    // Cycle 2 starts 4 after warmup (t = 5) at half the peak and lasts 8.
    expect(s.getLr(5)[0]).toBeCloseTo(0.5, 12);
    expect(s.getLr(9)[0]).toBeCloseTo(0.25, 12);
    // timm's get_cycle_length counts the prefixed warmup too.
    expect(s.getCycleLength()).toBe(1 + 4 + 8 + 16);
    s.stepUpdate(5);
    expect(o.groups[1]!.lr).toBeCloseTo(0.5, 12);
    o.dispose();
  });

  it('step decay, and clear errors for bad options', () => {
    const o = optimizer(0.1);
    const s = new StepLRScheduler(o, { decayT: 3, decayRate: 0.1 });
    expect(s.getLr(2)[0]).toBeCloseTo(0.1, 12);
    expect(s.getLr(3)[0]).toBeCloseTo(0.01, 12);
    expect(s.getLr(7)[0]).toBeCloseTo(0.001, 12);
    expect(() => new CosineLRScheduler(o, { tInitial: 0 })).toThrow(SchedulerError);
    expect(() => new StepLRScheduler(o, { decayT: -1 })).toThrow(/decayT must be > 0, got -1/);
    o.dispose();
  });
});
