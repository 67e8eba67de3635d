import * as tf from '@tensorflow/tfjs-core';
import { Identity, Module } from '../../module.js';
import type { TensorData } from '../../weights/types.js';
import { type ActName, applyAct } from '../activations.js';
import { Conv2d } from '../conv.js';
import { ConvNormAct } from '../conv-norm-act.js';
import { makeDivisible } from '../helpers.js';
import { DropPath } from '../misc.js';
import { BatchNorm2d } from '../norm.js';
import { AvgPool2d } from '../pool.js';
import { numGroups } from '../helpers.js';
import type { ByoLayers } from './layers.js';
import { MobileVitBlock, MobileVitV2Block } from './mobilevit-blocks.js';

/** What every ByobNet block is built from (timm's `create_byob_stages` block kwargs), plus its type's own options. */
export interface ByoBlockArgs {
  inChs: number;
  outChs: number;
  kernelSize?: number;
  stride?: number;
  /** [first, rest]: the dilation of the block's first strided conv and of the others. */
  dilation?: [number, number];
  groupSize?: number | null;
  bottleRatio?: number;
  downsample?: string;
  layers: ByoLayers;
  dropPathRate?: number;
  /** Spatial size of the block's input, for fixed-size self-attention layers. */
  featSize?: [number, number] | null;
  attnLast?: boolean;
  linearOut?: boolean;
  extraConv?: boolean;
  bottleIn?: boolean;
  postAttnNa?: boolean;
  numConvBranches?: number;
  /** Build the re-parameterised (single conv) form of 'rep' / 'one' blocks directly. */
  inferenceMode?: boolean;
}

/**
 * timm's AvgPool2dSame as DownsampleAvg uses it in dilated stages: a 2×2 average at stride 1 over the map padded with
 * one row and column of zeros after it (TF 'SAME' padding, the zeros counted).
 */
class AvgPool2x2Same extends Module {
  override forward(x: tf.Tensor): tf.Tensor {
    return tf.avgPool(tf.pad(x as tf.Tensor4D, [[0, 0], [0, 1], [0, 1], [0, 0]]), 2, 1, 'valid');
  }
}

/** timm's DownsampleAvg: a 2×2 average pool (for strided or dilated shortcuts) then a 1×1 ConvNormAct. Keys pool, conv. */
export class DownsampleAvg extends Module {
  readonly pool: Module;
  readonly conv: Module;
  constructor(inChs: number, outChs: number, stride: number, dilation: number, layers: ByoLayers) {
    super();
    const avgStride = dilation === 1 ? stride : 1;
    let pool: Module = new Identity();
    if (avgStride === 1 && dilation > 1) pool = new AvgPool2x2Same();
    else if (stride > 1 || dilation > 1) pool = new AvgPool2d(2, { stride: avgStride, ceilMode: true, countIncludePad: false });
    this.pool = this.addModule('pool', pool);
    this.conv = this.addModule('conv', layers.convNormAct(inChs, outChs, 1, { applyAct: false }));
  }
  override forward(x: tf.Tensor): tf.Tensor {
    return this.conv.forward(this.pool.forward(x));
  }
}

/** timm's `create_shortcut`: Identity when shapes match, else a projection ('avg', 'conv1x1'), or null ('': none). */
export function createByoShortcut(type: string, inChs: number, outChs: number, stride: number, dilation: [number, number], layers: ByoLayers): Module | null {
  if (!['avg', 'conv1x1', ''].includes(type)) throw new Error(`ByobNet: downsample must be 'avg', 'conv1x1' or '', got '${type}'`);
  if (inChs === outChs && stride === 1 && dilation[0] === dilation[1]) return new Identity();
  if (!type) return null;
  if (type === 'avg') return new DownsampleAvg(inChs, outChs, stride, dilation[0], layers);
  return layers.convNormAct(inChs, outChs, 1, { stride, dilation: dilation[0], applyAct: false });
}

