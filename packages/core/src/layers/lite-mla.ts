import * as tf from '@tensorflow/tfjs-core';
import { hasForwardHooks, Module, Sequential } from '../module.js';
import { type ActName, applyAct, resolveAct } from './activations.js';
import { Conv2d } from './conv.js';
import { LiteConvNormAct, type LiteNorm, liteBatchNorm, type PerLayer } from './lite-convs.js';

export interface LiteMLAOptions {
  /** Attention heads; default `floor(in / dim × headsRatio)`. */
  heads?: number;
  headsRatio?: number;
  /** Channels per head (default 8). */
  dim?: number;
  /** Bias of the qkv / aggregation convs, and of the projection. */
  bias?: PerLayer<boolean>;
  /** Norms of qkv and of the projection (default none, BatchNorm). */
  norm?: PerLayer<LiteNorm>;
  /** Activations of qkv and of the projection (default none, none). */
  act?: PerLayer<string | null>;
  /** The kernel applied to queries and keys (default relu). */
  kernelFunc?: string;
  /** Kernel sizes of the multi-scale aggregation branches (default [5]). */
  scales?: readonly number[];
  /** Added to the attention's normaliser (default 1e-5). */
  eps?: number;
}

const pair = <T>(v: PerLayer<T>): [T, T] => (Array.isArray(v) ? [v[0] as T, (v[1] ?? v[0]) as T] : [v as T, v as T]);

/**
 * timm's `LiteMLA` (EfficientViT, MIT): lightweight multi-scale linear attention over an NHWC map. A 1×1 conv makes
 * q, k, v for every head; each aggregation branch (depthwise k×k conv, then a 1×1 conv grouped per head's q / k / v)
 * makes another set of heads from them; attention is ReLU-kernel linear attention, `relu(q) (relu(k)ᵀ [v 1])`,
 * divided by its last column (+ eps), computed in float32 as timm does (autocast off); a 1×1 conv + norm projects
 * the heads back. Keys: qkv.conv (qkv.norm), aggreg.i.0, aggreg.i.1, proj.conv, proj.norm.
 */
export class LiteMLA extends Module {
  readonly dim: number;
  readonly heads: number;
  readonly eps: number;
  readonly kernelFunc: ActName;
  readonly qkv: LiteConvNormAct;
  readonly aggreg: Sequential;
  readonly proj: LiteConvNormAct;
  constructor(inChannels: number, outChannels: number, options: LiteMLAOptions = {}) {
    super();
    this.dim = options.dim ?? 8;
    this.eps = options.eps ?? 1e-5;
    this.heads = options.heads || Math.floor(Math.floor(inChannels / this.dim) * (options.headsRatio ?? 1));
    const total = this.heads * this.dim;
    const [biasQkv, biasProj] = pair(options.bias ?? false);
    const [normQkv, normProj] = pair(options.norm ?? [null, liteBatchNorm()]);
    const [actQkv, actProj] = pair(options.act ?? null);
    this.qkv = this.addModule('qkv', new LiteConvNormAct(inChannels, 3 * total, 1, { bias: biasQkv, norm: normQkv, act: actQkv }));
    const scales = options.scales ?? [5];
    this.aggreg = this.addModule('aggreg', new Sequential(scales.map((scale) => {
      if (scale % 2 === 0) throw new Error(`LiteMLA aggregation kernel sizes must be odd (got ${scale})`);
      return new Sequential([
        new Conv2d(3 * total, 3 * total, scale, { padding: scale >> 1, groups: 3 * total, bias: biasQkv }),
        new Conv2d(3 * total, 3 * total, 1, { groups: 3 * this.heads, bias: biasQkv }),
      ]);
    })));
    this.kernelFunc = resolveAct(options.kernelFunc ?? 'relu');
    this.proj = this.addModule('proj', new LiteConvNormAct(total * (1 + scales.length), outChannels, 1, { bias: biasProj, norm: normProj, act: actProj }));
  }

  /**
   * One aggregation branch: the depthwise conv, then the 1×1 conv grouped per head's q / k / v as one batched matmul
   * over the groups (a grouped conv would run group by group: 12–48 small convs here, in tfjs and in an ONNX export).
   */
  private aggregate(qkv: tf.Tensor, branch: Sequential, key: string): tf.Tensor {
    const y = branch.at(0).forward(qkv);
    const pw = branch.at(1) as Conv2d;
    if (hasForwardHooks(pw)) return pw.forward(y);
    const g = pw.groups;
    const cin = pw.inChannels / g;
    const cout = pw.outChannels / g;
    // The kernel [1, 1, cin, g·cout] (output channels by group) as [g, cin, cout], kept until the weight changes.
    const [w] = this.derived(`aggreg:${key}`, [pw.weight], () => [tf.transpose(tf.reshape(pw.weight.value, [cin, g, cout]), [1, 0, 2])]);
    const [B, H, W] = y.shape as [number, number, number, number];
    const xs = tf.transpose(tf.reshape(y, [B * H * W, g, cin]), [1, 0, 2]);
    const out = tf.reshape(tf.transpose(tf.matMul(xs, w!), [1, 0, 2]), [B, H, W, g * cout]);
    return pw.bias ? tf.add(out, pw.bias.value) : out;
  }

  override forward(x: tf.Tensor): tf.Tensor {
    const [B, H, W] = x.shape as [number, number, number, number];
    const d = this.dim;
    const qkv = this.qkv.forward(x);
    const branches = [qkv, ...this.aggreg.namedChildren().map(([i, op]) => this.aggregate(qkv, op as Sequential, i))];
    const all = branches.length > 1 ? tf.concat(branches, 3) : qkv;
    // Channels are grouped per head as [q(d) k(d) v(d)]: [B, HW, G, 3d] → [B·G, HW, 3d].
    const G = all.shape[3]! / (3 * d);
    const heads = tf.reshape(tf.transpose(tf.reshape(all, [B, H * W, G, 3 * d]), [0, 2, 1, 3]), [B * G, H * W, 3 * d]);
    const [q0, k0, v0] = tf.split(heads, 3, 2);
    const q = applyAct(this.kernelFunc, q0!);
    const k = applyAct(this.kernelFunc, k0!);
    // v with a column of ones: its product gives the normaliser beside the values.
    const v = tf.pad(v0!, [[0, 0], [0, 0], [0, 1]], 1);
    const kv = tf.matMul(k, v, true, false);
    const out = tf.matMul(q, kv);
    const [num, den] = tf.split(out, [d, 1], 2);
    const attn = tf.div(num!, tf.add(den!, this.eps));
    // [B·G, HW, d] → [B, HW, G, d] → NHWC with channels (head, d), as timm's transpose + reshape.
    const y = tf.reshape(tf.transpose(tf.reshape(attn, [B, G, H * W, d]), [0, 2, 1, 3]), [B, H, W, G * d]);
    return this.proj.forward(y);
  }
}
