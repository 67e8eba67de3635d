// The EfficientNet / MobileNet blocks of timm's _efficientnet_blocks.py, on NHWC input. Module names (and so
// state-dict keys) are timm's.
import * as tf from '@tensorflow/tfjs-core';
import {
  type ActName, CondConv2d, Conv2d, ConvNormAct, convNormAct, createAa, createConv2d, createNorm, createNormAct, DropPath,
  Identity, LayerScale, Linear, makeDivisible, Module, MultiQueryAttention2d, type NormLayer, numGroups, resolveAct,
  spatialMean, roundHalfEven,
} from '@zoo/core';
import type { AaLayer, AnyConv } from './layers.js';

/** What a block reports for feature extraction at a location ('bottleneck' → block output, 'expansion' → hook). */
export interface BlockFeatureInfo {
  module: string;
  numChs: number;
  hookType?: 'forward' | 'forward_pre';
}

/** A block of the family: a module with timm's `feature_info(location)`. */
export abstract class EfficientBlock extends Module {
  abstract featureInfo(location: string): BlockFeatureInfo;
}

/** SE options as timm's builders bind them with `partial(SqueezeExcite, …)`. */
export interface SeLayerSpec {
  /** Gate activation ('sigmoid' default, 'hard_sigmoid' for MobileNetV3). */
  gate?: string;
  /** Activation used instead of the block's own. */
  forceAct?: string;
  /** How reduced channels are rounded: Python round (default) or a function such as round_channels. */
  rdRoundFn?: (v: number) => number;
}

/** timm's SqueezeExcite of the EfficientNet family. Keys: conv_reduce, conv_expand (both with bias). */
export class SqueezeExcite extends Module {
  readonly convReduce: Conv2d;
  readonly convExpand: Conv2d;
  readonly act: ActName;
  readonly gate: ActName;
  constructor(inChs: number, o: { rdRatio?: number; rdChannels?: number; act?: ActName } & SeLayerSpec = {}) {
    super();
    const rd = o.rdChannels ?? (o.rdRoundFn ?? roundHalfEven)(inChs * (o.rdRatio ?? 0.25));
    this.act = resolveAct(o.forceAct ?? o.act ?? 'relu');
    this.gate = resolveAct(o.gate ?? 'sigmoid');
    this.convReduce = this.addModule('conv_reduce', new Conv2d(inChs, rd, 1, { bias: true }));
    this.convExpand = this.addModule('conv_expand', new Conv2d(rd, inChs, 1, { bias: true }));
  }
  override forward(x: tf.Tensor): tf.Tensor {
    let s = spatialMean(x, true);
    s = this.convReduce.forwardAct(s, this.act);
    s = this.convExpand.forwardAct(s, this.gate);
    return tf.mul(x, s);
  }
}

/** Arguments every block takes from the builder. */
export interface CommonBlockArgs {
  inChs: number;
  outChs: number;
  stride: number;
  dilation: number;
  padType: '' | 'same' | 'valid';
  actLayer: ActName;
  normLayer?: NormLayer;
  aaLayer?: AaLayer;
  seLayer?: ((chs: number, act: ActName) => Module) | null;
  dropPathRate: number;
  groupSize?: number | null;
}

function dropPath(rate: number): Module | null {
  return rate > 0 ? new DropPath(rate) : null;
}

/**
 * The start of a space-to-depth region (s2d == 1): a 2×2 stride-2 conv to 4× channels (`conv_s2d`, `bn_s2d`), and
 * the depthwise kernel halved (TF 'same' padding when it becomes 2). Returns the new widths, or null.
 */
