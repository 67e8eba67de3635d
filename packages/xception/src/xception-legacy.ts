import type * as tf from '@tensorflow/tfjs-core';
import * as tfc from '@tensorflow/tfjs-core';
import {Activation, BatchNorm2d, Conv2d, convNormAct, 
  type GroupMatcher, MaxPool2d, Module, Sequential, VisionModel,
} from '@zoo/core';

/** The original (Cadene-port) Xception's SeparableConv2d: depthwise conv → 1×1 conv, no norm between. */
export class LegacySeparableConv2d extends Module {
  readonly conv1: Conv2d;
  readonly pointwise: Conv2d;
  constructor(inChannels: number, outChannels: number, kernelSize = 1, stride = 1, padding = 0, dilation = 1) {
    super();
    this.conv1 = this.addModule('conv1', new Conv2d(inChannels, inChannels, kernelSize, { stride, padding, dilation, groups: inChannels }));
    this.pointwise = this.addModule('pointwise', new Conv2d(inChannels, outChannels, 1, { padding: 0 }));
  }
  override forward(x: tf.Tensor): tf.Tensor {
    return this.pointwise.forward(this.conv1.forward(x));
  }
  /** Separable conv with the following BatchNorm folded into the pointwise conv. */
  forwardBn(x: tf.Tensor, bn: BatchNorm2d): tf.Tensor {
    return convNormAct(this.conv1.forward(x), this.pointwise, bn);
  }
}

/** Runs `rep` like nn.Sequential, folding each separable conv's BatchNorm into it; other modules run via `forward`. */
function runRep(x: tf.Tensor, modules: readonly Module[]): tf.Tensor {
  for (let i = 0; i < modules.length; i++) {
    const m = modules[i]!;
    const next = modules[i + 1];
    if (m instanceof LegacySeparableConv2d && next instanceof BatchNorm2d) {
      x = m.forwardBn(x, next);
      i++;
    } else x = m.forward(x);
  }
  return x;
}

/** The original Xception block: (ReLU → separable conv → BN) × reps (→ max pool), plus a 1×1 conv + BN skip. */
export class LegacyBlock extends Module {
  readonly skip: Conv2d | null;
  readonly skipbn: BatchNorm2d | null;
  readonly rep: Sequential;
  constructor(inChannels: number, outChannels: number, reps: number, strides = 1, startWithRelu = true, growFirst = true) {
    super();
    const needSkip = outChannels !== inChannels || strides !== 1;
    this.skip = this.addModule('skip', needSkip ? new Conv2d(inChannels, outChannels, 1, { stride: strides, padding: 0 }) : null);
    this.skipbn = this.addModule('skipbn', needSkip ? new BatchNorm2d(outChannels) : null);
    let rep: Module[] = [];
    for (let i = 0; i < reps; i++) {
      let inc: number;
      let outc: number;
      if (growFirst) {
        inc = i === 0 ? inChannels : outChannels;
        outc = outChannels;
      } else {
        inc = inChannels;
        outc = i < reps - 1 ? inChannels : outChannels;
      }
      rep.push(new Activation('relu'), new LegacySeparableConv2d(inc, outc, 3, 1, 1), new BatchNorm2d(outc));
    }
    if (!startWithRelu) rep = rep.slice(1);
    if (strides !== 1) rep.push(new MaxPool2d(3, { stride: strides, padding: 1 }));
    this.rep = this.addModule('rep', new Sequential(rep));
  }
  override forward(x: tf.Tensor): tf.Tensor {
    const y = runRep(x, this.rep.namedChildren().map(([, m]) => m));
    const skip = this.skip ? convNormAct(x, this.skip, this.skipbn) : x;
    return tfc.add(y, skip);
  }
}

export interface LegacyXceptionArgs {
  numClasses?: number;
  inChans?: number;
  dropRate?: number;
  globalPool?: string;
}

const ARG_NAMES: readonly (keyof LegacyXceptionArgs)[] = ['numClasses', 'inChans', 'dropRate', 'globalPool'];

