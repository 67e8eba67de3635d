import * as tf from '@tensorflow/tfjs-core';
import type { Module, Param } from '@zoo/core';

/** Optimizers `createOptimizer` makes, by timm's `opt` names. */
export type OptName = 'sgd' | 'nesterov' | 'momentum' | 'adam' | 'adamw' | 'rmsproptf';

const OPT_NAMES: readonly OptName[] = ['sgd', 'nesterov', 'momentum', 'adam', 'adamw', 'rmsproptf'];

export interface OptimizerOptions {
  /**
   * timm's `opt`: `sgd` (= `nesterov`: SGD with Nesterov momentum, as timm makes it), `momentum` (plain momentum
   * SGD), `adam`, `adamw`, `rmsproptf` (timm's RMSpropTF: TensorFlow's epsilon inside the root, mean square starting
   * at one, lr inside the momentum buffer; alpha 0.9).
   */
  opt: OptName;
  lr: number;
  /** SGD / RMSpropTF momentum. Default 0.9 (timm's). */
  momentum?: number;
  /** Default 0. With `filterBiasAndBn`, applied only to the decayed group. */
  weightDecay?: number;
  /** Adam(W) betas. Default [0.9, 0.999]. */
  betas?: [number, number];
  /** Epsilon. Default 1e-8 (Adam, AdamW), 1e-10 (RMSpropTF). */
  eps?: number;
  /** timm's `filter_bias_and_bn`: no weight decay on 1-D parameters, biases and the model's `noWeightDecay()` names. Default true. */
  filterBiasAndBn?: boolean;
}

/** Raised for an unknown optimizer name or an invalid hyper-parameter; nothing was created. */
export class OptimizerError extends Error {
  override name = 'OptimizerError';
}

/** A parameter group as PyTorch's: its parameters (by state-dict name) and its own lr and weight decay. */
export interface ParamGroup {
  params: [string, Param][];
  lr: number;
  weightDecay: number;
}

/**
 * An optimizer over a model's trainable parameters, with PyTorch's update rules (so timm's numbers): state per
 * parameter (momentum buffers, Adam moments) kept as tensors, parameters updated in place (their `tf.Variable`s).
 */
export class Optimizer {
  readonly groups: ParamGroup[];
  readonly opt: OptName;
  private readonly momentum: number;
  private readonly betas: [number, number];
  private readonly eps: number;
  private readonly state = new Map<Param, tf.Tensor[]>();
  /** Steps taken (Adam's bias correction counts from 1). */
  stepCount = 0;

  constructor(groups: ParamGroup[], options: OptimizerOptions) {
    this.groups = groups;
    this.opt = options.opt;
    this.momentum = options.momentum ?? 0.9;
    this.betas = options.betas ?? [0.9, 0.999];
    this.eps = options.eps ?? (options.opt === 'rmsproptf' ? 1e-10 : 1e-8);
  }

  /** Sets every group's learning rate (schedulers call this). */
  setLr(lr: number): void {
    for (const g of this.groups) g.lr = lr;
  }

  /**
   * One update from `grads` (tfjs layout, keyed by parameter; a parameter without a gradient is skipped, as PyTorch
   * skips a `None` grad). The gradients are not disposed.
   */
  step(grads: Map<Param, tf.Tensor>): void {
    this.stepCount++;
    for (const group of this.groups) {
      for (const [, p] of group.params) {
        const g = grads.get(p);
        if (!g) continue;
        const old = this.state.get(p) ?? [];
        const { value, state } = tf.tidy(() => {
          const r = this.update(p.value, g, old, group);
          return { value: tf.keep(r.value), state: r.state.map((t) => tf.keep(t)) };
        });
        p.setTensor(value);
        for (const t of old) t.dispose();
        this.state.set(p, state);
      }
    }
  }

