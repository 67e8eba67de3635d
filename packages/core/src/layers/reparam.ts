/**
 * Structurally re-parameterisable blocks (MobileOne, RepLKNet, FastViT): several linear branches at train time that
 * fold into one conv with bias for inference (`reparameterize()`, timm's `reparameterize_model`). State-dict names are
 * timm's: the train-time branches (`identity`, `conv_kxk.N`, `conv_scale`, `large_conv`, `small_conv`, `pos_enc`,
 * `mixer`, `norm`) and, once fused (or built with `inferenceMode`), `reparam_conv`.
 */
import * as tf from '@tensorflow/tfjs-core';
import { Identity, Module, type Param } from '../module.js';
import { type ActName, applyAct, resolveAct } from './activations.js';
import { SEModule } from './attention-gates.js';
import { fuseBranch, fuseBranches } from './byob/blocks.js';
import { Conv2d } from './conv.js';
import { ConvNormAct } from './conv-norm-act.js';
import { numGroups } from './helpers.js';
import { BatchNorm2d } from './norm.js';

/** A module that folds its train-time branches into one conv (timm's `reparameterize()`). */
export interface Reparameterizable {
  reparameterize(): void;
}

function isReparameterizable(m: Module): m is Module & Reparameterizable {
  return typeof (m as Partial<Reparameterizable>).reparameterize === 'function';
}

/**
 * timm's `reparameterize_model`: calls `reparameterize()` on every module below `root` that has one, outermost first
 * (a fusing module folds its own children: RepMixer its two MobileOne blocks), so each multi-branch block becomes a
 * single conv. Outputs stay equal up to float rounding. Returns how many modules it fused; a second call is a no-op
 * for blocks already fused.
 */
export function reparameterizeModules(root: Module): number {
  let n = 0;
  const walk = (m: Module) => {
    for (const [, c] of m.namedChildren()) {
      if (isReparameterizable(c)) {
        c.reparameterize();
        n++;
      } else walk(c);
    }
  };
  walk(root);
  return n;
}

/** A conv-BN branch (no activation) as FastViT / MobileOne build them: timm's `ConvNormAct(..., apply_act=False)`. */
function convBn(inChs: number, outChs: number, k: number, stride: number, groups: number): ConvNormAct {
  return new ConvNormAct(inChs, outChs, k, { stride, groups, applyAct: false, actLayer: null });
}

/** Removes the named children (addModule frees their tensors): the branches a fused conv replaces. */
function dropChildren(m: Module, names: readonly string[]): void {
  for (const name of names) if (m.getChild(name)) m.addModule(name, null);
}

/** timm's `LayerScale2d`: a per-channel scale of an NHWC map. Key: gamma `[dim, 1, 1]` (PyTorch's shape). */
export class LayerScale2d extends Module {
  readonly gamma: Param;
  constructor(readonly dim: number, initValues = 1e-5) {
    super();
    this.gamma = this.addParam('gamma', [dim, 1, 1], { init: { kind: 'const', value: initValues } });
  }
  /** The scale as a `[dim]` vector (broadcast over NHWC's channel axis). */
  scale(): tf.Tensor {
    return tf.reshape(this.gamma.value, [this.dim]);
  }
  override forward(x: tf.Tensor): tf.Tensor {
    return tf.mul(x, this.scale());
  }
}

export interface MobileOneBlockOptions {
  stride?: number;
  dilation?: number;
  /** Channels per group (timm's `group_size`): 0 a dense conv, 1 depthwise. */
  groupSize?: number;
  /** Build the fused form (`reparam_conv`) instead of the branches. */
  inferenceMode?: boolean;
  /** Squeeze-excite (timm's `SqueezeExcite(out_chs, rd_divisor=1)`) before the activation. */
  useSe?: boolean;
  useAct?: boolean;
  /** The 1×1 `conv_scale` branch (only for kernels larger than 1). */
  useScaleBranch?: boolean;
  /** How many kxk conv-BN branches (`conv_kxk.N`); 0 for none. */
  numConvBranches?: number;
  /** Activation (default 'gelu', timm's nn.GELU). */
  actLayer?: string;
}

/**
 * FastViT's `MobileOneBlock` (timm's fastvit.py): at train time the sum of `numConvBranches` kxk conv-BNs, a 1×1
 * conv-BN (`conv_scale`) and a BatchNorm skip (`identity`, when the shape is kept), then SE and the activation; once
 * fused, one conv with bias (`reparam_conv`). Keys: se, reparam_conv | identity, conv_kxk.N, conv_scale.
 */