/**
 * timm's legacy Xception (xception.py, the Cadene port of the Keras/TF model) on NHWC input. Keys: conv1, bn1,
 * block1.skip, block1.rep.0.conv1, …, conv4.pointwise, bn4, fc.
 */
export class LegacyXception extends VisionModel {
  static readonly argNames: readonly (keyof LegacyXceptionArgs)[] = ARG_NAMES;
  numClasses: number;
  numFeatures = 2048;
  headHiddenSize = 2048;
  readonly inChans: number;
  readonly dropRate: number;
  private readonly blockNames: string[] = [];

  constructor(args: LegacyXceptionArgs = {}) {
    super();
    const { numClasses = 1000, inChans = 3, dropRate = 0, globalPool = 'avg' } = args;
    this.numClasses = numClasses;
    this.inChans = inChans;
    this.dropRate = dropRate;
    this.addModule('conv1', new Conv2d(inChans, 32, 3, { stride: 2, padding: 0 }));
    this.addModule('bn1', new BatchNorm2d(32));
    this.addModule('act1', new Activation('relu'));
    this.addModule('conv2', new Conv2d(32, 64, 3, { padding: 0 }));
    this.addModule('bn2', new BatchNorm2d(64));
    this.addModule('act2', new Activation('relu'));
    const blocks: [number, number, number, number, boolean, boolean][] = [
      [64, 128, 2, 2, false, true],
      [128, 256, 2, 2, true, true],
      [256, 728, 2, 2, true, true],
      ...Array.from({ length: 8 }, (): [number, number, number, number, boolean, boolean] => [728, 728, 3, 1, true, true]),
      [728, 1024, 2, 2, true, false],
    ];
    blocks.forEach(([i, o, r, s, swr, gf], idx) => {
      const name = `block${idx + 1}`;
      this.addModule(name, new LegacyBlock(i, o, r, s, swr, gf));
      this.blockNames.push(name);
    });
    this.addModule('conv3', new LegacySeparableConv2d(1024, 1536, 3, 1, 1));
    this.addModule('bn3', new BatchNorm2d(1536));
    this.addModule('act3', new Activation('relu'));
    this.addModule('conv4', new LegacySeparableConv2d(1536, this.numFeatures, 3, 1, 1));
    this.addModule('bn4', new BatchNorm2d(this.numFeatures));
    this.addModule('act4', new Activation('relu'));
    this.featureInfo = [
      { numChs: 64, reduction: 2, module: 'act2' },
      { numChs: 128, reduction: 4, module: 'block2.rep.0' },
      { numChs: 256, reduction: 8, module: 'block3.rep.0' },
      { numChs: 728, reduction: 16, module: 'block12.rep.0' },
      { numChs: 2048, reduction: 32, module: 'act4' },
    ];
    this.setPoolClassifier('fc', numClasses, globalPool);
  }

  private child(name: string): Module {
    return this.getChild(name)!;
  }

  /** timm's `LegacyXception.group_matcher`: layer groups for layer-wise lr decay. */
  override groupMatcher(_coarse = false): GroupMatcher {
    return {
      stem: '^conv[12]|bn[12]',
      blocks: [
        [String.raw`^block(\d+)`, null],
        ['^conv[34]|bn[34]', [99]],
      ],
    };
  }

  protected computeFeatures(x: tf.Tensor): tf.Tensor {
    // Activations run through their own modules so that feature hooks (act2, act4) see them.
    x = this.child('act1').forward(convNormAct(x, this.child('conv1') as Conv2d, this.child('bn1')));
    x = this.child('act2').forward(convNormAct(x, this.child('conv2') as Conv2d, this.child('bn2')));
    for (const n of this.blockNames) x = this.child(n).forward(x);
    x = this.child('act3').forward((this.child('conv3') as LegacySeparableConv2d).forwardBn(x, this.child('bn3') as BatchNorm2d));
    x = this.child('act4').forward((this.child('conv4') as LegacySeparableConv2d).forwardBn(x, this.child('bn4') as BatchNorm2d));
    return x;
  }
}
