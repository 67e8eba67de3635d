import * as tf from '@tensorflow/tfjs-core';
import { Identity, Module } from '../module.js';
import { type ActName, resolveAct } from './activations.js';
import { Conv2d } from './conv.js';
import { Linear } from './linear.js';
import type { NormFactory } from './mlp.js';
import { LayerNorm } from './norm.js';
import { createClassifier, type PoolType, SelectAdaptivePool2d } from './pool.js';

/**
 * timm's `ClassifierHead`: global pool → (dropout, identity at inference) → fc. Keys: fc. With pool type `''` the
 * NHWC map passes through (then numClasses must be 0, or `useConv` for a 1×1 conv classifier). With `useConv` and a
 * pool, the logits and pre-logits are flattened to `[B, C]` as timm's are.
 */
export class ClassifierHead extends Module {
  readonly inFeatures: number;
  readonly useConv: boolean;
  poolType: string;
  globalPool!: SelectAdaptivePool2d;
  fc!: Module;
  constructor(inFeatures: number, numClasses: number, options: { poolType?: PoolType | string; dropRate?: number; useConv?: boolean } = {}) {
    super();
    this.inFeatures = inFeatures;
    this.useConv = options.useConv ?? false;
    this.poolType = options.poolType ?? 'avg';
    this.build(numClasses);
  }

  private build(numClasses: number): void {
    const head = createClassifier(this.inFeatures, numClasses, this.poolType, { useConv: this.useConv });
    this.globalPool = this.addModule('global_pool', head.globalPool);
    this.fc = this.addModule('fc', head.fc);
  }

  /** timm's `reset`: a new fc for `numClasses`, and a new pool when `poolType` is given. */
  reset(numClasses: number, poolType?: string): void {
    if (poolType !== undefined) this.poolType = poolType;
    this.build(numClasses);
  }

  override forward(x: tf.Tensor): tf.Tensor {
    return this.forwardHead(x, false);
  }

  forwardHead(x: tf.Tensor, preLogits: boolean): tf.Tensor {
    x = this.globalPool.forward(x);
    if (!preLogits) x = this.fc.forward(x);
    // timm flattens after a conv classifier (its pool kept the 1×1 map for it), unless there is no pool.
    return this.useConv && this.poolType && x.rank === 4 ? tf.reshape(x, [x.shape[0]!, -1]) : x;
  }
}

export interface NormMlpClassifierHeadOptions {
  /** Width of the pre-logits hidden layer (`pre_logits.fc` + act); none when 0/undefined. */
  hiddenSize?: number | null;
  poolType?: PoolType | string;
  dropRate?: number;
  /** The norm applied to the pooled features (default: LayerNorm, eps 1e-6). */
  normLayer?: NormFactory;
  /** Activation after the hidden layer (default 'tanh', as timm). */
  actLayer?: string;
}

/**
 * timm's `NormMlpClassifierHead`: global pool → norm → (pre_logits: fc → act) → fc. Keys: norm, pre_logits.fc, fc.
 * With pool type `''` no pooling happens and the fc layers become 1×1 convs over the NHWC map (as in timm), so the
 * state-dict shapes follow timm's.
 */
export class NormMlpClassifierHead extends Module {
  readonly inFeatures: number;
  readonly hiddenSize: number;
  /** Width of the pre-logits output (the hidden size, else the input width). */
  readonly numFeatures: number;
  readonly act: ActName;
  globalPool: SelectAdaptivePool2d;
  readonly norm: Module;
  preLogitsFc: Linear | Conv2d | null = null;
  fc!: Module;
  constructor(inFeatures: number, numClasses: number, options: NormMlpClassifierHeadOptions = {}) {
    super();
    this.inFeatures = inFeatures;
    this.hiddenSize = options.hiddenSize ?? 0;
    this.act = resolveAct(options.actLayer ?? 'tanh');
    this.globalPool = this.addModule('global_pool', new SelectAdaptivePool2d({ poolType: options.poolType ?? 'avg' }));
    this.norm = this.addModule('norm', options.normLayer ? options.normLayer(inFeatures) : new LayerNorm(inFeatures, { eps: 1e-6 }));
    this.numFeatures = inFeatures;
    if (this.hiddenSize) {
      const pre = new Module();
      this.preLogitsFc = pre.addModule('fc', this.linear(inFeatures, this.hiddenSize));
      this.addModule('pre_logits', pre);
      this.numFeatures = this.hiddenSize;
    } else {
      this.addModule('pre_logits', new Identity());
    }
    this.fc = this.addModule('fc', numClasses > 0 ? this.linear(this.numFeatures, numClasses) : new Identity());
  }

  private get useConv(): boolean {
    return this.globalPool.isIdentity();
  }

  private linear(inF: number, outF: number): Linear | Conv2d {
    return this.useConv ? new Conv2d(inF, outF, 1, { bias: true }) : new Linear(inF, outF);
  }

  /** timm's `reset`: new fc (and pool when given); the hidden layer switches between linear and 1×1 conv, keeping its weights. */
  reset(numClasses: number, poolType?: string): void {
    if (poolType !== undefined) this.globalPool = this.addModule('global_pool', new SelectAdaptivePool2d({ poolType }));
    const old = this.preLogitsFc;
    if (old && (old instanceof Conv2d) !== this.useConv) {
      const next = this.linear(this.inFeatures, this.hiddenSize);
      next.loadStateDict(Object.fromEntries(Object.entries(old.stateDict()).map(([k, v]) => [k, k === 'weight' ? { ...v, shape: next.getParam('weight')!.shape } : v])));
      this.preLogitsFc = this.getChild('pre_logits')!.addModule('fc', next);
    }
    this.fc = this.addModule('fc', numClasses > 0 ? this.linear(this.numFeatures, numClasses) : new Identity());
  }

  override forward(x: tf.Tensor): tf.Tensor {
    return this.forwardHead(x, false);
  }

  forwardHead(x: tf.Tensor, preLogits: boolean): tf.Tensor {
    x = this.globalPool.forward(x);
    x = this.norm.forward(x);
    if (this.preLogitsFc) x = this.preLogitsFc.forwardAct(x, this.act);
    return preLogits ? x : this.fc.forward(x);
  }
}