export class MobileOneBlock extends Module {
  readonly inChs: number;
  readonly outChs: number;
  readonly kernelSize: number;
  readonly stride: number;
  readonly dilation: number;
  readonly groups: number;
  readonly se: Module;
  reparam_conv: Conv2d | null = null;
  identity: BatchNorm2d | null = null;
  conv_kxk: Module | null = null;
  conv_scale: ConvNormAct | null = null;
  readonly act: ActName;
  constructor(inChs: number, outChs: number, kernelSize: number, options: MobileOneBlockOptions = {}) {
    super();
    const { stride = 1, dilation = 1, groupSize = 0, inferenceMode = false, useSe = false, useAct = true, useScaleBranch = true } = options;
    const numConvBranches = options.numConvBranches ?? 1;
    this.inChs = inChs;
    this.outChs = outChs;
    this.kernelSize = kernelSize;
    this.stride = stride;
    this.dilation = dilation;
    this.groups = numGroups(groupSize, inChs);
    this.se = this.addModule('se', useSe ? new SEModule(outChs, { rdDivisor: 1 }) : new Identity());
    if (inferenceMode) {
      this.reparam_conv = this.addModule('reparam_conv', new Conv2d(inChs, outChs, kernelSize, { stride, dilation, groups: this.groups, bias: true }));
    } else {
      this.identity = this.addModule('identity', outChs === inChs && stride === 1 ? new BatchNorm2d(inChs) : null);
      if (numConvBranches > 0) {
        const list = new Module();
        for (let i = 0; i < numConvBranches; i++) list.addModule(String(i), convBn(inChs, outChs, kernelSize, stride, this.groups));
        this.conv_kxk = this.addModule('conv_kxk', list);
      }
      this.conv_scale = this.addModule('conv_scale', kernelSize > 1 && useScaleBranch ? convBn(inChs, outChs, 1, stride, this.groups) : null);
    }
    this.act = useAct ? resolveAct(options.actLayer ?? 'gelu') : 'identity';
  }

  /** The train-time branches in timm's sum order: scale, identity, then the kxk convs. */
  private branches(): Module[] {
    const kxk = this.conv_kxk ? this.conv_kxk.namedChildren().map(([, m]) => m) : [];
    return [...(this.conv_scale ? [this.conv_scale] : []), ...(this.identity ? [this.identity] : []), ...kxk];
  }

  override forward(x: tf.Tensor): tf.Tensor {
    let y: tf.Tensor;
    if (this.reparam_conv) y = this.reparam_conv.forward(x);
    else {
      const outs = this.branches().map((b) => b.forward(x));
      if (outs.length === 0) throw new Error('MobileOneBlock: no branch to run (no conv, scale or identity branch)');
      y = outs.length === 1 ? outs[0]! : tf.addN(outs);
    }
    return applyAct(this.act, this.se.forward(y));
  }

  /** The fused kernel (OIHW) and bias of the train-time branches (timm's `_get_kernel_bias`). */
  kernelBias(): { kernel: Float32Array; bias: Float32Array } {
    if (this.reparam_conv) {
      return { kernel: this.reparam_conv.weight.toTorch().data as Float32Array, bias: this.reparam_conv.bias!.toTorch().data as Float32Array };
    }
    const k = this.kernelSize;
    const inPerGroup = this.inChs / this.groups;
    const kernel = new Float32Array(this.outChs * inPerGroup * k * k);
    const bias = new Float32Array(this.outChs);
    for (const b of this.branches()) {
      const f = fuseBranch(b, this.outChs, inPerGroup, k);
      for (let i = 0; i < kernel.length; i++) kernel[i] = kernel[i]! + f.kernel[i]!;
      for (let i = 0; i < bias.length; i++) bias[i] = bias[i]! + f.bias[i]!;
    }
    return { kernel, bias };
  }

  /** Folds every branch into `reparam_conv` (timm's `reparameterize`). Idempotent. */
  reparameterize(): void {
    if (this.reparam_conv) return;
    const { kernel, bias } = this.kernelBias();
    const conv = new Conv2d(this.inChs, this.outChs, this.kernelSize, { stride: this.stride, dilation: this.dilation, groups: this.groups, bias: true });
    conv.weight.assign({ dtype: 'float32', shape: [this.outChs, this.inChs / this.groups, this.kernelSize, this.kernelSize], data: kernel });
    conv.bias!.assign({ dtype: 'float32', shape: [this.outChs], data: bias });
    dropChildren(this, ['identity', 'conv_kxk', 'conv_scale']);
    this.identity = this.conv_kxk = this.conv_scale = null;
    this.reparam_conv = this.addModule('reparam_conv', conv);
  }
}

