import * as tf from '@tensorflow/tfjs-core';
import { Identity, Module, Sequential } from '../module.js';
import { Activation, type ActName } from './activations.js';
import { createAttn } from './attention-gates.js';
import { Conv2d } from './conv.js';
import { type AaLayerName, createAa } from './conv-norm-act.js';
import { createNorm, type NormLayer } from './create-norm.js';
import { convNormAct, runFused } from './fuse.js';
import { DropPath } from './misc.js';
import { BatchNorm2d } from './norm.js';

/** A block attention layer as timm's ResNet `attn_layer` takes it: a `createAttn` name, or one with its reduction ratio. */
export type ResAttnLayer = string | { type: string; rdRatio?: number } | null;

/**
 * The arguments of timm resnet.py's `BasicBlock` / `Bottleneck`. Only `inplanes` and `planes` are required; the rest
 * default as timm's (stride 1, no downsample, cardinality 1, base width 64, ReLU, BatchNorm, no attention, no
 * anti-aliasing, no drop path).
 */
export interface ResBlockArgs {
  inplanes: number;
  planes: number;
  stride?: number;
  downsample?: Module | null;
  cardinality?: number;
  baseWidth?: number;
  reduceFirst?: number;
  dilation?: number;
  firstDilation?: number;
  actLayer?: ActName;
  normLayer?: NormLayer;
  attnLayer?: ResAttnLayer;
  aaLayer?: AaLayerName | null;
  dropPath?: number;
}

/** A ResNet block class: what `makeResLayer` (and timm's `_make_layer`) builds stages from. */
export interface ResBlockClass {
  /** Output channels per `planes` (1 for the basic block, 4 for the bottleneck). */
  readonly expansion: number;
  new (args: ResBlockArgs): Module;
}

function makeAttn(attn: ResAttnLayer | undefined, chs: number): Module | null {
  if (!attn) return null;
  if (typeof attn === 'object') return createAttn(attn.type, chs, { rdRatio: attn.rdRatio });
  return createAttn(attn, chs);
}

/** Drop path on the branch, the shortcut (through the fused downsample when there is one), add, activation. */
function residual(x: tf.Tensor, shortcut: tf.Tensor, downsample: Module | null, act: ActName, drop: Module | null): tf.Tensor {
  if (drop) x = drop.forward(x);
  const sc = downsample ? runFused(shortcut, downsample.namedChildren().map(([, m]) => m)) : shortcut;
  const sum = tf.add(x, sc);
  return act === 'relu' ? tf.relu(sum) : new Activation(act).forward(sum);
}

/**
 * What timm's BasicBlock and Bottleneck end with: the attention (`se`), the last activation, the shortcut and drop
 * path, registered in timm's key order, and the forward tail that applies them.
 */
abstract class ResBlockBase extends Module {
  abstract readonly act: ActName;
  se: Module | null = null;
  downsample: Module | null = null;
  dropPath: Module | null = null;
  /** Registers `se`, the last activation (`actKey`), `downsample` and `drop_path` after the block's convs. */
  protected addTail(a: ResBlockArgs, outplanes: number, actKey: string): void {
    this.se = this.addModule('se', makeAttn(a.attnLayer, outplanes));
    this.addModule(actKey, new Activation(this.act));
    this.downsample = this.addModule('downsample', a.downsample ?? null);
    this.dropPath = this.addModule('drop_path', (a.dropPath ?? 0) > 0 ? new DropPath(a.dropPath!) : null);
  }
  /** Attention on the branch `y`, then the residual with the block input `x`. */
  protected finish(y: tf.Tensor, x: tf.Tensor): tf.Tensor {
    if (this.se) y = this.se.forward(y);
    return residual(y, x, this.downsample, this.act, this.dropPath);
  }
}

/**
 * timm resnet.py's BasicBlock: 3×3 conv (stride) → norm → act → (aa) → 3×3 conv → norm → (attention), + shortcut,
 * act. Keys: conv1, bn1, conv2, bn2[, se.*][, downsample.*]. Each conv runs with its BatchNorm (and act) folded in.
 */