/** The parts every residual ByobNet block shares: shortcut, drop path and final activation. */
abstract class ResidualByoBlock extends Module {
  shortcut: Module | null = null;
  dropPath: Module | null = null;
  actName: ActName = 'identity';
  protected initShortcut(a: ByoBlockArgs, defaultDownsample: string): void {
    this.shortcut = this.addModule('shortcut', createByoShortcut(a.downsample ?? defaultDownsample, a.inChs, a.outChs, a.stride ?? 1, a.dilation ?? [1, 1], a.layers));
  }
  protected initTail(a: ByoBlockArgs): void {
    this.dropPath = this.addModule('drop_path', (a.dropPathRate ?? 0) > 0 ? new DropPath(a.dropPathRate) : new Identity());
    this.actName = a.linearOut ? 'identity' : a.layers.act;
  }
  protected residual(y: tf.Tensor, x: tf.Tensor): tf.Tensor {
    y = this.dropPath ? this.dropPath.forward(y) : y;
    if (this.shortcut) y = tf.add(y, this.shortcut.forward(x));
    return applyAct(this.actName, y);
  }
}

function attnOrIdentity(layers: ByoLayers, chs: number, on: boolean): Module {
  return on && layers.attn ? layers.attn(chs) : new Identity();
}

/** timm's BasicBlock: kxk → (attn) → kxk (+ attn_last), plus the shortcut. */
export class ByoBasicBlock extends ResidualByoBlock {
  readonly conv1_kxk: Module;
  readonly attn: Module;
  readonly conv2_kxk: Module;
  readonly attn_last: Module;
  constructor(a: ByoBlockArgs) {
    super();
    const k = a.kernelSize ?? 3;
    const dil = a.dilation ?? [1, 1];
    const attnLast = a.attnLast ?? true;
    const mid = makeDivisible(a.outChs * (a.bottleRatio ?? 1));
    const groups = numGroups(a.groupSize, mid);
    this.initShortcut(a, 'avg');
    this.conv1_kxk = this.addModule('conv1_kxk', a.layers.convNormAct(a.inChs, mid, k, { stride: a.stride, dilation: dil[0] }));
    this.attn = this.addModule('attn', attnOrIdentity(a.layers, mid, !attnLast));
    this.conv2_kxk = this.addModule('conv2_kxk', a.layers.convNormAct(mid, a.outChs, k, { dilation: dil[1], groups, applyAct: false }));
    this.attn_last = this.addModule('attn_last', attnOrIdentity(a.layers, a.outChs, attnLast));
    this.initTail(a);
  }
  override forward(x: tf.Tensor): tf.Tensor {
    const y = this.attn_last.forward(this.conv2_kxk.forward(this.attn.forward(this.conv1_kxk.forward(x))));
    return this.residual(y, x);
  }
}

/** timm's BottleneckBlock: 1×1 → kxk (→ kxk) → (attn) → 1×1 (+ attn_last), plus the shortcut. */
export class ByoBottleneckBlock extends ResidualByoBlock {
  readonly conv1_1x1: Module;
  readonly conv2_kxk: Module;
  readonly conv2b_kxk: Module;
  readonly attn: Module;
  readonly conv3_1x1: Module;
  readonly attn_last: Module;
  constructor(a: ByoBlockArgs) {
    super();
    const k = a.kernelSize ?? 3;
    const dil = a.dilation ?? [1, 1];
    const attnLast = a.attnLast ?? false;
    const mid = makeDivisible((a.bottleIn ? a.inChs : a.outChs) * (a.bottleRatio ?? 1));
    const groups = numGroups(a.groupSize, mid);
    this.initShortcut(a, 'avg');
    this.conv1_1x1 = this.addModule('conv1_1x1', a.layers.convNormAct(a.inChs, mid, 1));
    this.conv2_kxk = this.addModule('conv2_kxk', a.layers.convNormAct(mid, mid, k, { stride: a.stride, dilation: dil[0], groups }));
    this.conv2b_kxk = this.addModule('conv2b_kxk', a.extraConv ? a.layers.convNormAct(mid, mid, k, { dilation: dil[1], groups }) : new Identity());
    this.attn = this.addModule('attn', attnOrIdentity(a.layers, mid, !attnLast));
    this.conv3_1x1 = this.addModule('conv3_1x1', a.layers.convNormAct(mid, a.outChs, 1, { applyAct: false }));
    this.attn_last = this.addModule('attn_last', attnOrIdentity(a.layers, a.outChs, attnLast));
    this.initTail(a);
  }
  override forward(x: tf.Tensor): tf.Tensor {
    let y = this.conv2b_kxk.forward(this.conv2_kxk.forward(this.conv1_1x1.forward(x)));
    y = this.attn_last.forward(this.conv3_1x1.forward(this.attn.forward(y)));
    return this.residual(y, x);
  }
}

