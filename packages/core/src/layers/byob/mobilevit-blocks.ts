import * as tf from '@tensorflow/tfjs-core';
import { Module, Sequential } from '../../module.js';
import { Conv2d } from '../conv.js';
import { ConvMlp } from '../conv-mlp.js';
import type { ConvNormAct } from '../conv-norm-act.js';
import { GroupNorm1 } from '../group-norm1.js';
import { makeDivisible, numGroups } from '../helpers.js';
import { DropPath } from '../misc.js';
import { LayerNorm } from '../norm.js';
import { TransformerBlock } from '../transformer-block.js';
import type { ByoBlockArgs } from './blocks.js';

/** The block kwargs MobileViT's ByoBlockCfgs add to a ByobNet block's (timm's `block_kwargs`). */
export interface MobileVitBlockArgs extends ByoBlockArgs {
  transformerDim?: number | null;
  transformerDepth?: number;
  /** Patch side (square patches). */
  patchSize?: number;
  mlpRatio?: number;
  /** Heads of v1's transformer blocks (default 4). */
  numHeads?: number;
  /** v1: no fusion conv over [input, output] (timm's `no_fusion`). */
  noFusion?: boolean;
}

/** How a map of `size` pads up to whole patches (timm rounds H and W up to multiples of the patch). */
function patchGrid(h: number, w: number, p: number): { nh: number; nw: number } {
  return { nh: Math.ceil(h / p), nw: Math.ceil(w / p) };
}

/**
 * NHWC map `[B, nh·p, nw·p, C]` → `[B, p, p, nh, nw, C]`: pixel-in-patch axes first, then the patch grid. Both
 * MobileViT unfolds are a reshape of this (v1: `[B·P, N, C]`, v2: `[B, P, N, C]`), with timm's P and N orders.
 */
function toPatchMajor(x: tf.Tensor, p: number, nh: number, nw: number): tf.Tensor {
  const [B, , , C] = x.shape as [number, number, number, number];
  return tf.transpose(tf.reshape(x, [B, nh, p, nw, p, C]), [0, 2, 4, 1, 3, 5]);
}

/** The inverse of {@link toPatchMajor}: any `[B·p·p·nh·nw·C]` tensor back to the NHWC map `[B, nh·p, nw·p, C]`. */
function fromPatchMajor(x: tf.Tensor, B: number, p: number, nh: number, nw: number): tf.Tensor {
  const C = x.shape[x.rank - 1]!;
  return tf.reshape(tf.transpose(tf.reshape(x, [B, p, p, nh, nw, C]), [0, 3, 1, 4, 2, 5]), [B, nh * p, nw * p, C]);
}

/** Both blocks' sizes as timm computes them: kernel (3), output width (the input's) and transformer width. */
function blockDims(a: MobileVitBlockArgs): { k: number; outChs: number; dim: number } {
  return { k: a.kernelSize ?? 3, outChs: a.outChs || a.inChs, dim: a.transformerDim || makeDivisible((a.bottleRatio ?? 1) * a.inChs) };
}

/**
 * timm's MobileVitBlock (MobileViT v1): a local kxk ConvNormAct and a 1×1 projection, then the map cut into
 * `patchSize`² patches whose same-position pixels form token sequences for timm's ViT blocks, folded back, projected
 * (1×1 ConvNormAct) and fused with the input (kxk ConvNormAct over both). A map whose sides are not multiples of the
 * patch is resized up (bilinear) for the transformer and back after it. Keys: conv_kxk, conv_1x1,
 * transformer.N, norm, conv_proj, conv_fusion.
 */
export class MobileVitBlock extends Module {
  readonly conv_kxk: ConvNormAct;
  readonly conv_1x1: Conv2d;
  readonly transformer: Sequential;
  readonly norm: LayerNorm;
  readonly conv_proj: ConvNormAct;
  readonly conv_fusion: ConvNormAct | null;
  readonly patchSize: number;

