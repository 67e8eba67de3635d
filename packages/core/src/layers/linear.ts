import * as tf from '@tensorflow/tfjs-core';
import { Module, type Param } from '../module.js';
import { type ActName, applyAct, fusedAct, LEAKY_SLOPE } from './activations.js';
import { recordingGradients } from './portable.js';

/** nn.Linear over the last axis. Keys: weight `[out, in]` (held as `[in, out]`), bias `[out]`. */
export class Linear extends Module {
  weight!: Param;
  bias!: Param | null;
  private readonly hasBias: boolean;
  constructor(public inFeatures: number, readonly outFeatures: number, options: { bias?: boolean } = {}) {
    super();
    this.hasBias = options.bias ?? true;
    this.build();
  }

  private build(): void {
    const bound = 1 / Math.sqrt(this.inFeatures);
    this.weight = this.addParam('weight', [this.outFeatures, this.inFeatures], { layout: 'linear', init: { kind: 'uniform', bound } });
    this.bias = this.hasBias ? this.addParam('bias', [this.outFeatures], { init: { kind: 'uniform', bound } }) : null;
  }

  /** Rebuilds for a pruned input width (timm's `adapt_model_from_string`). */
  adaptToPrunedShape(shape: number[]): void {
    this.inFeatures = shape[1]!;
    this.build();
  }

  override forward(x: tf.Tensor): tf.Tensor {
    return this.forwardAct(x, 'identity');
  }

  /** Linear → activation, fused where tfjs can. Works on any rank (leading axes are flattened). */
  forwardAct(x: tf.Tensor, act: ActName): tf.Tensor {
    // tfjs' fused matmul has gradients for few activations: while gradients are recorded the activation runs apart.
    const fused = recordingGradients() ? undefined : fusedAct(act);
    const lead = x.shape.slice(0, -1);
    const x2 = x.rank === 2 ? (x as tf.Tensor2D) : tf.reshape(x, [-1, this.inFeatures]) as tf.Tensor2D;
    let y: tf.Tensor = tf.fused.matMul({
      a: x2, b: this.weight.value as tf.Tensor2D, bias: this.bias?.value, activation: fused ?? 'linear', leakyreluAlpha: LEAKY_SLOPE,
    });
    if (x.rank !== 2) y = tf.reshape(y, [...lead, this.outFeatures]);
    return fused ? y : applyAct(act, y);
  }
}