/** timm's DarkBlock: 1×1 → (attn) → strided kxk (+ attn_last), plus the shortcut. */
export class ByoDarkBlock extends ResidualByoBlock {
  readonly conv1_1x1: Module;
  readonly attn: Module;
  readonly conv2_kxk: Module;
  readonly attn_last: Module;
  constructor(a: ByoBlockArgs) {
    super();
    const attnLast = a.attnLast ?? true;
    const mid = makeDivisible(a.outChs * (a.bottleRatio ?? 1));
    this.initShortcut(a, 'avg');
    this.conv1_1x1 = this.addModule('conv1_1x1', a.layers.convNormAct(a.inChs, mid, 1));
    this.attn = this.addModule('attn', attnOrIdentity(a.layers, mid, !attnLast));
    this.conv2_kxk = this.addModule('conv2_kxk', a.layers.convNormAct(mid, a.outChs, a.kernelSize ?? 3, {
      stride: a.stride, dilation: (a.dilation ?? [1, 1])[0], groups: numGroups(a.groupSize, mid), applyAct: false,
    }));
    this.attn_last = this.addModule('attn_last', attnOrIdentity(a.layers, a.outChs, attnLast));
    this.initTail(a);
  }
  override forward(x: tf.Tensor): tf.Tensor {
    const y = this.attn_last.forward(this.conv2_kxk.forward(this.attn.forward(this.conv1_1x1.forward(x))));
    return this.residual(y, x);
  }
}

/** timm's EdgeBlock: strided kxk → (attn) → 1×1 (+ attn_last), plus the shortcut. */
export class ByoEdgeBlock extends ResidualByoBlock {
  readonly conv1_kxk: Module;
  readonly attn: Module;
  readonly conv2_1x1: Module;
  readonly attn_last: Module;
  constructor(a: ByoBlockArgs) {
    super();
    const attnLast = a.attnLast ?? false;
    const mid = makeDivisible(a.outChs * (a.bottleRatio ?? 1));
    this.initShortcut(a, 'avg');
    this.conv1_kxk = this.addModule('conv1_kxk', a.layers.convNormAct(a.inChs, mid, a.kernelSize ?? 3, {
      stride: a.stride, dilation: (a.dilation ?? [1, 1])[0], groups: numGroups(a.groupSize, mid),
    }));
    this.attn = this.addModule('attn', attnOrIdentity(a.layers, mid, !attnLast));
    this.conv2_1x1 = this.addModule('conv2_1x1', a.layers.convNormAct(mid, a.outChs, 1, { applyAct: false }));
    this.attn_last = this.addModule('attn_last', attnOrIdentity(a.layers, a.outChs, attnLast));
    this.initTail(a);
  }
  override forward(x: tf.Tensor): tf.Tensor {
    const y = this.attn_last.forward(this.conv2_1x1.forward(this.attn.forward(this.conv1_kxk.forward(x))));
    return this.residual(y, x);
  }
}