  private update(p: tf.Tensor, g: tf.Tensor, state: tf.Tensor[], group: ParamGroup): { value: tf.Tensor; state: tf.Tensor[] } {
    const { lr, weightDecay: wd } = group;
    switch (this.opt) {
      case 'sgd':
      case 'nesterov':
      case 'momentum': {
        // torch.optim.SGD: d = g + wd·p; buf = d (first step), else momentum·buf + d; Nesterov steps along d + momentum·buf.
        const m = this.momentum;
        let d = wd ? tf.add(g, tf.mul(p, wd)) : g;
        if (m === 0) return { value: tf.sub(p, tf.mul(d, lr)), state: [] };
        const buf = state[0] ? tf.add(tf.mul(state[0], m), d) : tf.clone(d);
        d = this.opt === 'momentum' ? buf : tf.add(d, tf.mul(buf, m));
        return { value: tf.sub(p, tf.mul(d, lr)), state: [buf] };
      }
      case 'adam':
      case 'adamw': {
        // torch.optim.Adam / AdamW: Adam adds wd·p to the gradient, AdamW decays the parameter by lr·wd first.
        const [b1, b2] = this.betas;
        const t = this.stepCount;
        let x = p;
        let grad = g;
        if (wd && this.opt === 'adamw') x = tf.mul(p, 1 - lr * wd);
        if (wd && this.opt === 'adam') grad = tf.add(g, tf.mul(p, wd));
        const m = state[0] ? tf.add(tf.mul(state[0], b1), tf.mul(grad, 1 - b1)) : tf.mul(grad, 1 - b1);
        const v = state[1] ? tf.add(tf.mul(state[1], b2), tf.mul(tf.square(grad), 1 - b2)) : tf.mul(tf.square(grad), 1 - b2);
        const stepSize = lr / (1 - b1 ** t);
        const denom = tf.add(tf.div(tf.sqrt(v), Math.sqrt(1 - b2 ** t)), this.eps);
        return { value: tf.sub(x, tf.mul(tf.div(m, denom), stepSize)), state: [m, v] };
      }
      case 'rmsproptf': {
        // timm's RMSpropTF (alpha 0.9): sq += (g² - sq)(1 - alpha) from sq = 1; avg = √(sq + eps); momentum buffer
        // accumulates lr·g/avg and is subtracted whole.
        const alpha = 0.9;
        const grad = wd ? tf.add(g, tf.mul(p, wd)) : g;
        const sq0 = state[0] ?? tf.onesLike(p);
        const sq = tf.add(sq0, tf.mul(tf.sub(tf.square(grad), sq0), 1 - alpha));
        const step = tf.div(grad, tf.sqrt(tf.add(sq, this.eps)));
        if (this.momentum <= 0) return { value: tf.sub(p, tf.mul(step, lr)), state: [sq] };
        const buf = tf.add(state[1] ? tf.mul(state[1], this.momentum) : tf.zerosLike(p), tf.mul(step, lr));
        return { value: tf.sub(p, buf), state: [sq, buf] };
      }
    }
  }

  /** Frees the optimizer's state tensors. */
  dispose(): void {
    for (const ts of this.state.values()) for (const t of ts) t.dispose();
    this.state.clear();
  }
}

/**
 * timm's `param_groups_weight_decay`: trainable parameters split into a decayed group and one without decay (1-D
 * parameters, biases, and `noWeightDecay` names), in state-dict order.
 */
export function paramGroupsWeightDecay(model: Module, weightDecay: number, noWeightDecay: readonly string[] = []): [ParamGroup, ParamGroup] {
  const skip = new Set(noWeightDecay);
  const decay: [string, Param][] = [];
  const noDecay: [string, Param][] = [];
  for (const [name, p] of trainableParams(model)) {
    if (p.shape.length <= 1 || name.endsWith('.bias') || skip.has(name)) noDecay.push([name, p]);
    else decay.push([name, p]);
  }
  return [
    { params: noDecay, lr: 0, weightDecay: 0 },
    { params: decay, lr: 0, weightDecay },
  ];
}

/** The parameters an optimizer updates: learnable, float, not frozen (`requiresGrad`). */
export function trainableParams(model: Module): [string, Param][] {
  return model.namedParams().filter(([, p]) => !p.isBuffer && p.dtype === 'float32' && p.requiresGrad);
}

/**
 * timm's `create_optimizer_v2(model, opt, lr, weight_decay, momentum, …)`: with weight decay (and `filterBiasAndBn`,
 * default) the parameters are split by {@link paramGroupsWeightDecay} using the model's `noWeightDecay()`.
 */
export function createOptimizer(model: Module, options: OptimizerOptions): Optimizer {
  if (!OPT_NAMES.includes(options.opt)) {
    throw new OptimizerError(`Unknown optimizer '${String(options.opt)}'. Use one of: ${OPT_NAMES.join(', ')}`);
  }
  for (const key of ['lr', 'momentum', 'weightDecay', 'eps'] as const) {
    const v = options[key];
    if (v !== undefined && !(Number.isFinite(v) && v >= 0)) throw new OptimizerError(`createOptimizer: ${key} must be a finite number >= 0, got ${String(v)}`);
  }
  if (options.betas && !options.betas.every((b) => Number.isFinite(b) && b >= 0 && b < 1)) {
    throw new OptimizerError(`createOptimizer: betas must be two numbers in [0, 1), got [${options.betas.join(', ')}]`);
  }
  const wd = options.weightDecay ?? 0;
  const nwd = (model as { noWeightDecay?: () => string[] }).noWeightDecay?.() ?? [];
  const groups: ParamGroup[] =
    wd && (options.filterBiasAndBn ?? true) ? paramGroupsWeightDecay(model, wd, nwd) : [{ params: trainableParams(model), lr: 0, weightDecay: wd }];
  for (const g of groups) g.lr = options.lr;
  return new Optimizer(groups, options);
}