  constructor(a: MobileVitBlockArgs) {
    super();
    const { k, outChs, dim } = blockDims(a);
    const groups = numGroups(a.groupSize, a.inChs);
    this.conv_kxk = this.addModule('conv_kxk', a.layers.convNormAct(a.inChs, a.inChs, k, { stride: a.stride ?? 1, groups, dilation: a.dilation?.[0] ?? 1 }));
    this.conv_1x1 = this.addModule('conv_1x1', new Conv2d(a.inChs, dim, 1));
    this.transformer = this.addModule('transformer', new Sequential());
    for (let i = 0; i < (a.transformerDepth ?? 2); i++) {
      this.transformer.append(
        new TransformerBlock(dim, { mlpRatio: a.mlpRatio ?? 2, numHeads: a.numHeads ?? 4, qkvBias: true, actLayer: a.layers.act, dropPath: a.dropPathRate ?? 0 }),
      );
    }
    this.norm = this.addModule('norm', new LayerNorm(dim));
    this.conv_proj = this.addModule('conv_proj', a.layers.convNormAct(dim, outChs, 1));
    this.conv_fusion = this.addModule('conv_fusion', a.noFusion ? null : a.layers.convNormAct(a.inChs + outChs, outChs, k));
    this.patchSize = a.patchSize ?? 8;
  }

  override forward(x: tf.Tensor): tf.Tensor {
    const shortcut = x;
    let y = this.conv_1x1.forward(this.conv_kxk.forward(x));
    const [B, H, W] = y.shape as [number, number, number, number];
    const p = this.patchSize;
    const { nh, nw } = patchGrid(H, W, p);
    const resized = nh * p !== H || nw * p !== W;
    // torch's bilinear with align_corners=False is TF's half-pixel-centres resize.
    if (resized) y = tf.image.resizeBilinear(y as tf.Tensor4D, [nh * p, nw * p], false, true);
    const C = y.shape[3]!;
    // [B, H, W, C] → [B·P, N, C]: batch b·P + pixel-in-patch, tokens the patches in row order.
    let t = tf.reshape(toPatchMajor(y, p, nh, nw), [B * p * p, nh * nw, C]);
    t = this.norm.forward(this.transformer.forward(t));
    y = fromPatchMajor(t, B, p, nh, nw);
    if (resized) y = tf.image.resizeBilinear(y as tf.Tensor4D, [H, W], false, true);
    y = this.conv_proj.forward(y);
    return this.conv_fusion ? this.conv_fusion.forward(tf.concat([shortcut, y], 3)) : y;
  }
}

/**
 * timm's LinearSelfAttention (MobileViT v2's separable self-attention) over `[B, P, N, C]` (channels last): one 1×1
 * projection to a query score and keys and values; the softmax of the scores over the N patches weights the keys
 * into one context vector per pixel-in-patch, which scales relu(values). Keys: qkv_proj, out_proj.
 */
export class LinearSelfAttention extends Module {
  readonly qkv_proj: Conv2d;
  readonly out_proj: Conv2d;
  constructor(readonly embedDim: number, o: { bias?: boolean } = {}) {
    super();
    this.qkv_proj = this.addModule('qkv_proj', new Conv2d(embedDim, 1 + 2 * embedDim, 1, { bias: o.bias ?? true }));
    this.out_proj = this.addModule('out_proj', new Conv2d(embedDim, embedDim, 1, { bias: o.bias ?? true }));
  }
  override forward(x: tf.Tensor): tf.Tensor {
    const [query, key, value] = tf.split(this.qkv_proj.forward(x), [1, this.embedDim, this.embedDim], 3) as [tf.Tensor, tf.Tensor, tf.Tensor];
    // Softmax over the N axis (2), written out: tf.softmax only takes the last axis.
    const e = tf.exp(tf.sub(query, tf.max(query, 2, true)));
    const scores = tf.div(e, tf.sum(e, 2, true));
    const context = tf.sum(tf.mul(key, scores), 2, true); // [B, P, 1, C]
    return this.out_proj.forward(tf.mul(tf.relu(value), context));
  }
}

/**
 * timm's LinearTransformerBlock (pre-norm, over `[B, P, N, C]`): x + attn(norm1(x)), then x + mlp(norm2(x)), the
 * norms GroupNorm1 and the MLP timm's ConvMlp. Keys: norm1, attn, norm2, mlp.{fc1, fc2}.
 */