function spaceToDepth(
  block: { convS2d: AnyConv | null; bnS2d: Module | null } & Module, a: CommonBlockArgs & { s2d?: number }, dwKernel: number | number[],
): { chs: number; dwKernel: number; dwPad: '' | 'same' | 'valid' } | null {
  if (a.s2d !== 1) return null;
  if (Array.isArray(dwKernel)) throw new Error('space-to-depth blocks take a single kernel size');
  const chs = a.inChs * 4;
  block.convS2d = block.addModule('conv_s2d', createConv2d(a.inChs, chs, 2, { stride: 2, padding: 'same' }));
  block.bnS2d = block.addModule('bn_s2d', createNormAct(a.normLayer, chs, a.actLayer));
  const k = Math.floor((dwKernel + 1) / 2);
  return { chs, dwKernel: k, dwPad: k === 2 ? 'same' : a.padType };
}

function residual(x: tf.Tensor, shortcut: tf.Tensor, hasSkip: boolean): tf.Tensor {
  return hasSkip ? tf.add(x, shortcut) : x;
}

/** timm's ConvBnAct ('cn'): conv → norm+act (→ aa), optional skip. */
export class ConvBnAct extends EfficientBlock {
  readonly conv: AnyConv;
  readonly bn1: Module;
  readonly aa: Module;
  readonly hasSkip: boolean;
  constructor(a: CommonBlockArgs & { kernelSize: number | number[]; skip?: boolean }) {
    super();
    const groups = numGroups(a.groupSize ?? 0, a.inChs);
    this.hasSkip = !!a.skip && a.stride === 1 && a.inChs === a.outChs;
    const useAa = !!a.aaLayer && a.stride > 1;
    this.conv = this.addModule('conv', createConv2d(a.inChs, a.outChs, a.kernelSize, {
      stride: useAa ? 1 : a.stride, dilation: a.dilation, groups, padding: a.padType,
    }));
    this.bn1 = this.addModule('bn1', createNormAct(a.normLayer, a.outChs, a.actLayer));
    this.aa = this.addModule('aa', createAa(a.aaLayer, a.outChs, a.stride, useAa, 'identity'));
    this.addModule('drop_path', dropPath(a.dropPathRate));
  }
  featureInfo(location: string): BlockFeatureInfo {
    if (location === 'expansion') return { module: 'bn1', hookType: 'forward', numChs: this.conv.outChannels };
    return { module: '', numChs: this.conv.outChannels };
  }
  override forward(x: tf.Tensor): tf.Tensor {
    let y = convNormAct(x, this.conv, this.bn1);
    y = this.aa.forward(y);
    return residual(y, x, this.hasSkip);
  }
}

/** timm's DepthwiseSeparableConv ('ds', 'dsa'): dw conv → norm+act (→ aa) → SE → pw conv → norm (+act). */
export class DepthwiseSeparableConv extends EfficientBlock {
  convS2d: AnyConv | null = null;
  bnS2d: Module | null = null;
  readonly convDw: AnyConv;
  readonly bn1: Module;
  readonly aa: Module;
  readonly se: Module;
  readonly convPw: AnyConv;
  readonly bn2: Module;
  readonly hasSkip: boolean;
  constructor(a: CommonBlockArgs & {
    dwKernelSize: number | number[]; pwKernelSize: number | number[]; pwAct: boolean; noskip: boolean; s2d?: number;
  }) {
    super();
    this.hasSkip = a.stride === 1 && a.inChs === a.outChs && !a.noskip;
    let useAa = !!a.aaLayer && a.stride > 1;
    const s2d = spaceToDepth(this, a, a.dwKernelSize);
    if (s2d) useAa = false;
    const inChs = s2d ? s2d.chs : a.inChs;
    a = { ...a, inChs };
    const groups = numGroups(a.groupSize ?? 1, a.inChs);
    this.convDw = this.addModule('conv_dw', createConv2d(a.inChs, a.inChs, s2d ? s2d.dwKernel : a.dwKernelSize, {
      stride: useAa ? 1 : a.stride, dilation: a.dilation, padding: s2d ? s2d.dwPad : a.padType, groups,
    }));
    this.bn1 = this.addModule('bn1', createNormAct(a.normLayer, a.inChs, a.actLayer));
    this.aa = this.addModule('aa', createAa(a.aaLayer, a.outChs, a.stride, useAa, 'identity'));
    this.se = this.addModule('se', a.seLayer ? a.seLayer(a.inChs, a.actLayer) : new Identity());
    this.convPw = this.addModule('conv_pw', createConv2d(a.inChs, a.outChs, a.pwKernelSize, { padding: a.padType }));
    this.bn2 = this.addModule('bn2', createNormAct(a.normLayer, a.outChs, a.actLayer, a.pwAct));
    this.addModule('drop_path', dropPath(a.dropPathRate));
  }
  featureInfo(location: string): BlockFeatureInfo {
    if (location === 'expansion') return { module: 'conv_pw', hookType: 'forward_pre', numChs: this.convPw.inChannels };
    return { module: '', numChs: this.convPw.outChannels };
  }
  override forward(x: tf.Tensor): tf.Tensor {
    let y = this.convS2d ? convNormAct(x, this.convS2d, this.bnS2d!) : x;
    y = convNormAct(y, this.convDw, this.bn1);
    y = this.aa.forward(y);
    y = this.se.forward(y);
    y = convNormAct(y, this.convPw, this.bn2);
    return residual(y, x, this.hasSkip);
  }
}

