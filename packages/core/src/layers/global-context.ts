import * as tf from '@tensorflow/tfjs-core';
import { Identity, Module } from '../module.js';
import { type ActName, applyAct, resolveAct } from './activations.js';
import { Conv2d } from './conv.js';
import { makeDivisible } from './helpers.js';
import { batchMatMul } from './matmul.js';
import { LayerNorm2d } from './norm.js';
import { spatialMean } from './pool.js';

/** timm's ConvMlp as GlobalContext uses it: 1×1 conv → LayerNorm2d (eps 1e-6) → act → 1×1 conv. Keys fc1, norm, fc2. */
class ContextMlp extends Module {
  readonly fc1: Conv2d;
  readonly norm: LayerNorm2d;
  readonly fc2: Conv2d;
  constructor(chs: number, hidden: number, readonly act: ActName) {
    super();
    this.fc1 = this.addModule('fc1', new Conv2d(chs, hidden, 1, { bias: true }));
    this.norm = this.addModule('norm', new LayerNorm2d(hidden, { eps: 1e-6 }));
    this.addModule('act', new Identity());
    this.fc2 = this.addModule('fc2', new Conv2d(hidden, chs, 1, { bias: true }));
  }
  override forward(x: tf.Tensor): tf.Tensor {
    return this.fc2.forward(applyAct(this.act, this.norm.forward(this.fc1.forward(x))));
  }
}

export interface GlobalContextOptions {
  useAttn?: boolean;
  fuseAdd?: boolean;
  fuseScale?: boolean;
  rdRatio?: number;
  rdChannels?: number;
  rdDivisor?: number;
  act?: string;
  gate?: string;
}

/**
 * timm's GlobalContext (GCNet) attention: attention-pooled (or mean) context → ConvMlp → sigmoid scale and/or add.
 * Keys: conv_attn, mlp_add, mlp_scale.
 */
export class GlobalContext extends Module {
  readonly convAttn: Conv2d | null;
  readonly mlpAdd: ContextMlp | null;
  readonly mlpScale: ContextMlp | null;
  readonly gate: ActName;
  constructor(channels: number, o: GlobalContextOptions = {}) {
    super();
    const act = resolveAct(o.act ?? 'relu');
    const rd = o.rdChannels ?? makeDivisible(channels * (o.rdRatio ?? 1 / 8), o.rdDivisor ?? 1, undefined, 0);
    this.convAttn = (o.useAttn ?? true) ? this.addModule('conv_attn', new Conv2d(channels, 1, 1, { bias: true })) : null;
    this.mlpAdd = o.fuseAdd ? this.addModule('mlp_add', new ContextMlp(channels, rd, act)) : null;
    this.mlpScale = (o.fuseScale ?? true) ? this.addModule('mlp_scale', new ContextMlp(channels, rd, act)) : null;
    this.gate = resolveAct(o.gate ?? 'sigmoid');
  }
  override forward(x: tf.Tensor): tf.Tensor {
    const [b, h, w, c] = x.shape as [number, number, number, number];
    let context: tf.Tensor;
    if (this.convAttn) {
      const attn = tf.softmax(tf.reshape(this.convAttn.forward(x), [b, 1, h * w]), -1); // [B, 1, HW]
      context = tf.reshape(batchMatMul(attn as tf.Tensor3D, tf.reshape(x, [b, h * w, c]) as tf.Tensor3D), [b, 1, 1, c]);
    } else context = spatialMean(x, true);
    if (this.mlpScale) x = tf.mul(x, applyAct(this.gate, this.mlpScale.forward(context)));
    if (this.mlpAdd) x = tf.add(x, this.mlpAdd.forward(context));
    return x;
  }
}
