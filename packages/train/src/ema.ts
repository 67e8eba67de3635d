import * as tf from '@tensorflow/tfjs-core';
import type { Module, Param } from '@zoo/core';

export interface ModelEmaOptions {
  /** Default 0.9999. */
  decay?: number;
  /** Lower bound of the warmed-up decay. Default 0. */
  minDecay?: number;
  /** Steps before averaging starts (the EMA copies the model until then). Default 0. */
  updateAfterStep?: number;
  /** Ramp the decay up as 1 - (1 + step/warmupGamma)^-warmupPower. Default false. */
  useWarmup?: boolean;
  /** Default 1. */
  warmupGamma?: number;
  /** Default 2/3. */
  warmupPower?: number;
  /** Average parameters only and copy buffers (BatchNorm running stats). Default false: average every float entry. */
  excludeBuffers?: boolean;
}

/** Raised when the EMA copy does not match the model, or for invalid options; nothing was changed. */
export class ModelEmaError extends Error {
  override name = 'ModelEmaError';
}

/**
 * timm's ModelEmaV3: an exponential moving average of a model's state — every float entry of the state dict
 * (parameters and buffers such as BatchNorm running stats) becomes `ema·decay + model·(1 - decay)`, integer entries
 * (`num_batches_tracked`) are copied; with `excludeBuffers` only parameters are averaged and buffers are copied. The
 * average lives in `module`, a second model of the same architecture the caller builds (timm deep-copies; tfjs
 * models cannot be copied generically), set to the model's state at construction and kept in eval mode: validate
 * with `ema.module` as with any model.
 */
export class ModelEma<M extends Module = Module> {
  readonly module: M;
  readonly decay: number;
  readonly minDecay: number;
  readonly updateAfterStep: number;
  readonly useWarmup: boolean;
  readonly warmupGamma: number;
  readonly warmupPower: number;
  readonly excludeBuffers: boolean;

  constructor(model: Module, copy: M, options: ModelEmaOptions = {}) {
    if ((copy as Module) === model) throw new ModelEmaError('ModelEma: the EMA copy must be a second model, not the trained one');
    this.decay = options.decay ?? 0.9999;
    this.minDecay = options.minDecay ?? 0;
    this.updateAfterStep = options.updateAfterStep ?? 0;
    this.useWarmup = options.useWarmup ?? false;
    this.warmupGamma = options.warmupGamma ?? 1;
    this.warmupPower = options.warmupPower ?? 2 / 3;
    this.excludeBuffers = options.excludeBuffers ?? false;
    for (const k of ['decay', 'minDecay'] as const) {
      if (!(this[k] >= 0 && this[k] <= 1)) throw new ModelEmaError(`ModelEma: ${k} must be in [0, 1], got ${this[k]}`);
    }
    if (!(this.warmupGamma > 0)) throw new ModelEmaError(`ModelEma: warmupGamma must be > 0, got ${this.warmupGamma}`);
    this.module = copy;
    this.pairs(model);
    this.set(model);
    copy.eval();
  }

  /** The model's and the copy's entries side by side, checked to match by name, shape and dtype. */
  private pairs(model: Module): [Param, Param][] {
    const mine = this.module.namedParams();
    const theirs = model.namedParams();
    const byName = new Map(theirs);
    if (mine.length !== theirs.length) {
      throw new ModelEmaError(`ModelEma: the EMA copy has ${mine.length} state entries, the model ${theirs.length}; build the copy with the same architecture and options`);
    }
    return mine.map(([name, e]) => {
      const m = byName.get(name);
      if (!m || m.dtype !== e.dtype || m.shape.join() !== e.shape.join()) {
        const got = m ? `${m.dtype} [${m.shape.join(', ')}]` : 'nothing';
        throw new ModelEmaError(`ModelEma: state entry '${name}' is ${e.dtype} [${e.shape.join(', ')}] in the EMA copy but ${got} in the model`);
      }
      return [e, m];
    });
  }

  /** timm's `get_decay(step)`: 0 until `updateAfterStep` steps have passed, then `decay` or its warmup ramp. */
  getDecay(step?: number): number {
    if (step === undefined) return this.decay;
    const s = Math.max(0, step - this.updateAfterStep - 1);
    if (s <= 0) return 0;
    if (!this.useWarmup) return this.decay;
    const d = 1 - (1 + s / this.warmupGamma) ** -this.warmupPower;
    return Math.max(Math.min(d, this.decay), this.minDecay);
  }

  /** One average after an optimizer step (timm calls `update(model, step=num_updates)`). */
  update(model: Module, step?: number): void {
    const decay = this.getDecay(step);
    for (const [e, m] of this.pairs(model)) {
      if (m.dtype === 'int64') e.assignInt({ dtype: 'int64', shape: [1], data: BigInt64Array.of(m.intValue) });
      else if (this.excludeBuffers && e.isBuffer) e.setTensor(tf.clone(m.value));
      else {
        const mv = m.value;
        e.setTensor(tf.tidy(() => tf.add(tf.mul(e.value, decay), tf.mul(mv, 1 - decay))));
      }
    }
  }

  /** timm's `set(model)`: the copy takes the model's state. */
  set(model: Module): void {
    for (const [e, m] of this.pairs(model)) {
      if (m.dtype === 'int64') e.assignInt({ dtype: 'int64', shape: [1], data: BigInt64Array.of(m.intValue) });
      else e.setTensor(tf.clone(m.value));
    }
  }
}