/** timm's SelfAttnBlock: 1×1 → (kxk) → self-attention → norm-act → 1×1, plus the shortcut. */
export class ByoSelfAttnBlock extends ResidualByoBlock {
  readonly conv1_1x1: Module;
  readonly conv2_kxk: Module;
  readonly self_attn: Module;
  readonly post_attn: Module;
  readonly conv3_1x1: Module;
  constructor(a: ByoBlockArgs) {
    super();
    if (!a.layers.selfAttn) throw new Error("ByobNet: a 'self_attn' block needs a selfAttnLayer (registerByoSelfAttn)");
    const dil = a.dilation ?? [1, 1];
    const mid = makeDivisible((a.bottleIn ? a.inChs : a.outChs) * (a.bottleRatio ?? 1));
    const groups = numGroups(a.groupSize, mid);
    let stride = a.stride ?? 1;
    this.initShortcut(a, 'avg');
    this.conv1_1x1 = this.addModule('conv1_1x1', a.layers.convNormAct(a.inChs, mid, 1));
    if (a.extraConv) {
      this.conv2_kxk = this.addModule('conv2_kxk', a.layers.convNormAct(mid, mid, a.kernelSize ?? 3, { stride, dilation: dil[0], groups }));
      stride = 1; // the conv strides instead
    } else this.conv2_kxk = this.addModule('conv2_kxk', new Identity());
    this.self_attn = this.addModule('self_attn', a.layers.selfAttn(mid, { stride, featSize: a.featSize ?? null }));
    this.post_attn = this.addModule('post_attn', (a.postAttnNa ?? true) ? a.layers.normAct(mid) : new Identity());
    this.conv3_1x1 = this.addModule('conv3_1x1', a.layers.convNormAct(mid, a.outChs, 1, { applyAct: false }));
    this.initTail(a);
  }
  override forward(x: tf.Tensor): tf.Tensor {
    let y = this.self_attn.forward(this.conv2_kxk.forward(this.conv1_1x1.forward(x)));
    y = this.conv3_1x1.forward(this.post_attn.forward(y));
    return this.residual(y, x);
  }
}

/** A conv-BN branch or a lone BN (identity branch) as timm's `_fuse_bn_tensor` reads it: OIHW kernel and bias. */
export function fuseBranch(branch: Module, outChs: number, inPerGroup: number, k: number): { kernel: Float32Array; bias: Float32Array } {
  const bn = branch instanceof ConvNormAct ? branch.bn : branch;
  if (!(bn instanceof BatchNorm2d)) throw new Error('reparameterize: only BatchNorm branches fold into a conv');
  const get = (name: string) => bn.getParam(name)!.toTorch().data as Float32Array;
  const [gamma, beta, mean, variance] = [get('weight'), get('bias'), get('running_mean'), get('running_var')];
  const kernel = new Float32Array(outChs * inPerGroup * k * k);
  if (branch instanceof ConvNormAct) {
    const w = (branch.conv.weight.toTorch() as TensorData).data as Float32Array;
    const kk = branch.conv.kernelSize[0];
    const off = (k - kk) / 2; // a 1×1 kernel sits at the centre of the kxk one
    for (let o = 0; o < outChs; o++) {
      for (let i = 0; i < inPerGroup; i++) {
        for (let y = 0; y < kk; y++) for (let x = 0; x < kk; x++) kernel[((o * inPerGroup + i) * k + y + off) * k + x + off] = w[((o * inPerGroup + i) * kk + y) * kk + x]!;
      }
    }
  } else {
    const c = (k - 1) / 2;
    for (let o = 0; o < outChs; o++) kernel[((o * inPerGroup + (o % inPerGroup)) * k + c) * k + c] = 1;
  }
  const bias = new Float32Array(outChs);
  const per = inPerGroup * k * k;
  for (let o = 0; o < outChs; o++) {
    const std = Math.sqrt(variance[o]! + bn.eps);
    const t = gamma[o]! / std;
    for (let j = 0; j < per; j++) kernel[o * per + j] = kernel[o * per + j]! * t;
    bias[o] = beta[o]! - (mean[o]! * gamma[o]!) / std;
  }
  return { kernel, bias };
}

