import * as tf from '@tensorflow/tfjs-core';
import { Module } from '../module.js';
import { Attention } from './attention.js';
import { LayerScale } from './layer-scale.js';
import { DropPath } from './misc.js';
import { Mlp, type NormFactory } from './mlp.js';
import { LayerNorm } from './norm.js';

export interface TransformerBlockOptions {
  numHeads?: number;
  /** Hidden width of the MLP as a multiple of the block's width (default 4). */
  mlpRatio?: number;
  qkvBias?: boolean;
  projBias?: boolean;
  /** The MLP's activation (timm's `act_layer`, default exact GELU). */
  actLayer?: string;
  /** norm1 / norm2 (timm's `norm_layer`); default `nn.LayerNorm` with torch's eps 1e-5. */
  normLayer?: NormFactory;
  /** LayerScale init (timm's `init_values`); none when null / undefined. */
  initValues?: number | null;
  dropPath?: number;
}

/**
 * timm's vision_transformer `Block`, pre-norm, over tokens `[B, N, C]`: x + ls1(attn(norm1(x))), then
 * x + ls2(mlp(norm2(x))). Keys: norm1, attn.{qkv, proj}, ls1, norm2, mlp.{fc1, fc2}, ls2 (ls only with `initValues`).
 * MobileViT runs it over the pixels of its unfolded patches.
 */
export class TransformerBlock extends Module {
  readonly norm1: Module;
  readonly attn: Attention;
  readonly ls1: LayerScale | null;
  readonly norm2: Module;
  readonly mlp: Mlp;
  readonly ls2: LayerScale | null;
  readonly dropPath: DropPath;

  constructor(readonly dim: number, o: TransformerBlockOptions = {}) {
    super();
    const norm = o.normLayer ?? ((d: number) => new LayerNorm(d));
    this.norm1 = this.addModule('norm1', norm(dim));
    this.attn = this.addModule('attn', new Attention(dim, { numHeads: o.numHeads ?? 8, qkvBias: o.qkvBias ?? false, projBias: o.projBias ?? true }));
    this.ls1 = o.initValues ? this.addModule('ls1', new LayerScale(dim, o.initValues)) : null;
    this.norm2 = this.addModule('norm2', norm(dim));
    const hiddenFeatures = Math.trunc(dim * (o.mlpRatio ?? 4));
    this.mlp = this.addModule('mlp', new Mlp(dim, { hiddenFeatures, actLayer: o.actLayer ?? 'gelu' }));
    this.ls2 = o.initValues ? this.addModule('ls2', new LayerScale(dim, o.initValues)) : null;
    // One stateless DropPath serves both branches (timm's drop_path1 / drop_path2 have no state either).
    this.dropPath = new DropPath(o.dropPath ?? 0);
  }

  override forward(x: tf.Tensor): tf.Tensor {
    let a = this.attn.forward(this.norm1.forward(x));
    if (this.ls1) a = this.ls1.forward(a);
    x = tf.add(x, this.dropPath.forward(a));
    let m = this.mlp.forward(this.norm2.forward(x));
    if (this.ls2) m = this.ls2.forward(m);
    return tf.add(x, this.dropPath.forward(m));
  }
}
