import * as tf from '@tensorflow/tfjs-core';
import { Module } from '../module.js';
import { Activation } from './activations.js';
import { Conv2d } from './conv.js';
import { AvgPool2d } from './pool.js';
import { StarReLU } from './star-relu.js';

/**
 * PoolFormer's token mixer (timm's metaformer `Pooling`): `avgpool(x) - x` with a stride-1 `poolSize` window that
 * leaves padding out of each average (`count_include_pad=False`). NHWC in and out; no parameters.
 */
export class PoolingMixer extends Module {
  readonly pool: AvgPool2d;
  constructor(readonly poolSize = 3) {
    super();
    this.pool = this.addModule('pool', new AvgPool2d(poolSize, { stride: 1, padding: Math.floor(poolSize / 2), countIncludePad: false }));
  }
  override forward(x: tf.Tensor): tf.Tensor {
    return tf.sub(this.pool.forward(x), x);
  }
}

export interface SepConvOptions {
  /** Hidden width as a multiple of dim (default 2). */
  expansionRatio?: number;
  /** After the first 1×1 conv: 'star_relu' (default, a StarReLU with its own scale / bias) or an activation name. */
  act1Layer?: string;
  /** After the depthwise conv: an activation name, or 'star_relu' (default none). */
  act2Layer?: string | null;
  bias?: boolean;
  kernelSize?: number;
  padding?: number;
}

const actModule = (name: string | null | undefined) => (name === 'star_relu' ? new StarReLU() : new Activation(name));

/**
 * ConvFormer's token mixer (timm's metaformer `SepConv`): an inverted separable conv, 1×1 conv → act1 → depthwise
 * k×k conv → act2 → 1×1 conv, on NHWC maps. Keys: pwconv1, act1 (StarReLU's scale / bias), dwconv, act2, pwconv2.
 */
export class SepConvMixer extends Module {
  readonly pwconv1: Conv2d;
  readonly act1: Module;
  readonly dwconv: Conv2d;
  readonly act2: Module;
  readonly pwconv2: Conv2d;
  constructor(dim: number, options: SepConvOptions = {}) {
    super();
    const mid = Math.trunc((options.expansionRatio ?? 2) * dim);
    const bias = options.bias ?? false;
    const kernelSize = options.kernelSize ?? 7;
    this.pwconv1 = this.addModule('pwconv1', new Conv2d(dim, mid, 1, { bias }));
    this.act1 = this.addModule('act1', actModule(options.act1Layer ?? 'star_relu'));
    this.dwconv = this.addModule('dwconv', new Conv2d(mid, mid, kernelSize, { padding: options.padding ?? 3, groups: mid, bias }));
    this.act2 = this.addModule('act2', actModule(options.act2Layer ?? null));
    this.pwconv2 = this.addModule('pwconv2', new Conv2d(mid, dim, 1, { bias }));
  }
  override forward(x: tf.Tensor): tf.Tensor {
    const h = this.act1.forward(this.pwconv1.forward(x));
    return this.pwconv2.forward(this.act2.forward(this.dwconv.forward(h)));
  }
}
