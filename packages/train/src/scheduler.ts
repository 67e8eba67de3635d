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
    // timm: each group's `initial_lr` (set once, by the first scheduler) is the base; lrs are set from it at once.
    for (const g of optimizer.groups) g.initialLr ??= g.lr;
    this.baseValues = optimizer.groups.map((g) => g.initialLr!);
    this.warmupT = options.warmupT ?? 0;
    this.warmupLrInit = options.warmupLrInit ?? 0;
    this.warmupPrefix = options.warmupPrefix ?? false;
    this.tInEpochs = options.tInEpochs ?? true;
    if (!(this.warmupT >= 0)) throw new SchedulerError(`warmupT must be >= 0, got ${this.warmupT}`);
    this.warmupSteps = this.baseValues.map((v) => (this.warmupT ? (v - this.warmupLrInit) / this.warmupT : 1));
    this.setLrs(this.warmupT ? this.baseValues.map(() => this.warmupLrInit) : this.baseValues);
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

  /** timm's `update_groups`: each group's lr is the value times the group's `lrScale`. */
  protected setLrs(lrs: number[]): void {
    this.optimizer.groups.forEach((g, i) => {
      g.lr = lrs[i]! * (g.lrScale ?? 1);
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

  /** Epochs (or updates) of `cycles` cycles (default `cycleLimit`), plus the warmup with `warmupPrefix`, as timm's `get_cycle_length`. */
  getCycleLength(cycles = 0): number {
    const n = Math.max(1, cycles || this.o.cycleLimit);
    const { tInitial, cycleMul } = this.o;
    const t = cycleMul === 1 ? tInitial * n : Math.floor((-tInitial * (cycleMul ** n - 1)) / (1 - cycleMul));
    return this.warmupPrefix ? t + this.warmupT : t;
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

export interface PlateauOptions {
  /** Multiplier when the metric plateaus (PyTorch's `factor`). Default 0.1. */
  decayRate?: number;
  /** Epochs without improvement tolerated before decaying. Default 10. */
  patienceT?: number;
  /** Relative improvement needed to count as better (PyTorch's `threshold`, mode 'rel'). Default 1e-4. */
  threshold?: number;
  /** Epochs after a decay during which no plateau is counted. Default 0. */
  cooldownT?: number;
  /** Linear warmup epochs (the lr reaches the base lr at epoch `warmupT`). Default 0. */
  warmupT?: number;
  warmupLrInit?: number;
  /** Lower bound of each group's lr. Default 0. */
  lrMin?: number;
  /** 'max' (default: accuracy-like metrics) or 'min' (losses). */
  mode?: 'min' | 'max';
}

/**
 * timm's PlateauLRScheduler: a linear warmup over the first `warmupT` epochs, then PyTorch's ReduceLROnPlateau on
 * the metric passed to `step(epoch, metric)` (each group's lr times `decayRate` after more than `patienceT` epochs
 * without a relative improvement of `threshold`, then `cooldownT` epochs of rest; never below `lrMin`). Epochs only.
 */
export class PlateauLRScheduler extends Scheduler {
  private readonly p: Required<Pick<PlateauOptions, 'decayRate' | 'patienceT' | 'threshold' | 'cooldownT' | 'lrMin' | 'mode'>>;
  private readonly plateauWarmupSteps: number[];
  /** Best metric so far (PyTorch's `best`). */
  best: number;
  private numBadEpochs = 0;
  private cooldownCounter = 0;

  constructor(optimizer: Optimizer, options: PlateauOptions = {}) {
    const warmupT = options.warmupT ?? 0;
    super(optimizer, { warmupT, warmupLrInit: options.warmupLrInit, tInEpochs: true });
    this.p = {
      decayRate: options.decayRate ?? 0.1,
      patienceT: options.patienceT ?? 10,
      threshold: options.threshold ?? 1e-4,
      cooldownT: options.cooldownT ?? 0,
      lrMin: options.lrMin ?? 0,
      mode: options.mode ?? 'max',
    };
    if (this.p.mode !== 'min' && this.p.mode !== 'max') throw new SchedulerError(`plateau: mode must be 'min' or 'max', got '${String(options.mode)}'`);
    if (!(this.p.decayRate > 0 && this.p.decayRate < 1)) throw new SchedulerError(`plateau: decayRate must be in (0, 1), got ${options.decayRate}`);
    for (const k of ['patienceT', 'threshold', 'cooldownT', 'lrMin'] as const) {
      if (!(this.p[k] >= 0)) throw new SchedulerError(`plateau: ${k} must be >= 0, got ${String(options[k])}`);
    }
    this.best = this.p.mode === 'min' ? Number.POSITIVE_INFINITY : Number.NEGATIVE_INFINITY;
    this.plateauWarmupSteps = this.baseValues.map((v) => (warmupT ? (v - this.warmupLrInit) / warmupT : 1));
  }

  protected schedule(): number[] {
    throw new SchedulerError('plateau: the lr depends on the metrics passed to step(), not on t alone');
  }

  /** At the end of epoch `epoch` with the validation `metric` (timm's train loop calls `step(epoch + 1, metric)`). */
  override step(epoch: number, metric?: number): void {
    if (epoch <= this.warmupT) {
      this.setLrs(this.plateauWarmupSteps.map((s) => this.warmupLrInit + epoch * s));
      return;
    }
    if (metric !== undefined) this.reduceOnPlateau(metric);
  }

  override stepUpdate(): void {}

  private isBetter(a: number): boolean {
    const { mode, threshold } = this.p;
    return mode === 'min' ? a < this.best * (1 - threshold) : a > this.best * (threshold + 1);
  }

  /** PyTorch's ReduceLROnPlateau.step (threshold mode 'rel', eps 1e-8). */
  private reduceOnPlateau(metric: number): void {
    if (this.isBetter(metric)) {
      this.best = metric;
      this.numBadEpochs = 0;
    } else this.numBadEpochs++;
    if (this.cooldownCounter > 0) {
      this.cooldownCounter--;
      this.numBadEpochs = 0;
    }
    if (this.numBadEpochs > this.p.patienceT) {
      for (const g of this.optimizer.groups) {
        const lr = Math.max(g.lr * this.p.decayRate, this.p.lrMin);
        if (g.lr - lr > 1e-8) g.lr = lr;
      }
      this.cooldownCounter = this.p.cooldownT;
      this.numBadEpochs = 0;
    }
  }
}

/** Schedules `createScheduler` makes, by timm's `sched` names. */
export type SchedName = 'cosine' | 'step' | 'plateau';

/** timm's `create_scheduler_v2` arguments (epochs; per-update schedules multiply them by `updatesPerEpoch`). */
export interface CreateSchedulerOptions {
  sched?: SchedName;
  /** Default 300. */
  numEpochs?: number;
  /** Step: decay every this many epochs. Default 90. */
  decayEpochs?: number;
  /** Step / plateau multiplier. Default 0.1. */
  decayRate?: number;
  /** Plateau patience. Default 10. */
  patienceEpochs?: number;
  /** Epochs at `minLr` added after the cosine cycles (counted in the returned `numEpochs`). Default 0. */
  cooldownEpochs?: number;
  minLr?: number;
  /** Warmup start lr. Default 1e-5. */
  warmupLr?: number;
  warmupEpochs?: number;
  warmupPrefix?: boolean;
  cycleMul?: number;
  /** Default 0.1. */
  cycleDecay?: number;
  cycleLimit?: number;
  kDecay?: number;
  /** Plateau: 'max' (default) for accuracy, 'min' for a loss. */
  plateauMode?: 'min' | 'max';
  /** Step at epoch ends (default) or after every update (cosine / step; needs `updatesPerEpoch`). */
  stepOnEpochs?: boolean;
  updatesPerEpoch?: number;
}

/**
 * timm's `create_scheduler_v2`: the scheduler and the number of epochs to train (for cosine: its cycles plus the
 * cooldown, as timm recomputes it; else `numEpochs`).
 */
export function createScheduler(optimizer: Optimizer, options: CreateSchedulerOptions = {}): { scheduler: CosineLRScheduler | StepLRScheduler | PlateauLRScheduler; numEpochs: number } {
  const sched = options.sched ?? 'cosine';
  const numEpochs = options.numEpochs ?? 300;
  const onEpochs = options.stepOnEpochs ?? true;
  const perEpoch = options.updatesPerEpoch ?? 0;
  if (!onEpochs && !(Number.isInteger(perEpoch) && perEpoch > 0)) {
    throw new SchedulerError('createScheduler: updatesPerEpoch must be set to the number of batches per epoch when stepOnEpochs is false');
  }
  const u = onEpochs ? 1 : perEpoch;
  const warmup = { warmupLrInit: options.warmupLr ?? 1e-5, warmupT: (options.warmupEpochs ?? 0) * u, warmupPrefix: options.warmupPrefix ?? false };
  const cooldownT = (options.cooldownEpochs ?? 0) * u;
  switch (sched) {
    case 'cosine': {
      const scheduler = new CosineLRScheduler(optimizer, {
        tInitial: numEpochs * u,
        lrMin: options.minLr ?? 0,
        tInEpochs: onEpochs,
        cycleMul: options.cycleMul ?? 1,
        cycleDecay: options.cycleDecay ?? 0.1,
        cycleLimit: options.cycleLimit ?? 1,
        kDecay: options.kDecay ?? 1,
        ...warmup,
      });
      const t = scheduler.getCycleLength() + cooldownT;
      return { scheduler, numEpochs: onEpochs ? t : Math.floor(t / perEpoch) };
    }
    case 'step': {
      const scheduler = new StepLRScheduler(optimizer, { decayT: (options.decayEpochs ?? 90) * u, decayRate: options.decayRate ?? 0.1, tInEpochs: onEpochs, ...warmup });
      return { scheduler, numEpochs: warmup.warmupPrefix ? numEpochs + (options.warmupEpochs ?? 0) : numEpochs };
    }
    case 'plateau':
      if (!onEpochs) throw new SchedulerError('createScheduler: the plateau schedule steps per epoch only (stepOnEpochs must be true)');
      return {
        scheduler: new PlateauLRScheduler(optimizer, {
          decayRate: options.decayRate ?? 0.1,
          patienceT: options.patienceEpochs ?? 10,
          cooldownT: 0,
          warmupT: warmup.warmupT,
          warmupLrInit: warmup.warmupLrInit,
          lrMin: options.minLr ?? 0,
          mode: options.plateauMode ?? 'max',
        }),
        numEpochs: warmup.warmupPrefix ? numEpochs + (options.warmupEpochs ?? 0) : numEpochs,
      };
    default:
      throw new SchedulerError(`createScheduler: unknown sched '${String(sched)}'. Use one of: cosine, step, plateau`);
  }
}
