import * as tf from '@tensorflow/tfjs-core';
import { Module, Sequential } from '../module.js';
import { Conv2d } from './conv.js';
import { convNormAct, runFused } from './fuse.js';
import { BatchNorm2d } from './norm.js';

/**
 * timm resnet.py's `BasicBlock` and `Bottleneck` with their default arguments (BatchNorm, ReLU, no attention, no
 * anti-aliasing, no drop path, cardinality 1, base width 64): the blocks other timm modules borrow from ResNet as they
 * are (HRNet's branches and heads). Keys as timm's: conv1, bn1, conv2, bn2[, conv3, bn3], downsample.0 (1×1 conv),
 * downsample.1 (BatchNorm). Each conv runs with its BatchNorm (and ReLU) folded in.
 */
export interface ResBlockClass {
  /** Output channels per `planes` (1 for the basic block, 4 for the bottleneck). */
  readonly expansion: number;
  new (inplanes: number, planes: number, stride?: number, downsample?: Module | null): Module;
}

/** timm's ResNet projection shortcut: 1×1 conv (stride `stride`, no bias) → BatchNorm, as `nn.Sequential`. */
export function resDownsample(inChs: number, outChs: number, stride = 1): Sequential {
  return new Sequential([new Conv2d(inChs, outChs, 1, { stride, bias: false }), new BatchNorm2d(outChs)]);
}

/** `relu(y + shortcut)`, the shortcut through the (fused) downsample when there is one. */
function addShortcut(y: tf.Tensor, x: tf.Tensor, downsample: Module | null): tf.Tensor {
  const sc = downsample ? runFused(x, downsample.namedChildren().map(([, m]) => m)) : x;
  return tf.relu(tf.add(y, sc));
}

/** timm's ResNet `BasicBlock` (defaults): 3×3 conv (stride) → BN → ReLU → 3×3 conv → BN, + shortcut, ReLU. */
export class ResBasicBlock extends Module {
  static readonly expansion = 1;
  readonly conv1: Conv2d;
  readonly bn1: BatchNorm2d;
  readonly conv2: Conv2d;
  readonly bn2: BatchNorm2d;
  readonly downsample: Module | null;
  constructor(inplanes: number, planes: number, stride = 1, downsample: Module | null = null) {
    super();
    this.conv1 = this.addModule('conv1', new Conv2d(inplanes, planes, 3, { stride, padding: 1, bias: false }));
    this.bn1 = this.addModule('bn1', new BatchNorm2d(planes));
    this.conv2 = this.addModule('conv2', new Conv2d(planes, planes, 3, { padding: 1, bias: false }));
    this.bn2 = this.addModule('bn2', new BatchNorm2d(planes));
    this.downsample = this.addModule('downsample', downsample);
  }
  override forward(x: tf.Tensor): tf.Tensor {
    const y = convNormAct(convNormAct(x, this.conv1, this.bn1, 'relu'), this.conv2, this.bn2);
    return addShortcut(y, x, this.downsample);
  }
}

/** timm's ResNet `Bottleneck` (defaults): 1×1 → 3×3 (stride) → 1×1 to `planes × 4`, each with BN, + shortcut, ReLU. */
export class ResBottleneck extends Module {
  static readonly expansion = 4;
  readonly conv1: Conv2d;
  readonly bn1: BatchNorm2d;
  readonly conv2: Conv2d;
  readonly bn2: BatchNorm2d;
  readonly conv3: Conv2d;
  readonly bn3: BatchNorm2d;
  readonly downsample: Module | null;
  constructor(inplanes: number, planes: number, stride = 1, downsample: Module | null = null) {
    super();
    const out = planes * ResBottleneck.expansion;
    this.conv1 = this.addModule('conv1', new Conv2d(inplanes, planes, 1, { bias: false }));
    this.bn1 = this.addModule('bn1', new BatchNorm2d(planes));
    this.conv2 = this.addModule('conv2', new Conv2d(planes, planes, 3, { stride, padding: 1, bias: false }));
    this.bn2 = this.addModule('bn2', new BatchNorm2d(planes));
    this.conv3 = this.addModule('conv3', new Conv2d(planes, out, 1, { bias: false }));
    this.bn3 = this.addModule('bn3', new BatchNorm2d(out));
    this.downsample = this.addModule('downsample', downsample);
  }
  override forward(x: tf.Tensor): tf.Tensor {
    let y = convNormAct(x, this.conv1, this.bn1, 'relu');
    y = convNormAct(y, this.conv2, this.bn2, 'relu');
    y = convNormAct(y, this.conv3, this.bn3);
    return addShortcut(y, x, this.downsample);
  }
}

/**
 * timm's `_make_layer` for these blocks: `blocks` blocks in an `nn.Sequential`, the first taking `inplanes` at
 * `stride` with a projection shortcut when the stride or the width changes.
 */
export function makeResLayer(block: ResBlockClass, inplanes: number, planes: number, blocks: number, stride = 1): Sequential {
  const out = planes * block.expansion;
  const downsample = stride !== 1 || inplanes !== out ? resDownsample(inplanes, out, stride) : null;
  const layers: Module[] = [new block(inplanes, planes, stride, downsample)];
  for (let i = 1; i < blocks; i++) layers.push(new block(out, planes));
  return new Sequential(layers);
}
