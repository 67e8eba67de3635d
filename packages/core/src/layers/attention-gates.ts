import * as tf from '@tensorflow/tfjs-core';
import { Identity, Module, type Param } from '../module.js';
import { type ActName, applyAct, resolveAct } from './activations.js';
import { Conv2d } from './conv.js';
import { makeDivisible } from './helpers.js';
import { BatchNorm2d } from './norm.js';
import { spatialMax, spatialMean } from './pool.js';

export interface SEOptions {
  rdRatio?: number;
  rdChannels?: number;
  rdDivisor?: number;
  addMaxpool?: boolean;
  bias?: boolean;
  act?: string;
  norm?: boolean;
  gate?: string;
}

/** timm's SEModule (layers/squeeze_excite.py). Keys: fc1, bn (when normed), fc2. */
export class SEModule extends Module {
  readonly fc1: Conv2d;
  readonly bn: Module;
  readonly fc2: Conv2d;
  readonly act: ActName;
  readonly gate: ActName;
  readonly addMaxpool: boolean;
  constructor(channels: number, options: SEOptions = {}) {
    super();
    const rd = options.rdChannels || makeDivisible(channels * (options.rdRatio ?? 1 / 16), options.rdDivisor ?? 8, undefined, 0);
    const bias = options.bias ?? true;
    this.addMaxpool = options.addMaxpool ?? false;
    this.fc1 = this.addModule('fc1', new Conv2d(channels, rd, 1, { bias }));
    this.bn = this.addModule('bn', options.norm ? new BatchNorm2d(rd) : new Identity());
    this.fc2 = this.addModule('fc2', new Conv2d(rd, channels, 1, { bias }));
    this.act = resolveAct(options.act ?? 'relu');
    this.gate = resolveAct(options.gate ?? 'sigmoid');
  }
  override forward(x: tf.Tensor): tf.Tensor {
    let s = spatialMean(x, true);
    if (this.addMaxpool) s = tf.add(tf.mul(s, 0.5), tf.mul(spatialMax(x, true), 0.5));
    s = this.bn instanceof BatchNorm2d ? this.fc1.forwardBn(s, this.bn, this.act) : this.fc1.forwardAct(s, this.act);
    s = this.fc2.forwardAct(s, this.gate);
    return tf.mul(x, s);
  }
}

/** timm's EffectiveSEModule ('ese'): one 1×1 conv with bias, hard_sigmoid gate. Key: fc. */
export class EffectiveSEModule extends Module {
  readonly fc: Conv2d;
  readonly gate: ActName;
  constructor(channels: number, options: { addMaxpool?: boolean; gate?: string } = {}) {
    super();
    this.fc = this.addModule('fc', new Conv2d(channels, channels, 1, { bias: true }));
    this.gate = resolveAct(options.gate ?? 'hard_sigmoid');
    this.addMaxpool = options.addMaxpool ?? false;
  }
  readonly addMaxpool: boolean;
  override forward(x: tf.Tensor): tf.Tensor {
    let s = spatialMean(x, true);
    if (this.addMaxpool) s = tf.add(tf.mul(s, 0.5), tf.mul(spatialMax(x, true), 0.5));
    return tf.mul(x, this.fc.forwardAct(s, this.gate));
  }
}

/** timm's EcaModule: a 1-D conv across channels of the pooled vector. Key: conv.weight `[1, 1, k]`. */
export class EcaModule extends Module {
  readonly kernelSize: number;
  readonly weight: Param;
  readonly gate: ActName;
  constructor(channels: number | null, options: { kernelSize?: number; gamma?: number; beta?: number; gate?: string } = {}) {
    super();
    let k = options.kernelSize ?? 3;
    if (channels !== null) {
      const t = Math.trunc(Math.abs(Math.log2(channels) + (options.beta ?? 1)) / (options.gamma ?? 2));
      k = Math.max(t % 2 ? t : t + 1, 3);
    }
    this.kernelSize = k;
    const conv = this.addModule('conv', new Module());
    this.weight = conv.addParam('weight', [1, 1, k], { init: { kind: 'uniform', bound: 1 / Math.sqrt(k) } });
    this.gate = resolveAct(options.gate ?? 'sigmoid');
  }
  override forward(x: tf.Tensor): tf.Tensor {
    const [b, , , c] = x.shape as number[];
    const y = tf.reshape(spatialMean(x), [b!, c!, 1]) as tf.Tensor3D;
    const w = tf.reshape(this.weight.value, [this.kernelSize, 1, 1]) as tf.Tensor3D;
    const pad = (this.kernelSize - 1) / 2;
    const conv = tf.conv1d(tf.pad(y, [[0, 0], [pad, pad], [0, 0]]), w, 1, 'valid');
    return tf.mul(x, tf.reshape(applyAct(this.gate, conv), [b!, 1, 1, c!]));
  }
}

/** timm's `create_attn`: the channel attention module for a name ('se', 'ese', 'eca'), or null for none. */
export function createAttn(name: string | null | undefined, channels: number, options: SEOptions = {}): Module | null {
  if (!name) return null;
  switch (name.toLowerCase()) {
    case 'se':
      return new SEModule(channels, options);
    case 'ese':
      return new EffectiveSEModule(channels);
    case 'eca':
      return new EcaModule(channels);
    default:
      throw new Error(`Unknown attention layer '${name}' (known: se, ese, eca)`);
  }
}