/** The single conv (with bias) equal to the sum of `branches` (timm's `_get_kernel_bias`). */
export function fuseBranches(branches: Module[], template: Conv2d): Conv2d {
  const { inChannels, outChannels, groups, stride, dilation } = template;
  const k = template.kernelSize[0];
  const inPerGroup = inChannels / groups;
  const conv = new Conv2d(inChannels, outChannels, k, { stride, dilation, groups, bias: true });
  const kernel = new Float32Array(outChannels * inPerGroup * k * k);
  const bias = new Float32Array(outChannels);
  for (const b of branches) {
    const f = fuseBranch(b, outChannels, inPerGroup, k);
    f.kernel.forEach((v, i) => {
      kernel[i] = kernel[i]! + v;
    });
    f.bias.forEach((v, i) => {
      bias[i] = bias[i]! + v;
    });
  }
  conv.weight.assign({ dtype: 'float32', shape: [outChannels, inPerGroup, k, k], data: kernel });
  conv.bias!.assign({ dtype: 'float32', shape: [outChannels], data: bias });
  return conv;
}

/** What RepVGG and MobileOne blocks share: the multi-branch train-time form and its fusion into `reparam_conv`. */
abstract class ReparamByoBlock extends Module {
  reparam_conv: Conv2d | null = null;
  identity: Module | null = null;
  dropPath: Module | null = null;
  attn!: Module;
  actName: ActName = 'identity';
  protected abstract convBranches(): Module[];
  protected abstract template(): Conv2d;

  protected initReparam(a: ByoBlockArgs, groups: number): boolean {
    const k = a.kernelSize ?? 3;
    if (a.inferenceMode) {
      this.reparam_conv = this.addModule('reparam_conv', new Conv2d(a.inChs, a.outChs, k, { stride: a.stride, dilation: (a.dilation ?? [1, 1])[0], groups, bias: true }));
      return false;
    }
    const useIdent = a.inChs === a.outChs && (a.stride ?? 1) === 1 && (a.dilation ?? [1, 1])[0] === (a.dilation ?? [1, 1])[1];
    this.identity = this.addModule('identity', useIdent ? a.layers.normAct(a.outChs, false) : null);
    return true;
  }

  protected initTail(a: ByoBlockArgs, useIdent: boolean): void {
    if (!this.reparam_conv) this.dropPath = this.addModule('drop_path', (a.dropPathRate ?? 0) > 0 && useIdent ? new DropPath(a.dropPathRate) : new Identity());
    this.attn = this.addModule('attn', a.layers.attn ? a.layers.attn(a.outChs) : new Identity());
    this.actName = a.layers.act;
  }

  override forward(x: tf.Tensor): tf.Tensor {
    if (this.reparam_conv) return applyAct(this.actName, this.attn.forward(this.reparam_conv.forward(x)));
    let y: tf.Tensor | null = null;
    for (const b of this.convBranches()) {
      const o = b.forward(x);
      y = y ? tf.add(y, o) : o;
    }
    y = this.dropPath ? this.dropPath.forward(y!) : y!;
    if (this.identity) y = tf.add(y, this.identity.forward(x));
    return applyAct(this.actName, this.attn.forward(y));
  }

  /**
   * Fuses the branches (kxk conv-BNs, 1×1 conv-BN, identity BN) into one conv with bias, `reparam_conv`, as timm's
   * `reparameterize()`: the output is unchanged up to float rounding, the forward is one conv. Idempotent.
   */
  reparameterize(): void {
    if (this.reparam_conv) return;
    const branches = [...this.convBranches(), ...(this.identity ? [this.identity] : [])];
    const conv = fuseBranches(branches, this.template());
    for (const [name] of this.namedChildren()) if (!['attn', 'act'].includes(name)) this.addModule(name, null);
    this.identity = null;
    this.dropPath = null;
    this.reparam_conv = this.addModule('reparam_conv', conv);
  }
}

