import * as tf from '@tensorflow/tfjs-core';
import { Identity, Module } from '../module.js';
import { type ActName, resolveAct } from './activations.js';
import { Linear } from './linear.js';
import type { NormFactory } from './mlp.js';
import { LayerNorm } from './norm.js';
import { globalPoolNlc } from './pool-nlc.js';

const POOLS = ['', 'avg', 'max', 'avgmax'];

export interface ClNormMlpClassifierHeadOptions {
  /** Width of the pre-logits hidden layer (`pre_logits.fc` + act); none when 0/undefined. */
  hiddenSize?: number | null;
  /** '' (no pooling), 'avg', 'max' or 'avgmax'. */
  poolType?: string;
  dropRate?: number;
  /** The norm over the pooled features (default LayerNorm, eps 1e-6). */
  normLayer?: NormFactory;
  /** Activation after the hidden layer (default 'gelu', as timm). */
  actLayer?: string;
  /** 'NLC' tokens `[B, N, C]` (pool over N) or 'NHWC' maps (pool over H, W). */
  inputFmt?: 'NLC' | 'NHWC';
}

/**
 * timm's `ClNormMlpClassifierHead` for channels-last input: global pool → norm → (pre_logits: fc → act) → fc, all
 * over the last axis. Keys: norm, pre_logits.fc, fc. `reset(n, pool, resetOther)` drops norm and hidden layer as
 * timm's does when a model is pruned for features.
 */
export class ClNormMlpClassifierHead extends Module {
  readonly inFeatures: number;
  readonly hiddenSize: number;
  readonly numFeatures: number;
  readonly inputFmt: 'NLC' | 'NHWC';
  readonly act: ActName;
  poolType: string;
  norm: Module;
  preLogitsFc: Linear | null = null;
  fc!: Module;
  constructor(inFeatures: number, numClasses: number, options: ClNormMlpClassifierHeadOptions = {}) {
    super();
    this.inFeatures = inFeatures;
    this.hiddenSize = options.hiddenSize ?? 0;
    this.poolType = ClNormMlpClassifierHead.checkPool(options.poolType ?? 'avg');
    this.inputFmt = options.inputFmt ?? 'NHWC';
    this.act = resolveAct(options.actLayer ?? 'gelu');
    this.norm = this.addModule('norm', options.normLayer ? options.normLayer(inFeatures) : new LayerNorm(inFeatures, { eps: 1e-6 }));
    if (this.hiddenSize) {
      const pre = new Module();
      this.preLogitsFc = pre.addModule('fc', new Linear(inFeatures, this.hiddenSize));
      this.addModule('pre_logits', pre);
    } else {
      this.addModule('pre_logits', new Identity());
    }
    this.numFeatures = this.hiddenSize || inFeatures;
    this.fc = this.addModule('fc', numClasses > 0 ? new Linear(this.numFeatures, numClasses) : new Identity());
  }

  private static checkPool(p: string): string {
    if (!POOLS.includes(p)) throw new Error(`ClNormMlpClassifierHead: poolType must be one of '', 'avg', 'max', 'avgmax'; got '${p}'`);
    return p;
  }

  /** timm's `reset`: a new fc, the pool when given; with `resetOther` the norm and hidden layer become identities. */
  reset(numClasses: number, poolType?: string, resetOther = false): void {
    if (poolType !== undefined) this.poolType = ClNormMlpClassifierHead.checkPool(poolType);
    if (resetOther) {
      this.norm = this.addModule('norm', new Identity());
      this.preLogitsFc = null;
      this.addModule('pre_logits', new Identity());
    }
    this.fc = this.addModule('fc', numClasses > 0 ? new Linear(this.numFeatures, numClasses) : new Identity());
  }

  override forward(x: tf.Tensor): tf.Tensor {
    return this.forwardHead(x, false);
  }

  forwardHead(x: tf.Tensor, preLogits: boolean): tf.Tensor {
    if (this.poolType) {
      const [B, , , C] = x.shape;
      const tokens = this.inputFmt === 'NHWC' && x.rank === 4 ? tf.reshape(x, [B!, -1, C!]) : x;
      x = globalPoolNlc(tokens, this.poolType, 0);
    }
    x = this.norm.forward(x);
    if (this.preLogitsFc) x = this.preLogitsFc.forwardAct(x, this.act);
    return preLogits ? x : this.fc.forward(x);
  }
}