/** timm's InvertedResidual ('ir', MBConv): pw expand → dw → SE → pw linear, skip when shapes allow. */
export class InvertedResidual extends EfficientBlock {
  convS2d: AnyConv | null = null;
  bnS2d: Module | null = null;
  readonly convPw: AnyConv;
  readonly bn1: Module;
  readonly convDw: AnyConv;
  readonly bn2: Module;
  readonly aa: Module;
  readonly se: Module;
  readonly convPwl: AnyConv;
  readonly bn3: Module;
  readonly hasSkip: boolean;
  constructor(a: CommonBlockArgs & {
    dwKernelSize: number | number[]; expKernelSize: number | number[]; pwKernelSize: number | number[];
    expRatio: number; noskip: boolean; s2d?: number;
  }) {
    super();
    this.hasSkip = a.inChs === a.outChs && a.stride === 1 && !a.noskip;
    let useAa = !!a.aaLayer && a.stride > 1;
    const s2d = spaceToDepth(this, a, a.dwKernelSize);
    if (s2d) useAa = false;
    a = { ...a, inChs: s2d ? s2d.chs : a.inChs };
    const midChs = makeDivisible(a.inChs * a.expRatio);
    const groups = numGroups(a.groupSize ?? 1, midChs);
    this.convPw = this.addModule('conv_pw', createConv2d(a.inChs, midChs, a.expKernelSize, { padding: a.padType }));
    this.bn1 = this.addModule('bn1', createNormAct(a.normLayer, midChs, a.actLayer));
    this.convDw = this.addModule('conv_dw', createConv2d(midChs, midChs, s2d ? s2d.dwKernel : a.dwKernelSize, {
      stride: useAa ? 1 : a.stride, dilation: a.dilation, groups, padding: s2d ? s2d.dwPad : a.padType,
    }));
    this.bn2 = this.addModule('bn2', createNormAct(a.normLayer, midChs, a.actLayer));
    this.aa = this.addModule('aa', createAa(a.aaLayer, midChs, a.stride, useAa, 'identity'));
    this.se = this.addModule('se', a.seLayer ? a.seLayer(midChs, a.actLayer) : new Identity());
    this.convPwl = this.addModule('conv_pwl', createConv2d(midChs, a.outChs, a.pwKernelSize, { padding: a.padType }));
    this.bn3 = this.addModule('bn3', createNormAct(a.normLayer, a.outChs, a.actLayer, false));
    this.addModule('drop_path', dropPath(a.dropPathRate));
  }
  featureInfo(location: string): BlockFeatureInfo {
    if (location === 'expansion') return { module: 'conv_pwl', hookType: 'forward_pre', numChs: this.convPwl.inChannels };
    return { module: '', numChs: this.convPwl.outChannels };
  }
  override forward(x: tf.Tensor): tf.Tensor {
    let y = this.convS2d ? convNormAct(x, this.convS2d, this.bnS2d!) : x;
    y = convNormAct(y, this.convPw, this.bn1);
    y = convNormAct(y, this.convDw, this.bn2);
    y = this.aa.forward(y);
    y = this.se.forward(y);
    y = convNormAct(y, this.convPwl, this.bn3);
    return residual(y, x, this.hasSkip);
  }
}