/** timm's RepVggBlock: kxk conv-BN + 1×1 conv-BN (+ identity BN) at train time; `reparam_conv` once fused. */
export class ByoRepVggBlock extends ReparamByoBlock {
  conv_kxk: ConvNormAct | null = null;
  conv_1x1: ConvNormAct | null = null;
  constructor(a: ByoBlockArgs) {
    super();
    const groups = numGroups(a.groupSize, a.inChs);
    const branched = this.initReparam(a, groups);
    if (branched) {
      const k = a.kernelSize ?? 3;
      this.conv_kxk = this.addModule('conv_kxk', a.layers.convNormAct(a.inChs, a.outChs, k, { stride: a.stride, dilation: (a.dilation ?? [1, 1])[0], groups, applyAct: false }));
      this.conv_1x1 = this.addModule('conv_1x1', a.layers.convNormAct(a.inChs, a.outChs, 1, { stride: a.stride, groups, applyAct: false }));
    }
    this.initTail(a, this.identity !== null);
  }
  protected convBranches(): Module[] {
    return [this.conv_1x1!, this.conv_kxk!];
  }
  protected template(): Conv2d {
    return this.conv_kxk!.conv;
  }
  override reparameterize(): void {
    super.reparameterize();
    this.conv_kxk = this.conv_1x1 = null;
  }
}

/** timm's MobileOneBlock: `numConvBranches` kxk conv-BNs, a 1×1 scale conv-BN (k > 1) and an identity BN. */
export class ByoMobileOneBlock extends ReparamByoBlock {
  conv_kxk: Module | null = null;
  conv_scale: ConvNormAct | null = null;
  constructor(a: ByoBlockArgs) {
    super();
    const groups = numGroups(a.groupSize, a.inChs);
    const k = a.kernelSize ?? 3;
    const branched = this.initReparam(a, groups);
    if (branched) {
      const list = new Module();
      for (let i = 0; i < (a.numConvBranches ?? 1); i++) {
        list.addModule(String(i), a.layers.convNormAct(a.inChs, a.outChs, k, { stride: a.stride, groups, applyAct: false }));
      }
      this.conv_kxk = this.addModule('conv_kxk', list);
      this.conv_scale = this.addModule('conv_scale', k > 1 ? a.layers.convNormAct(a.inChs, a.outChs, 1, { stride: a.stride, groups, applyAct: false }) : null);
    }
    this.initTail(a, this.identity !== null);
  }
  protected convBranches(): Module[] {
    return [...(this.conv_scale ? [this.conv_scale] : []), ...this.conv_kxk!.namedChildren().map(([, m]) => m)];
  }
  protected template(): Conv2d {
    return (this.conv_kxk!.getChild('0') as ConvNormAct).conv;
  }
  override reparameterize(): void {
    super.reparameterize();
    this.conv_kxk = this.conv_scale = null;
  }
}

/** Re-parameterises every RepVGG / MobileOne block below `module` (timm's `reparameterize_model`); returns how many. */
export function reparameterizeModel(module: Module): number {
  let n = 0;
  for (const [, m] of module.namedModules()) {
    if (m instanceof ReparamByoBlock && !m.reparam_conv) {
      m.reparameterize();
      n++;
    }
  }
  return n;
}

/** A ByobNet block constructor. */
export type ByoBlockCtor = new (a: ByoBlockArgs) => Module;

const blockRegistry = new Map<string, ByoBlockCtor>([
  ['basic', ByoBasicBlock],
  ['bottle', ByoBottleneckBlock],
  ['dark', ByoDarkBlock],
  ['edge', ByoEdgeBlock],
  ['rep', ByoRepVggBlock],
  ['one', ByoMobileOneBlock],
  ['self_attn', ByoSelfAttnBlock],
  ['mobilevit', MobileVitBlock],
  ['mobilevit2', MobileVitV2Block],
]);

/** timm's `register_block`: a block type that ByoBlockCfg can name (MobileViT's blocks register themselves). */
export function registerByoBlock(type: string, ctor: ByoBlockCtor): void {
  blockRegistry.set(type, ctor);
}

/** timm's `create_block`. */
export function createByoBlock(type: string, args: ByoBlockArgs): Module {
  const ctor = blockRegistry.get(type);
  if (!ctor) throw new Error(`ByobNet: unknown block type '${type}' (known: ${[...blockRegistry.keys()].join(', ')})`);
  return new ctor(args);
}
