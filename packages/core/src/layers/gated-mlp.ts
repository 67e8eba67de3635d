import * as tf from '@tensorflow/tfjs-core';
import { Module } from '../module.js';
import { type ActName, resolveAct } from './activations.js';
import { Linear } from './linear.js';
import type { MlpOptions, NormFactory } from './mlp.js';
import { LayerNorm } from './norm.js';
import { splitTensor } from './slice.js';

/** Swaps the last two axes of a rank-3 tensor (`[B, N, C]` ↔ `[B, C, N]`). */
function swapLast(x: tf.Tensor): tf.Tensor {
  return tf.transpose(x, [0, 2, 1]);
}

/**
 * gMLP's spatial gating unit (timm's `SpatialGatingUnit`) over tokens `[B, N, dim]`: the channels split in halves
 * `u, v`; `v` is normalised, mixed across the N tokens by a linear `[N, N]`, and gates `u` (`u * v'`). The norm is
 * timm's default `nn.LayerNorm` (eps 1e-5) unless given. Keys: norm, proj.
 */
export class SpatialGatingUnit extends Module {
  readonly norm: Module;
  readonly proj: Linear;
  constructor(readonly dim: number, readonly seqLen: number, normLayer: NormFactory = (d) => new LayerNorm(d)) {
    super();
    if (dim % 2 !== 0) throw new Error(`SpatialGatingUnit: dim (${dim}) must be even`);
    this.norm = this.addModule('norm', normLayer(dim / 2));
    this.proj = this.addModule('proj', new Linear(seqLen, seqLen));
  }
  override forward(x: tf.Tensor): tf.Tensor {
    const [u, v] = splitTensor(x, 2, x.rank - 1) as [tf.Tensor, tf.Tensor];
    const gate = swapLast(this.proj.forward(swapLast(this.norm.forward(v))));
    return tf.mul(u, gate);
  }
}

/** Builds a gate over `hidden` channels (timm's `gate_layer`); its output has `hidden / 2` channels. */
export type GateFactory = (hidden: number) => Module;

/**
 * timm's `GatedMlp` (gMLP's channel MLP): fc1 → act → gate → (norm) → fc2. With a gate the hidden width is halved
 * after it (the gate keeps half the channels). Keys: fc1, gate, norm, fc2.
 */
export class GatedMlp extends Module {
  readonly fc1: Linear;
  readonly gate: Module | null;
  readonly norm: Module | null;
  readonly fc2: Linear;
  readonly act: ActName;
  constructor(inFeatures: number, options: MlpOptions & { gateLayer?: GateFactory } = {}) {
    super();
    let hidden = options.hiddenFeatures ?? inFeatures;
    const out = options.outFeatures ?? inFeatures;
    const bias = options.bias ?? true;
    this.act = resolveAct(options.actLayer ?? 'gelu');
    this.fc1 = this.addModule('fc1', new Linear(inFeatures, hidden, { bias }));
    if (options.gateLayer) {
      if (hidden % 2 !== 0) throw new Error(`GatedMlp: hidden features (${hidden}) must be even with a gate`);
      this.gate = this.addModule('gate', options.gateLayer(hidden));
      hidden /= 2;
    } else this.gate = null;
    this.norm = options.normLayer ? this.addModule('norm', options.normLayer(hidden)) : null;
    this.fc2 = this.addModule('fc2', new Linear(hidden, out, { bias }));
  }
  override forward(x: tf.Tensor): tf.Tensor {
    let h = this.fc1.forwardAct(x, this.act);
    if (this.gate) h = this.gate.forward(h);
    if (this.norm) h = this.norm.forward(h);
    return this.fc2.forward(h);
  }
}