/** timm's EdgeResidual ('er', FusedMBConv): full conv expand → SE → pw linear. */
export class EdgeResidual extends EfficientBlock {
  readonly convExp: AnyConv;
  readonly bn1: Module;
  readonly aa: Module;
  readonly se: Module;
  readonly convPwl: AnyConv;
  readonly bn2: Module;
  readonly hasSkip: boolean;
  constructor(a: CommonBlockArgs & {
    expKernelSize: number | number[]; pwKernelSize: number | number[]; expRatio: number; forceInChs: number; noskip: boolean;
  }) {
    super();
    const midChs = makeDivisible((a.forceInChs > 0 ? a.forceInChs : a.inChs) * a.expRatio);
    const groups = numGroups(a.groupSize ?? 0, midChs);
    this.hasSkip = a.inChs === a.outChs && a.stride === 1 && !a.noskip;
    const useAa = !!a.aaLayer && a.stride > 1;
    this.convExp = this.addModule('conv_exp', createConv2d(a.inChs, midChs, a.expKernelSize, {
      stride: useAa ? 1 : a.stride, dilation: a.dilation, groups, padding: a.padType,
    }));
    this.bn1 = this.addModule('bn1', createNormAct(a.normLayer, midChs, a.actLayer));
    this.aa = this.addModule('aa', createAa(a.aaLayer, midChs, a.stride, useAa, 'identity'));
    this.se = this.addModule('se', a.seLayer ? a.seLayer(midChs, a.actLayer) : new Identity());
    this.convPwl = this.addModule('conv_pwl', createConv2d(midChs, a.outChs, a.pwKernelSize, { padding: a.padType }));
    this.bn2 = this.addModule('bn2', createNormAct(a.normLayer, a.outChs, a.actLayer, false));
    this.addModule('drop_path', dropPath(a.dropPathRate));
  }
  featureInfo(location: string): BlockFeatureInfo {
    if (location === 'expansion') return { module: 'conv_pwl', hookType: 'forward_pre', numChs: this.convPwl.inChannels };
    return { module: '', numChs: this.convPwl.outChannels };
  }
  override forward(x: tf.Tensor): tf.Tensor {
    let y = convNormAct(x, this.convExp, this.bn1);
    y = this.aa.forward(y);
    y = this.se.forward(y);
    y = convNormAct(y, this.convPwl, this.bn2);
    return residual(y, x, this.hasSkip);
  }
}

