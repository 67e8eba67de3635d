import * as tf from '@tensorflow/tfjs-core';
import { type GroupMatcher, groupParameters, type Module, type Param } from '@zoo/core';

/** Optimizers `createOptimizer` makes, by timm's `opt` names. */
export type OptName = 'sgd' | 'nesterov' | 'momentum' | 'adam' | 'adamw' | 'lamb' | 'lambc' | 'rmsproptf';

const OPT_NAMES: readonly OptName[] = ['sgd', 'nesterov', 'momentum', 'adam', 'adamw', 'lamb', 'lambc', 'rmsproptf'];

export interface OptimizerOptions {
  /**
   * timm's `opt`: `sgd` (= `nesterov`: SGD with Nesterov momentum, as timm makes it), `momentum` (plain momentum
   * SGD), `adam`, `adamw`, `rmsproptf` (timm's RMSpropTF: TensorFlow's epsilon inside the root, mean square starting
   * at one, lr inside the momentum buffer; alpha 0.9), `lamb` (timm's Lamb as `create_optimizer_v2` makes it: Adam
   * moments with bias correction, gradients divided by max(1, global norm) (`max_grad_norm` 1), L2 weight decay added to
   * the update, then the update scaled by the trust ratio ‖p‖/‖update‖ on decayed parameters; eps 1e-6), `lambc`
   * (Lamb with the trust ratio clipped at 1).
   */
  opt: OptName;
  lr: number;
  /** SGD / RMSpropTF momentum. Default 0.9 (timm's). */
  momentum?: number;
  /** Default 0. With `filterBiasAndBn`, applied only to the decayed group. */
  weightDecay?: number;
  /** Adam(W) betas. Default [0.9, 0.999]. */
  betas?: [number, number];
  /** Epsilon. Default 1e-8 (Adam, AdamW), 1e-6 (Lamb), 1e-10 (RMSpropTF). */
  eps?: number;
  /**
   * timm's `layer_decay`: layer-wise lr decay. Parameters are numbered into layers by the model's `groupMatcher()`
   * (stem first, head last; timm's `auto_group_layers` for a model without one) and layer i of n gets lr ×
   * `layerDecay`^(n-1-i) (its group's `lrScale`), as timm's `param_groups_layer_decay`. Weight decay is then
   * skipped on 1-D parameters and `noWeightDecay()` names (wildcards as fnmatch).
   */
  layerDecay?: number;
  /** timm's `layer_decay_min_scale`: lower bound of the layer lr scale. Default 0. */
  layerDecayMinScale?: number;
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
  /** The lr the next step uses (the scheduled lr times `lrScale`). */
  lr: number;
  weightDecay: number;
  /** timm's `lr_scale` (layer-wise lr decay): lrs set by `setLr` and the schedulers are multiplied by it. Default 1. */
  lrScale?: number;
  /** timm's `initial_lr`: the unscaled lr schedulers start from. Default: `lr`. */
  initialLr?: number;
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
    this.eps = options.eps ?? (options.opt === 'rmsproptf' ? 1e-10 : options.opt.startsWith('lamb') ? 1e-6 : 1e-8);
  }

  /** Sets every group's learning rate to `lr` times the group's `lrScale` (as timm's schedulers set it). */
  setLr(lr: number): void {
    for (const g of this.groups) g.lr = lr * (g.lrScale ?? 1);
  }

  /**
   * One update from `grads` (tfjs layout, keyed by parameter; a parameter without a gradient is skipped, as PyTorch
   * skips a `None` grad). The gradients are not disposed.
   */
  step(grads: Map<Param, tf.Tensor>): void {
    this.stepCount++;
    const clip = this.opt === 'lamb' || this.opt === 'lambc' ? lambGradClip(this.groups, grads) : null;
    try {
      for (const group of this.groups) {
        for (const [, p] of group.params) {
          const g = grads.get(p);
          if (!g) continue;
          const old = this.state.get(p) ?? [];
          const { value, state } = tf.tidy(() => {
            const r = this.update(p.value, clip ? tf.div(g, clip) : g, old, group);
            return { value: tf.keep(r.value), state: r.state.map((t) => tf.keep(t)) };
          });
          p.setTensor(value);
          for (const t of old) t.dispose();
          this.state.set(p, state);
        }
      }
    } finally {
      clip?.dispose();
    }
  }

  private update(p: tf.Tensor, g: tf.Tensor, state: tf.Tensor[], group: ParamGroup): { value: tf.Tensor; state: tf.Tensor[] } {
    const { lr, weightDecay: wd } = group;
    switch (this.opt) {
      case 'lamb':
      case 'lambc': {
        // timm's Lamb (grad averaging, bias correction, L2 decay in the update, trust ratio where decayed).
        const [b1, b2] = this.betas;
        const t = this.stepCount;
        const m = tf.add(state[0] ? tf.mul(state[0], b1) : tf.zerosLike(g), tf.mul(g, 1 - b1));
        const v = tf.add(state[1] ? tf.mul(state[1], b2) : tf.zerosLike(g), tf.mul(tf.square(g), 1 - b2));
        const denom = tf.add(tf.div(tf.sqrt(v), Math.sqrt(1 - b2 ** t)), this.eps);
        let update = tf.div(tf.div(m, 1 - b1 ** t), denom);
        if (wd) {
          update = tf.add(update, tf.mul(p, wd));
          const wNorm = tf.norm(p);
          const uNorm = tf.norm(update);
          const one = tf.scalar(1);
          let trust = tf.where(tf.greater(wNorm, 0), tf.where(tf.greater(uNorm, 0), tf.div(wNorm, uNorm), one), one);
          if (this.opt === 'lambc') trust = tf.minimum(trust, 1);
          update = tf.mul(update, trust);
        }
        return { value: tf.sub(p, tf.mul(update, lr)), state: [m, v] };
      }
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

/**
 * Lamb's global gradient clip (timm: `max_grad_norm` 1): max(1, ‖all gradients‖), by which every gradient is divided.
 */
function lambGradClip(groups: ParamGroup[], grads: Map<Param, tf.Tensor>, maxGradNorm = 1): tf.Scalar {
  return tf.tidy(() => {
    const squares: tf.Tensor[] = [];
    for (const group of groups) for (const [, p] of group.params) if (grads.has(p)) squares.push(tf.sum(tf.square(grads.get(p)!)));
    const norm = tf.sqrt(squares.length > 1 ? tf.addN(squares) : (squares[0] ?? tf.scalar(0)));
    return tf.maximum(tf.div(norm, maxGradNorm), 1) as tf.Scalar;
  });
}

/** fnmatch's wildcards (`*`, `?`, `[seq]`) as an anchored regular expression, as timm matches `no_weight_decay` names. */
function fnmatchRegExp(pattern: string): RegExp {
  let re = '';
  for (let i = 0; i < pattern.length; i++) {
    const c = pattern[i]!;
    if (c === '*') re += '.*';
    else if (c === '?') re += '.';
    else if (c === '[' && pattern.indexOf(']', i + 2) > 0) {
      const end = pattern.indexOf(']', i + 2);
      const body = pattern.slice(i + 1, end);
      re += `[${body.startsWith('!') ? `^${body.slice(1)}` : body}]`;
      i = end;
    } else re += c.replace(/[.*+?^${}()|[\]\\]/g, '\\$&');
  }
  return new RegExp(`^${re}$`, 's');
}

/**
 * timm's `auto_group_layers`, for a model without a `groupMatcher`: trunk parameters in runs of `layersPerGroup`
 * (state-dict order), the head (the pretrained cfg's `classifier` prefixes) one layer after them.
 */
export function autoGroupLayers(model: Module, layersPerGroup = 12): Map<string, number> {
  const classifier = (model as { pretrainedCfg?: { classifier?: string | string[] } }).pretrainedCfg?.classifier;
  const heads = classifier === undefined || classifier === '' ? [] : Array.isArray(classifier) ? classifier : [classifier];
  const names = model
    .namedParams()
    .filter(([, p]) => !p.isBuffer)
    .map(([n]) => n);
  const inHead = (n: string) => !heads.length || heads.some((h) => n.startsWith(h));
  const trunk = names.filter((n) => !inHead(n));
  const out = new Map<string, number>();
  for (const [i, n] of trunk.entries()) out.set(n, Math.floor(i / layersPerGroup));
  const headLayer = Math.ceil(trunk.length / layersPerGroup);
  for (const n of names) if (inHead(n)) out.set(n, headLayer);
  return out;
}

export interface LayerDecayOptions {
  weightDecay: number;
  layerDecay: number;
  /** `no_weight_decay` names (fnmatch wildcards allowed). */
  noWeightDecay?: readonly string[];
  /** Lower bound of a layer's lr scale. Default 0. */
  minScale?: number;
}

/**
 * timm's `param_groups_layer_decay`: one group per (layer, decay / no decay) in order of first parameter, each with
 * its `lrScale` = `layerDecay`^(last layer − layer). Layers come from the model's `groupMatcher()`, else
 * {@link autoGroupLayers}; a parameter the layer map lacks goes to the last layer. No decay on 1-D parameters and
 * `noWeightDecay` names.
 */
export function paramGroupsLayerDecay(model: Module, options: LayerDecayOptions): ParamGroup[] {
  const matcher = (model as { groupMatcher?: (coarse?: boolean) => GroupMatcher | null }).groupMatcher?.(false) ?? null;
  const layerMap = matcher ? groupParameters(model, matcher) : autoGroupLayers(model);
  const layerMax = Math.max(0, ...layerMap.values());
  const minScale = options.minScale ?? 0;
  const skip = (options.noWeightDecay ?? []).map(fnmatchRegExp);
  const groups = new Map<string, ParamGroup>();
  for (const [name, p] of trainableParams(model)) {
    const noDecay = p.shape.length <= 1 || skip.some((re) => re.test(name));
    const layer = layerMap.get(name) ?? layerMax;
    const key = `${layer}_${noDecay ? 'no_decay' : 'decay'}`;
    let group = groups.get(key);
    if (!group) {
      group = { params: [], lr: 0, weightDecay: noDecay ? 0 : options.weightDecay, lrScale: Math.max(minScale, options.layerDecay ** (layerMax - layer)) };
      groups.set(key, group);
    }
    group.params.push([name, p]);
  }
  return [...groups.values()];
}

/** The parameters an optimizer updates: learnable, float, not frozen (`requiresGrad`). */
export function trainableParams(model: Module): [string, Param][] {
  return model.namedParams().filter(([, p]) => !p.isBuffer && p.dtype === 'float32' && p.requiresGrad);
}

/**
 * timm's `create_optimizer_v2(model, opt, lr, weight_decay, momentum, layer_decay, …)`: with `layerDecay` the
 * parameters are grouped by {@link paramGroupsLayerDecay}; otherwise, with weight decay (and `filterBiasAndBn`,
 * default), split by {@link paramGroupsWeightDecay}; both use the model's `noWeightDecay()`. Each group's lr is `lr`
 * times its `lrScale` from the start (timm applies `lr_scale` when its scheduler first sets the lrs, i.e. as soon as
 * a scheduler is made; the lrs agree from there on).
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
  const { layerDecay, layerDecayMinScale } = options;
  if (layerDecay !== undefined && !(Number.isFinite(layerDecay) && layerDecay > 0)) {
    throw new OptimizerError(`createOptimizer: layerDecay must be a finite number > 0, got ${String(layerDecay)}`);
  }
  if (layerDecayMinScale !== undefined && !(Number.isFinite(layerDecayMinScale) && layerDecayMinScale >= 0)) {
    throw new OptimizerError(`createOptimizer: layerDecayMinScale must be a finite number >= 0, got ${String(layerDecayMinScale)}`);
  }
  const wd = options.weightDecay ?? 0;
  const nwd = (model as { noWeightDecay?: () => string[] }).noWeightDecay?.() ?? [];
  let groups: ParamGroup[];
  if (options.layerDecay !== undefined) {
    groups = paramGroupsLayerDecay(model, { weightDecay: wd, layerDecay: options.layerDecay, noWeightDecay: nwd, minScale: options.layerDecayMinScale });
  } else {
    groups = wd && (options.filterBiasAndBn ?? true) ? paramGroupsWeightDecay(model, wd, nwd) : [{ params: trainableParams(model), lr: 0, weightDecay: wd }];
  }
  for (const g of groups) {
    g.initialLr = options.lr;
    g.lr = options.lr * (g.lrScale ?? 1);
  }
  return new Optimizer(groups, options);
}