export interface ReparamLargeKernelConvOptions {
  stride?: number;
  groupSize?: number;
  /** The parallel small-kernel conv-BN (`small_conv`); none when null. */
  smallKernel?: number | null;
  useSe?: boolean;
  /** Activation after SE; none when null (FastViT's original weights used none). */
  actLayer?: string | null;
  inferenceMode?: boolean;
}

/**
 * RepLKNet's `ReparamLargeKernelConv` (timm's fastvit.py): a large-kernel conv-BN plus a small-kernel one, then SE
 * (rd ratio 1/4) and the activation; fused, one large-kernel conv with bias. Keys: reparam_conv | large_conv,
 * small_conv; se.
 */
export class ReparamLargeKernelConv extends Module {
  readonly inChs: number;
  readonly outChs: number;
  readonly kernelSize: number;
  readonly stride: number;
  readonly groups: number;
  reparam_conv: Conv2d | null = null;
  large_conv: ConvNormAct | null = null;
  small_conv: ConvNormAct | null = null;
  readonly se: Module;
  readonly act: ActName;
  constructor(inChs: number, outChs: number, kernelSize: number, options: ReparamLargeKernelConvOptions = {}) {
    super();
    const { stride = 1, groupSize = 0, smallKernel = null, useSe = false, inferenceMode = false } = options;
    this.inChs = inChs;
    this.outChs = outChs;
    this.kernelSize = kernelSize;
    this.stride = stride;
    this.groups = numGroups(groupSize, inChs);
    if (inferenceMode) {
      this.reparam_conv = this.addModule('reparam_conv', new Conv2d(inChs, outChs, kernelSize, { stride, groups: this.groups, bias: true }));
    } else {
      this.large_conv = this.addModule('large_conv', convBn(inChs, outChs, kernelSize, stride, this.groups));
      if (smallKernel !== null) {
        if (smallKernel > kernelSize) throw new Error(`ReparamLargeKernelConv: smallKernel (${smallKernel}) cannot be larger than kernelSize (${kernelSize})`);
        this.small_conv = this.addModule('small_conv', convBn(inChs, outChs, smallKernel, stride, this.groups));
      }
    }
    this.se = this.addModule('se', useSe ? new SEModule(outChs, { rdRatio: 0.25 }) : new Identity());
    this.act = options.actLayer ? resolveAct(options.actLayer) : 'identity';
  }

  override forward(x: tf.Tensor): tf.Tensor {
    let y: tf.Tensor;
    if (this.reparam_conv) y = this.reparam_conv.forward(x);
    else {
      y = this.large_conv!.forward(x);
      if (this.small_conv) y = tf.add(y, this.small_conv.forward(x));
    }
    return applyAct(this.act, this.se.forward(y));
  }

  /** Folds the large and small conv-BNs into `reparam_conv` (the small kernel centred). Idempotent. */
  reparameterize(): void {
    if (this.reparam_conv) return;
    const conv = fuseBranches([this.large_conv!, ...(this.small_conv ? [this.small_conv] : [])], this.large_conv!.conv);
    dropChildren(this, ['large_conv', 'small_conv']);
    this.large_conv = this.small_conv = null;
    this.reparam_conv = this.addModule('reparam_conv', conv);
  }
}

/** An OIHW identity kernel for a depthwise conv (`[dim, 1, k, k]`, 1 at the centre). */
function depthwiseIdentity(dim: number, kh: number, kw: number): Float32Array {
  const out = new Float32Array(dim * kh * kw);
  const ch = Math.floor(kh / 2);
  const cw = Math.floor(kw / 2);
  for (let c = 0; c < dim; c++) out[(c * kh + ch) * kw + cw] = 1;
  return out;
}

/**
 * FastViT's `RepConditionalPosEnc` (RepCPE): a depthwise conv whose output is added to its input (a conditional
 * positional encoding); fused, the skip becomes part of the kernel. Keys: pos_enc | reparam_conv.
 */
export class RepConditionalPosEnc extends Module {
  readonly dim: number;
  readonly dimOut: number;
  readonly spatialShape: [number, number];
  pos_enc: Conv2d | null = null;
  reparam_conv: Conv2d | null = null;
  constructor(dim: number, options: { dimOut?: number; spatialShape?: number | readonly [number, number]; inferenceMode?: boolean } = {}) {
    super();
    const s = options.spatialShape ?? [7, 7];
    const shape: [number, number] = typeof s === 'number' ? [s, s] : [s[0], s[1]];
    if (shape.length !== 2 || !shape.every((v) => Number.isInteger(v) && v > 0)) {
      throw new Error(`RepConditionalPosEnc: spatialShape must be a positive int or two of them, got ${JSON.stringify(s)}`);
    }
    this.dim = dim;
    this.dimOut = options.dimOut || dim;
    this.spatialShape = shape;
    const conv = () => new Conv2d(dim, this.dimOut, shape, { padding: Math.floor(shape[0] / 2), groups: dim, bias: true });
    if (options.inferenceMode) this.reparam_conv = this.addModule('reparam_conv', conv());
    else this.pos_enc = this.addModule('pos_enc', conv());
  }