export class LinearTransformerBlock extends Module {
  readonly norm1: GroupNorm1;
  readonly attn: LinearSelfAttention;
  readonly norm2: GroupNorm1;
  readonly mlp: ConvMlp;
  readonly dropPath: DropPath;
  constructor(dim: number, o: { mlpRatio?: number; actLayer?: string; dropPath?: number } = {}) {
    super();
    this.norm1 = this.addModule('norm1', new GroupNorm1(dim));
    this.attn = this.addModule('attn', new LinearSelfAttention(dim));
    this.norm2 = this.addModule('norm2', new GroupNorm1(dim));
    this.mlp = this.addModule('mlp', new ConvMlp(dim, { hiddenFeatures: Math.trunc(dim * (o.mlpRatio ?? 2)), actLayer: o.actLayer ?? 'silu' }));
    this.dropPath = new DropPath(o.dropPath ?? 0);
  }
  override forward(x: tf.Tensor): tf.Tensor {
    x = tf.add(x, this.dropPath.forward(this.attn.forward(this.norm1.forward(x))));
    return tf.add(x, this.dropPath.forward(this.mlp.forward(this.norm2.forward(x))));
  }
}

/**
 * timm's MobileVitV2Block: the map resized up (bilinear, corners aligned) to whole patches when needed and kept at
 * that size, a local kxk ConvNormAct (depthwise in timm's cfgs) and a 1×1 projection, unfolded to `[B, P, N, C]` for
 * LinearTransformerBlocks and a GroupNorm1, folded back and projected by a 1×1 ConvNorm (no act). Keys: conv_kxk,
 * conv_1x1, transformer.N, norm, conv_proj.
 */
export class MobileVitV2Block extends Module {
  readonly conv_kxk: ConvNormAct;
  readonly conv_1x1: Conv2d;
  readonly transformer: Sequential;
  readonly norm: GroupNorm1;
  readonly conv_proj: ConvNormAct;
  readonly patchSize: number;

  constructor(a: MobileVitBlockArgs) {
    super();
    const { k, outChs, dim } = blockDims(a);
    const groups = numGroups(a.groupSize === undefined ? 1 : a.groupSize, a.inChs);
    this.conv_kxk = this.addModule('conv_kxk', a.layers.convNormAct(a.inChs, a.inChs, k, { groups, dilation: a.dilation?.[0] ?? 1 }));
    this.conv_1x1 = this.addModule('conv_1x1', new Conv2d(a.inChs, dim, 1));
    this.transformer = this.addModule('transformer', new Sequential());
    for (let i = 0; i < (a.transformerDepth ?? 2); i++) {
      this.transformer.append(new LinearTransformerBlock(dim, { mlpRatio: a.mlpRatio ?? 2, actLayer: a.layers.act, dropPath: a.dropPathRate ?? 0 }));
    }
    this.norm = this.addModule('norm', new GroupNorm1(dim));
    this.conv_proj = this.addModule('conv_proj', a.layers.convNormAct(dim, outChs, 1, { applyAct: false }));
    this.patchSize = a.patchSize ?? 8;
  }

  override forward(x: tf.Tensor): tf.Tensor {
    const [B, H, W] = x.shape as [number, number, number, number];
    const p = this.patchSize;
    const { nh, nw } = patchGrid(H, W, p);
    if (nh * p !== H || nw * p !== W) x = tf.image.resizeBilinear(x as tf.Tensor4D, [nh * p, nw * p], true);
    const y = this.conv_1x1.forward(this.conv_kxk.forward(x));
    const C = y.shape[3]!;
    // [B, H, W, C] → [B, P, N, C] (timm's [B, C, P, N] with channels last).
    let t = tf.reshape(toPatchMajor(y, p, nh, nw), [B, p * p, nh * nw, C]);
    t = this.norm.forward(this.transformer.forward(t));
    return this.conv_proj.forward(fromPatchMajor(t, B, p, nh, nw));
  }
}