export class BasicBlock extends ResBlockBase {
  static readonly expansion = 1;
  readonly conv1: Conv2d;
  readonly bn1: Module;
  readonly aa: Module;
  readonly conv2: Conv2d;
  readonly bn2: Module;
  readonly act: ActName;
  constructor(a: ResBlockArgs) {
    super();
    const { stride = 1, reduceFirst = 1, dilation = 1, firstDilation = dilation, normLayer = 'batchnorm' } = a;
    if ((a.cardinality ?? 1) !== 1) throw new Error('BasicBlock only supports cardinality of 1');
    if ((a.baseWidth ?? 64) !== 64) throw new Error('BasicBlock does not support changing base width');
    const firstPlanes = Math.floor(a.planes / reduceFirst);
    const outplanes = a.planes;
    const useAa = !!a.aaLayer && (stride === 2 || firstDilation !== dilation);
    this.act = a.actLayer ?? 'relu';
    this.conv1 = this.addModule('conv1', new Conv2d(a.inplanes, firstPlanes, 3, { stride: useAa ? 1 : stride, padding: firstDilation, dilation: firstDilation }));
    this.bn1 = this.addModule('bn1', createNorm(normLayer, firstPlanes));
    this.addModule('drop_block', new Identity());
    this.addModule('act1', new Activation(this.act));
    this.aa = this.addModule('aa', createAa(a.aaLayer, firstPlanes, stride, useAa, 'identity'));
    this.conv2 = this.addModule('conv2', new Conv2d(firstPlanes, outplanes, 3, { padding: dilation, dilation }));
    this.bn2 = this.addModule('bn2', createNorm(normLayer, outplanes));
    this.addTail(a, outplanes, 'act2');
  }
  override forward(x: tf.Tensor): tf.Tensor {
    let y = convNormAct(x, this.conv1, this.bn1, this.act);
    y = this.aa.forward(y);
    y = convNormAct(y, this.conv2, this.bn2);
    return this.finish(y, x);
  }
}

/**
 * timm resnet.py's Bottleneck: 1×1 → 3×3 (stride; grouped for ResNeXt) → (aa) → 1×1 to `planes × 4`, each with
 * norm (+ act), (attention), + shortcut, act. Keys: conv1, bn1, conv2, bn2, conv3, bn3[, se.*][, downsample.*].
 */
export class Bottleneck extends ResBlockBase {
  static readonly expansion = 4;
  readonly conv1: Conv2d;
  readonly bn1: Module;
  readonly conv2: Conv2d;
  readonly bn2: Module;
  readonly aa: Module;
  readonly conv3: Conv2d;
  readonly bn3: Module;
  readonly act: ActName;
  constructor(a: ResBlockArgs) {
    super();
    const { stride = 1, cardinality = 1, baseWidth = 64, reduceFirst = 1, dilation = 1, firstDilation = dilation, normLayer = 'batchnorm' } = a;
    const width = Math.floor(a.planes * (baseWidth / 64)) * cardinality;
    const firstPlanes = Math.floor(width / reduceFirst);
    const outplanes = a.planes * 4;
    const useAa = !!a.aaLayer && (stride === 2 || firstDilation !== dilation);
    this.act = a.actLayer ?? 'relu';
    this.conv1 = this.addModule('conv1', new Conv2d(a.inplanes, firstPlanes, 1));
    this.bn1 = this.addModule('bn1', createNorm(normLayer, firstPlanes));
    this.addModule('act1', new Activation(this.act));
    this.conv2 = this.addModule('conv2', new Conv2d(firstPlanes, width, 3, {
      stride: useAa ? 1 : stride, padding: firstDilation, dilation: firstDilation, groups: cardinality,
    }));
    this.bn2 = this.addModule('bn2', createNorm(normLayer, width));
    this.addModule('drop_block', new Identity());
    this.addModule('act2', new Activation(this.act));
    this.aa = this.addModule('aa', createAa(a.aaLayer, width, stride, useAa, 'identity'));
    this.conv3 = this.addModule('conv3', new Conv2d(width, outplanes, 1));
    this.bn3 = this.addModule('bn3', createNorm(normLayer, outplanes));
    this.addTail(a, outplanes, 'act3');
  }
  override forward(x: tf.Tensor): tf.Tensor {
    let y = convNormAct(x, this.conv1, this.bn1, this.act);
    y = convNormAct(y, this.conv2, this.bn2, this.act);
    y = this.aa.forward(y);
    y = convNormAct(y, this.conv3, this.bn3);
    return this.finish(y, x);
  }
}

/** timm's ResNet projection shortcut: 1×1 conv (stride `stride`, no bias) → BatchNorm, as `nn.Sequential`. */
export function resDownsample(inChs: number, outChs: number, stride = 1): Sequential {
  return new Sequential([new Conv2d(inChs, outChs, 1, { stride, bias: false }), new BatchNorm2d(outChs)]);
}

/**
 * timm's `_make_layer` for these blocks at their defaults (as HRNet builds its branches): `blocks` blocks in an
 * `nn.Sequential`, the first taking `inplanes` at `stride` with a projection shortcut when the stride or width changes.
 */
export function makeResLayer(block: ResBlockClass, inplanes: number, planes: number, blocks: number, stride = 1): Sequential {
  const out = planes * block.expansion;
  const downsample = stride !== 1 || inplanes !== out ? resDownsample(inplanes, out, stride) : null;
  const layers: Module[] = [new block({ inplanes, planes, stride, downsample })];
  for (let i = 1; i < blocks; i++) layers.push(new block({ inplanes: out, planes }));
  return new Sequential(layers);
}
