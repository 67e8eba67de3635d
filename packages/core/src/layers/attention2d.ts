import * as tf from '@tensorflow/tfjs-core';
import { Identity, Module } from '../module.js';
import { Conv2d, type PaddingArg } from './conv.js';
import { runFused } from './fuse.js';
import { softmaxAttention } from './matmul.js';
import { BatchNorm2d } from './norm.js';

/** A named, ordered group of modules (timm's nn.Sequential with add_module names), run fused. */
class NamedSeq extends Module {
  private readonly order: Module[] = [];
  add(name: string, m: Module): this {
    this.order.push(this.addModule(name, m));
    return this;
  }
  override forward(x: tf.Tensor): tf.Tensor {
    return runFused(x, this.order);
  }
}

export interface MultiQueryAttention2dOptions {
  dimOut?: number;
  numHeads?: number;
  keyDim?: number;
  valueDim?: number;
  kvStride?: number;
  dwKernelSize?: number;
  dilation?: number;
  padding?: PaddingArg;
  /** Norm after the key/value down-sampling conv (default BatchNorm2d). */
  normLayer?: (chs: number) => Module;
  useBias?: boolean;
}

/**
 * timm's MultiQueryAttention2d (MobileNetV4): per-head queries from a 1×1 conv, one shared key and value (optionally
 * down-sampled by a strided depthwise conv + norm), softmax attention over positions, 1×1 output projection. Query
 * strides are not supported (MobileNetV4 does not use them). Keys: query.proj, key.{down_conv,norm,proj},
 * value.{down_conv,norm,proj}, output.proj.
 */
export class MultiQueryAttention2d extends Module {
  readonly numHeads: number;
  readonly keyDim: number;
  readonly valueDim: number;
  readonly scale: number;
  private readonly query: NamedSeq;
  private readonly key: NamedSeq;
  private readonly value: NamedSeq;
  private readonly output: NamedSeq;
  constructor(readonly dim: number, o: MultiQueryAttention2dOptions = {}) {
    super();
    const dimOut = o.dimOut ?? dim;
    this.numHeads = o.numHeads ?? 8;
    this.keyDim = o.keyDim ?? Math.floor(dim / this.numHeads);
    this.valueDim = o.valueDim ?? Math.floor(dim / this.numHeads);
    this.scale = this.keyDim ** -0.5;
    const kvStride = o.kvStride ?? 1;
    const bias = o.useBias ?? false;
    const norm = o.normLayer ?? ((c: number) => new BatchNorm2d(c));
    const padding = o.padding ?? '';
    this.query = this.addModule('query', new NamedSeq().add('proj', new Conv2d(dim, this.numHeads * this.keyDim, 1, { bias })));
    const kv = (outChs: number) => {
      const s = new NamedSeq();
      if (kvStride > 1) {
        s.add('down_conv', new Conv2d(dim, dim, o.dwKernelSize ?? 3, { stride: kvStride, dilation: o.dilation, padding, groups: dim }));
        s.add('norm', norm(dim));
      }
      return s.add('proj', new Conv2d(dim, outChs, 1, { bias, padding }));
    };
    this.key = this.addModule('key', kv(this.keyDim));
    this.value = this.addModule('value', kv(this.valueDim));
    this.output = this.addModule('output', new NamedSeq().add('proj', new Conv2d(this.valueDim * this.numHeads, dimOut, 1, { bias })).add('drop', new Identity()));
  }
  override forward(x: tf.Tensor): tf.Tensor {
    const [b, h, w] = x.shape as [number, number, number, number];
    const nh = this.numHeads;
    // [B, H, W, heads*k] → [B, heads*HW, k] (rows ordered head-major), shared k/v [B, M, k|v].
    const q = tf.reshape(tf.transpose(tf.reshape(this.query.forward(x), [b, h * w, nh, this.keyDim]), [0, 2, 1, 3]), [b, nh * h * w, this.keyDim]);
    const k = this.key.forward(x);
    const v = this.value.forward(x);
    const m = k.shape[1]! * k.shape[2]!;
    const k3 = tf.reshape(k, [b, m, this.keyDim]) as tf.Tensor3D;
    const v3 = tf.reshape(v, [b, m, this.valueDim]) as tf.Tensor3D;
    const o = softmaxAttention(tf.mul(q, this.scale) as tf.Tensor3D, k3, v3); // [B, heads*HW, v]
    const out = tf.reshape(tf.transpose(tf.reshape(o, [b, nh, h * w, this.valueDim]), [0, 2, 1, 3]), [b, h, w, nh * this.valueDim]);
    return this.output.forward(out);
  }
}