/** timm's UniversalInvertedResidual ('uir', MobileNetV4 UIB): optional dw start → pw expand → optional dw mid → SE → pw proj → optional dw end. */
export class UniversalInvertedResidual extends EfficientBlock {
  readonly dwStart: Module;
  readonly pwExp: ConvNormAct;
  readonly dwMid: Module;
  readonly se: Module;
  readonly pwProj: ConvNormAct;
  readonly dwEnd: Module;
  readonly layerScale: Module;
  readonly hasSkip: boolean;
  constructor(a: CommonBlockArgs & {
    dwKernelSizeStart: number; dwKernelSizeMid: number; dwKernelSizeEnd: number; expRatio: number; noskip: boolean;
    layerScaleInitValue?: number | null;
  }) {
    super();
    this.hasSkip = a.inChs === a.outChs && a.stride === 1 && !a.noskip;
    const common = { padding: a.padType, actLayer: a.actLayer, normLayer: a.normLayer } as const;
    if (a.dwKernelSizeStart) {
      this.dwStart = this.addModule('dw_start', new ConvNormAct(a.inChs, a.inChs, a.dwKernelSizeStart, {
        ...common, stride: a.dwKernelSizeMid ? 1 : a.stride, dilation: a.dilation,
        groups: numGroups(a.groupSize ?? 1, a.inChs), applyAct: false, aaLayer: a.aaLayer,
      }));
    } else this.dwStart = this.addModule('dw_start', new Identity());
    const midChs = makeDivisible(a.inChs * a.expRatio);
    this.pwExp = this.addModule('pw_exp', new ConvNormAct(a.inChs, midChs, 1, common));
    if (a.dwKernelSizeMid) {
      this.dwMid = this.addModule('dw_mid', new ConvNormAct(midChs, midChs, a.dwKernelSizeMid, {
        ...common, stride: a.stride, dilation: a.dilation, groups: numGroups(a.groupSize ?? 1, midChs), aaLayer: a.aaLayer,
      }));
    } else this.dwMid = this.addModule('dw_mid', new Identity());
    this.se = this.addModule('se', a.seLayer ? a.seLayer(midChs, a.actLayer) : new Identity());
    this.pwProj = this.addModule('pw_proj', new ConvNormAct(midChs, a.outChs, 1, { ...common, applyAct: false }));
    if (a.dwKernelSizeEnd) {
      const endStride = !a.dwKernelSizeStart && !a.dwKernelSizeMid ? a.stride : 1;
      this.dwEnd = this.addModule('dw_end', new ConvNormAct(a.outChs, a.outChs, a.dwKernelSizeEnd, {
        ...common, stride: endStride, dilation: a.dilation, groups: numGroups(a.groupSize ?? 1, a.outChs), applyAct: false,
      }));
    } else this.dwEnd = this.addModule('dw_end', new Identity());
    this.layerScale = this.addModule('layer_scale',
      a.layerScaleInitValue != null ? new LayerScale(a.outChs, a.layerScaleInitValue) : new Identity());
    this.addModule('drop_path', dropPath(a.dropPathRate));
  }
  featureInfo(location: string): BlockFeatureInfo {
    const conv = this.pwProj.conv;
    if (location === 'expansion') return { module: 'pw_proj.conv', hookType: 'forward_pre', numChs: conv.inChannels };
    return { module: '', numChs: conv.outChannels };
  }
  override forward(x: tf.Tensor): tf.Tensor {
    let y = this.dwStart.forward(x);
    y = this.pwExp.forward(y);
    y = this.dwMid.forward(y);
    y = this.se.forward(y);
    y = this.pwProj.forward(y);
    y = this.dwEnd.forward(y);
    y = this.layerScale.forward(y);
    return residual(y, x, this.hasSkip);
  }
}