  override forward(x: tf.Tensor): tf.Tensor {
    return this.reparam_conv ? this.reparam_conv.forward(x) : tf.add(this.pos_enc!.forward(x), x);
  }

  /** Adds the skip to the kernel as a centred identity (timm's `reparameterize`). Idempotent. */
  reparameterize(): void {
    if (this.reparam_conv) return;
    if (this.dimOut !== this.dim) throw new Error(`RepConditionalPosEnc: only dimOut = dim (${this.dim}) can be fused, got ${this.dimOut}`);
    const pos = this.pos_enc!;
    const [kh, kw] = this.spatialShape;
    const w = pos.weight.toTorch().data as Float32Array;
    const id = depthwiseIdentity(this.dim, kh, kw);
    const conv = new Conv2d(this.dim, this.dimOut, this.spatialShape, { padding: Math.floor(kh / 2), groups: this.dim, bias: true });
    conv.weight.assign({ dtype: 'float32', shape: [this.dimOut, 1, kh, kw], data: id.map((v, i) => v + w[i]!) });
    conv.bias!.assign(pos.bias!.toTorch());
    dropChildren(this, ['pos_enc']);
    this.pos_enc = null;
    this.reparam_conv = this.addModule('reparam_conv', conv);
  }
}

/**
 * FastViT's `RepMixer` token mixer: `x + layerScale(mixer(x) - norm(x))`, with `mixer` a depthwise MobileOne block
 * (conv, scale and skip branches) and `norm` its BatchNorm skip alone; fused, one depthwise conv with bias. Keys:
 * norm, mixer, layer_scale | reparam_conv.
 */
export class RepMixer extends Module {
  readonly dim: number;
  readonly kernelSize: number;
  norm: MobileOneBlock | null = null;
  mixer: MobileOneBlock | null = null;
  layer_scale: Module | null = null;
  reparam_conv: Conv2d | null = null;
  constructor(dim: number, options: { kernelSize?: number; layerScaleInitValue?: number | null; inferenceMode?: boolean } = {}) {
    super();
    const k = options.kernelSize ?? 3;
    const ls = options.layerScaleInitValue === undefined ? 1e-5 : options.layerScaleInitValue;
    this.dim = dim;
    this.kernelSize = k;
    if (options.inferenceMode) {
      this.reparam_conv = this.addModule('reparam_conv', new Conv2d(dim, dim, k, { groups: dim, bias: true }));
      return;
    }
    this.norm = this.addModule('norm', new MobileOneBlock(dim, dim, k, { groupSize: 1, useAct: false, useScaleBranch: false, numConvBranches: 0 }));
    this.mixer = this.addModule('mixer', new MobileOneBlock(dim, dim, k, { groupSize: 1, useAct: false }));
    this.layer_scale = this.addModule('layer_scale', ls !== null ? new LayerScale2d(dim, ls) : new Identity());
  }

  override forward(x: tf.Tensor): tf.Tensor {
    if (this.reparam_conv) return this.reparam_conv.forward(x);
    return tf.add(x, this.layer_scale!.forward(tf.sub(this.mixer!.forward(x), this.norm!.forward(x))));
  }

  /** Folds mixer, norm, layer scale and the skip into one depthwise conv (timm's `reparameterize`). Idempotent. */
  reparameterize(): void {
    if (this.reparam_conv) return;
    const k = this.kernelSize;
    const m = this.mixer!.kernelBias();
    const n = this.norm!.kernelBias();
    const gamma = this.layer_scale instanceof LayerScale2d ? (this.layer_scale.gamma.toTorch().data as Float32Array) : null;
    const id = depthwiseIdentity(this.dim, k, k);
    const per = k * k;
    const w = id.map((v, i) => v + (gamma ? gamma[Math.floor(i / per)]! : 1) * (m.kernel[i]! - n.kernel[i]!));
    const b = m.bias.map((v, c) => (gamma ? gamma[c]! : 1) * (v - n.bias[c]!));
    const conv = new Conv2d(this.dim, this.dim, k, { groups: this.dim, bias: true });
    conv.weight.assign({ dtype: 'float32', shape: [this.dim, 1, k, k], data: w });
    conv.bias!.assign({ dtype: 'float32', shape: [this.dim], data: b });
    dropChildren(this, ['norm', 'mixer', 'layer_scale']);
    this.norm = this.mixer = this.layer_scale = null;
    this.reparam_conv = this.addModule('reparam_conv', conv);
  }
}
