import type { Optimizer } from './optim.js';

/** What timm's schedulers share: linear warmup from `warmupLrInit` over `warmupT`, stepping per epoch or per update. */
export interface SchedulerOptions {
  /** Warmup length (epochs, or updates when `tInEpochs` is false). Default 0. */
  warmupT?: number;
  /** Learning rate at t = 0 of the warmup. Default 0. */
  warmupLrInit?: number;
  /** Count the schedule's t from the end of warmup (timm's `warmup_prefix`). Default false. */
  warmupPrefix?: boolean;
  /** `step(epoch)` sets the lr (true, default) or `stepUpdate(numUpdates)` does. */
  tInEpochs?: boolean;
}

export interface CosineOptions extends SchedulerOptions {
  /** Length of the first cycle. */
  tInitial: number;
  lrMin?: number;
  /** Each cycle this many times longer than the one before. Default 1. */
  cycleMul?: number;
  /** Each cycle's peak lr this many times the one before. Default 1. */
  cycleDecay?: number;
  /** Cycles before the lr stays at `lrMin`. Default 1. */
  cycleLimit?: number;
  /** timm's k-decay exponent. Default 1. */
  kDecay?: number;
}

export interface StepOptions extends SchedulerOptions {
  /** Decay every this many epochs (or updates). */
  decayT: number;
  /** Multiplier per decay. Default 1. */
  decayRate?: number;
}

/** Raised for invalid scheduler options; nothing was changed. */
export class SchedulerError extends Error {
  override name = 'SchedulerError';
}

/** timm's `Scheduler` base: base lrs from the optimizer's groups, warmup, and epoch- or update-driven stepping. */
abstract class Scheduler {
  protected readonly baseValues: number[];
  protected readonly warmupT: number;
  protected readonly warmupLrInit: number;
  protected readonly warmupPrefix: boolean;
  readonly tInEpochs: boolean;
  private readonly warmupSteps: number[];

  constructor(
    readonly optimizer: Optimizer,
    options: SchedulerOptions,
  ) {
    this.baseValues = optimizer.groups.map((g) => g.lr);
    this.warmupT = options.warmupT ?? 0;
    this.warmupLrInit = options.warmupLrInit ?? 0;
    this.warmupPrefix = options.warmupPrefix ?? false;
    this.tInEpochs = options.tInEpochs ?? true;
    if (!(this.warmupT >= 0)) throw new SchedulerError(`warmupT must be >= 0, got ${this.warmupT}`);
    this.warmupSteps = this.baseValues.map((v) => (this.warmupT ? (v - this.warmupLrInit) / this.warmupT : 1));
    if (this.warmupT) this.setLrs(this.baseValues.map(() => this.warmupLrInit));
  }

  /** The learning rate of each param group at t (epochs or updates). */
  getLr(t: number): number[] {
    if (t < this.warmupT) return this.warmupSteps.map((s) => this.warmupLrInit + t * s);
    return this.schedule(this.warmupPrefix ? t - this.warmupT : t);
  }

  protected abstract schedule(t: number): number[];

  /** At the end of epoch `epoch` (timm calls `step(epoch + 1)`): sets the lr when the schedule runs in epochs. */
  step(epoch: number): void {
    if (this.tInEpochs) this.setLrs(this.getLr(epoch));
  }

  /** After `numUpdates` optimizer steps: sets the lr when the schedule runs in updates. */
  stepUpdate(numUpdates: number): void {
    if (!this.tInEpochs) this.setLrs(this.getLr(numUpdates));
  }

  private setLrs(lrs: number[]): void {
    this.optimizer.groups.forEach((g, i) => {
      g.lr = lrs[i]!;
    });
  }
}

/** timm's CosineLRScheduler (SGDR): cosine decay from each group's lr to `lrMin`, with warmup and restarts. */
export class CosineLRScheduler extends Scheduler {
  private readonly o: Required<Pick<CosineOptions, 'tInitial' | 'lrMin' | 'cycleMul' | 'cycleDecay' | 'cycleLimit' | 'kDecay'>>;

  constructor(optimizer: Optimizer, options: CosineOptions) {
    super(optimizer, options);
    this.o = {
      tInitial: options.tInitial,
      lrMin: options.lrMin ?? 0,
      cycleMul: options.cycleMul ?? 1,
      cycleDecay: options.cycleDecay ?? 1,
      cycleLimit: options.cycleLimit ?? 1,
      kDecay: options.kDecay ?? 1,
    };
    if (!(this.o.tInitial > 0)) throw new SchedulerError(`cosine: tInitial must be > 0, got ${options.tInitial}`);
    if (!(this.o.lrMin >= 0)) throw new SchedulerError(`cosine: lrMin must be >= 0, got ${options.lrMin}`);
  }

  protected schedule(t: number): number[] {
    const { tInitial, lrMin, cycleMul, cycleDecay, cycleLimit, kDecay: k } = this.o;
    let i: number;
    let tI: number;
    let tCurr: number;
    if (cycleMul !== 1) {
      i = Math.floor(Math.log(1 - (t / tInitial) * (1 - cycleMul)) / Math.log(cycleMul));
      tI = cycleMul ** i * tInitial;
      tCurr = t - ((1 - cycleMul ** i) / (1 - cycleMul)) * tInitial;
    } else {
      i = Math.floor(t / tInitial);
      tI = tInitial;
      tCurr = t - tInitial * i;
    }
    if (i >= cycleLimit) return this.baseValues.map(() => lrMin);
    const gamma = cycleDecay ** i;
    return this.baseValues.map((v) => lrMin + 0.5 * (v * gamma - lrMin) * (1 + Math.cos((Math.PI * tCurr ** k) / tI ** k)));
  }

  /** Epochs (or updates) of `cycles` cycles (default `cycleLimit`), as timm's `get_cycle_length`. */
  getCycleLength(cycles = 0): number {
    const n = Math.max(1, cycles || this.o.cycleLimit);
    const { tInitial, cycleMul } = this.o;
    return cycleMul === 1 ? tInitial * n : Math.floor((-tInitial * (cycleMul ** n - 1)) / (1 - cycleMul));
  }
}

/** timm's StepLRScheduler: each group's lr times `decayRate` every `decayT`, after warmup. */
export class StepLRScheduler extends Scheduler {
  private readonly decayT: number;
  private readonly decayRate: number;

  constructor(optimizer: Optimizer, options: StepOptions) {
    super(optimizer, options);
    if (!(options.decayT > 0)) throw new SchedulerError(`step: decayT must be > 0, got ${options.decayT}`);
    this.decayT = options.decayT;
    this.decayRate = options.decayRate ?? 1;
  }

  protected schedule(t: number): number[] {
    return this.baseValues.map((v) => v * this.decayRate ** Math.floor(t / this.decayT));
  }
}