/** timm's CondConvResidual ('ir' with `cc<experts>`): an inverted residual whose convs are CondConv2d, routed per sample. */
export class CondConvResidual extends EfficientBlock {
  readonly convPw: CondConv2d;
  readonly bn1: Module;
  readonly convDw: CondConv2d;
  readonly bn2: Module;
  readonly se: Module;
  readonly convPwl: CondConv2d;
  readonly bn3: Module;
  readonly routingFn: Linear;
  readonly hasSkip: boolean;
  constructor(a: CommonBlockArgs & {
    dwKernelSize: number | number[]; expKernelSize: number | number[]; pwKernelSize: number | number[];
    expRatio: number; noskip: boolean; numExperts: number;
  }) {
    super();
    const single = (k: number | number[]) => {
      if (Array.isArray(k)) throw new Error('CondConv blocks take a single kernel size');
      return k;
    };
    this.hasSkip = a.inChs === a.outChs && a.stride === 1 && !a.noskip;
    const midChs = makeDivisible(a.inChs * a.expRatio);
    const groups = numGroups(a.groupSize ?? 1, midChs);
    const e = a.numExperts;
    this.convPw = this.addModule('conv_pw', new CondConv2d(a.inChs, midChs, single(a.expKernelSize), { padding: a.padType, numExperts: e }));
    this.bn1 = this.addModule('bn1', createNormAct(a.normLayer, midChs, a.actLayer));
    this.convDw = this.addModule('conv_dw', new CondConv2d(midChs, midChs, single(a.dwKernelSize), {
      stride: a.stride, dilation: a.dilation, groups, padding: a.padType, numExperts: e,
    }));
    this.bn2 = this.addModule('bn2', createNormAct(a.normLayer, midChs, a.actLayer));
    this.addModule('aa', new Identity());
    this.se = this.addModule('se', a.seLayer ? a.seLayer(midChs, a.actLayer) : new Identity());
    this.convPwl = this.addModule('conv_pwl', new CondConv2d(midChs, a.outChs, single(a.pwKernelSize), { padding: a.padType, numExperts: e }));
    this.bn3 = this.addModule('bn3', createNormAct(a.normLayer, a.outChs, a.actLayer, false));
    this.addModule('drop_path', dropPath(a.dropPathRate));
    this.routingFn = this.addModule('routing_fn', new Linear(a.inChs, e));
  }
  featureInfo(location: string): BlockFeatureInfo {
    if (location === 'expansion') return { module: 'conv_pwl', hookType: 'forward_pre', numChs: this.convPwl.inChannels };
    return { module: '', numChs: this.convPwl.outChannels };
  }
  override forward(x: tf.Tensor): tf.Tensor {
    const routing = tf.sigmoid(this.routingFn.forward(spatialMean(x)));
    let y = this.bn1.forward(this.convPw.forward(x, routing));
    y = this.bn2.forward(this.convDw.forward(y, routing));
    y = this.se.forward(y);
    y = this.bn3.forward(this.convPwl.forward(y, routing));
    return residual(y, x, this.hasSkip);
  }
}

/** timm's MobileAttention ('mqa', MobileNetV4 hybrids): norm → multi-query attention → layer scale, skip when shapes allow. */
export class MobileAttention extends EfficientBlock {
  readonly norm: Module;
  readonly attn: MultiQueryAttention2d;
  readonly layerScale: Module;
  readonly hasSkip: boolean;
  readonly outChs: number;
  constructor(a: CommonBlockArgs & {
    dwKernelSize: number; numHeads: number; keyDim: number; valueDim: number; kvStride: number; noskip: boolean;
    layerScaleInitValue?: number | null;
  }) {
    super();
    this.hasSkip = a.stride === 1 && a.inChs === a.outChs && !a.noskip;
    if (a.stride !== 1) throw new Error('MobileAttention query strides are not supported');
    this.outChs = a.outChs;
    this.norm = this.addModule('norm', createNormAct(a.normLayer, a.inChs, a.actLayer, false));
    this.attn = this.addModule('attn', new MultiQueryAttention2d(a.inChs, {
      dimOut: a.outChs, numHeads: a.numHeads, keyDim: a.keyDim, valueDim: a.valueDim, kvStride: a.kvStride,
      dwKernelSize: a.dwKernelSize, dilation: a.dilation, padding: a.padType, normLayer: (c) => createNorm(a.normLayer, c),
    }));
    this.layerScale = this.addModule('layer_scale',
      a.layerScaleInitValue != null ? new LayerScale(a.outChs, a.layerScaleInitValue) : new Identity());
    this.addModule('drop_path', dropPath(a.dropPathRate));
  }
  featureInfo(_location: string): BlockFeatureInfo {
    return { module: '', numChs: this.outChs };
  }
  override forward(x: tf.Tensor): tf.Tensor {
    const y = this.layerScale.forward(this.attn.forward(this.norm.forward(x)));
    return residual(y, x, this.hasSkip);
  }
}
