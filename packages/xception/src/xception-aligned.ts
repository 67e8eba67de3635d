import type * as tf from '@tensorflow/tfjs-core';
import * as tfc from '@tensorflow/tfjs-core';
import {Activation, type ActName, BatchNormAct2d, ClassifierHead, Conv2d, ConvNormAct, convNormAct, DropPath, 
  type GroupMatcher, Identity,
  Module, resolveAct, Sequential, VisionModel,
} from '@zoo/core';

/** One entry of timm's `block_cfg`: a (Pre)XceptionModule. */
export interface XceptionBlockCfg {
  inChs: number;
  /** One width for all three separable convs, or three widths. */
  outChs: number | [number, number, number];
  stride: number;
  noSkip?: boolean;
  startWithRelu?: boolean;
}

export interface XceptionAlignedArgs {
  blockCfg: XceptionBlockCfg[];
  numClasses?: number;
  inChans?: number;
  outputStride?: 8 | 16 | 32;
  /** Pre-activation blocks (the `p` variants). */
  preact?: boolean;
  actLayer?: string;
  /**
   * timm's `norm_layer`: BatchNorm, with the eps timm binds (`partial(nn.BatchNorm2d, eps=.001)` for the TF-ported
   * variants); default eps 1e-5.
   */
  normLayer?: 'batchnorm' | { type: 'batchnorm'; eps?: number };
  dropRate?: number;
  dropPathRate?: number;
  globalPool?: string;
}

const to3 = (v: number | [number, number, number]): [number, number, number] => (typeof v === 'number' ? [v, v, v] : v);

interface LayerArgs {
  act: ActName;
  eps: number;
}

/** timm's xception_aligned SeparableConv2d: depthwise conv → BN (→ act) → 1×1 conv → BN (→ act). */
export class SeparableConv2d extends Module {
  readonly convDw: Conv2d;
  readonly bnDw: BatchNormAct2d;
  readonly convPw: Conv2d;
  readonly bnPw: BatchNormAct2d;
  constructor(inChs: number, outChs: number, kernelSize: number, stride: number, dilation: number, act: ActName | null, eps: number) {
    super();
    this.convDw = this.addModule('conv_dw', new Conv2d(inChs, inChs, kernelSize, { stride, dilation, groups: inChs }));
    // BN then the (optional) activation; the act modules carry no weights, so they live in the norm here.
    this.bnDw = this.addModule('bn_dw', new BatchNormAct2d(inChs, { eps, act: act ?? null }));
    this.convPw = this.addModule('conv_pw', new Conv2d(inChs, outChs, 1));
    this.bnPw = this.addModule('bn_pw', new BatchNormAct2d(outChs, { eps, act: act ?? null }));
  }
  override forward(x: tf.Tensor): tf.Tensor {
    return convNormAct(convNormAct(x, this.convDw, this.bnDw), this.convPw, this.bnPw);
  }
}

/** timm's PreSeparableConv2d: (BN-act →) depthwise conv → 1×1 conv. */
export class PreSeparableConv2d extends Module {
  readonly norm: Module;
  readonly convDw: Conv2d;
  readonly convPw: Conv2d;
  constructor(inChs: number, outChs: number, kernelSize: number, stride: number, dilation: number, a: LayerArgs, firstAct: boolean) {
    super();
    this.norm = this.addModule('norm', firstAct ? new BatchNormAct2d(inChs, { eps: a.eps, act: a.act }) : new Identity());
    this.convDw = this.addModule('conv_dw', new Conv2d(inChs, inChs, kernelSize, { stride, dilation, groups: inChs }));
    this.convPw = this.addModule('conv_pw', new Conv2d(inChs, outChs, 1));
  }
  override forward(x: tf.Tensor): tf.Tensor {
    return this.convPw.forward(this.convDw.forward(this.norm.forward(x)));
  }
}

/** timm's XceptionModule: three separable convs (the last strided) with a 1×1 ConvNormAct shortcut when needed. */
export class XceptionModule extends Module {
  readonly inChannels: number;
  readonly outChannels: number;
  readonly noSkip: boolean;
  readonly shortcut: ConvNormAct | null;
  readonly stack: Sequential;
  readonly dropPath: Module | null;
  constructor(b: XceptionBlockCfg, dilation: number, a: LayerArgs, dropPath: number) {
    super();
    const outChs = to3(b.outChs);
    const startWithRelu = b.startWithRelu ?? true;
    this.inChannels = b.inChs;
    this.outChannels = outChs[2];
    this.noSkip = b.noSkip ?? false;
    this.shortcut = this.addModule('shortcut', !this.noSkip && (this.outChannels !== this.inChannels || b.stride !== 1)
      ? new ConvNormAct(b.inChs, this.outChannels, 1, { stride: b.stride, eps: a.eps, applyAct: false })
      : null);
    const stack = new Sequential();
    let inChs = b.inChs;
    for (let i = 0; i < 3; i++) {
      if (startWithRelu) stack.addModule(`act${i + 1}`, new Activation(a.act));
      stack.addModule(`conv${i + 1}`, new SeparableConv2d(inChs, outChs[i]!, 3, i === 2 ? b.stride : 1, dilation, startWithRelu ? null : a.act, a.eps));
      inChs = outChs[i]!;
    }
    // Every stack module runs through its own `forward`, so feature hooks on `stack.actN` see their outputs.
    this.stack = this.addModule('stack', stack);
    this.dropPath = this.addModule('drop_path', dropPath > 0 ? new DropPath(dropPath) : null);
  }
  override forward(x: tf.Tensor): tf.Tensor {
    let y = this.stack.forward(x);
    if (this.noSkip) return y;
    const skip = this.shortcut ? this.shortcut.forward(x) : x;
    if (this.dropPath) y = this.dropPath.forward(y);
    return tfc.add(y, skip);
  }
}

/** timm's PreXceptionModule: BN-act, then three pre-activated separable convs, plus a 1×1 conv shortcut when needed. */
export class PreXceptionModule extends Module {
  readonly inChannels: number;
  readonly outChannels: number;
  readonly noSkip: boolean;
  readonly shortcut: Module;
  readonly norm: BatchNormAct2d;
  readonly stack: Sequential;
  readonly dropPath: Module | null;
  constructor(b: XceptionBlockCfg, dilation: number, a: LayerArgs, dropPath: number) {
    super();
    const outChs = to3(b.outChs);
    this.inChannels = b.inChs;
    this.outChannels = outChs[2];
    this.noSkip = b.noSkip ?? false;
    this.shortcut = this.addModule('shortcut', !this.noSkip && (this.outChannels !== this.inChannels || b.stride !== 1)
      ? new Conv2d(b.inChs, this.outChannels, 1, { stride: b.stride })
      : new Identity());
    this.norm = this.addModule('norm', new BatchNormAct2d(b.inChs, { eps: a.eps, act: a.act }));
    const stack = new Sequential();
    let inChs = b.inChs;
    for (let i = 0; i < 3; i++) {
      stack.addModule(`conv${i + 1}`, new PreSeparableConv2d(inChs, outChs[i]!, 3, i === 2 ? b.stride : 1, dilation, a, i > 0));
      inChs = outChs[i]!;
    }
    this.stack = this.addModule('stack', stack);
    this.dropPath = this.addModule('drop_path', dropPath > 0 ? new DropPath(dropPath) : null);
  }
  override forward(x: tf.Tensor): tf.Tensor {
    const skip = this.norm.forward(x);
    let y = this.stack.forward(skip);
    if (this.noSkip) return y;
    if (this.dropPath) y = this.dropPath.forward(y);
    return tfc.add(y, this.shortcut.forward(skip));
  }
}

const ARG_NAMES: readonly (keyof XceptionAlignedArgs)[] = [
  'blockCfg', 'numClasses', 'inChans', 'outputStride', 'preact', 'actLayer', 'normLayer', 'dropRate', 'dropPathRate',
  'globalPool',
];

/**
 * timm's XceptionAligned (DeepLab-style aligned Xception, and the pre-activation `p` variants) on NHWC input.
 * State-dict keys are timm's: stem.0.conv, blocks.N.stack.convK.conv_dw, blocks.N.shortcut.bn, head.fc, …
 */
export class XceptionAligned extends VisionModel {
  static readonly argNames: readonly (keyof XceptionAlignedArgs)[] = ARG_NAMES;
  numClasses: number;
  numFeatures: number;
  headHiddenSize: number;
  readonly inChans: number;
  readonly dropRate: number;
  readonly stem: Sequential;
  readonly blocks: Sequential;
  private readonly finalAct: Module;

  constructor(args: XceptionAlignedArgs) {
    super();
    const {
      blockCfg, numClasses = 1000, inChans = 3, outputStride = 32, preact = false, actLayer = 'relu', normLayer = 'batchnorm',
      dropRate = 0, dropPathRate = 0, globalPool = 'avg',
    } = args;
    if (![8, 16, 32].includes(outputStride)) throw new RangeError(`outputStride must be 8, 16 or 32, got ${outputStride}`);
    this.numClasses = numClasses;
    this.inChans = inChans;
    this.dropRate = dropRate;
    const norm = typeof normLayer === 'string' ? { type: normLayer } : normLayer;
    if (norm.type !== 'batchnorm') throw new Error(`XceptionAligned: normLayer must be 'batchnorm', got '${String(norm.type)}'`);
    const normEps = norm.eps ?? 1e-5;
    const act = resolveAct(actLayer);
    const a: LayerArgs = { act, eps: normEps };
    this.stem = this.addModule('stem', new Sequential([
      new ConvNormAct(inChans, 32, 3, { stride: 2, eps: normEps, actLayer: act }),
      preact ? new Conv2d(32, 64, 3) : new ConvNormAct(32, 64, 3, { stride: 1, eps: normEps, actLayer: act }),
    ]));
    let currDilation = 1;
    let currStride = 2;
    this.featureInfo = [];
    const blocks = new Sequential();
    const n = blockCfg.length;
    let numFeatures = 0;
    blockCfg.forEach((cfg, i) => {
      const b = { ...cfg };
      const dpr = n > 1 ? (dropPathRate * i) / (n - 1) : 0;
      const dilation = currDilation;
      if (b.stride > 1) {
        this.featureInfo.push({ numChs: to3(b.outChs)[1], reduction: currStride, module: preact ? `blocks.${i}.stack.conv2` : `blocks.${i}.stack.act3` });
        const next = currStride * b.stride;
        if (next > outputStride) {
          currDilation *= b.stride;
          b.stride = 1;
        } else currStride = next;
      }
      const block = preact ? new PreXceptionModule(b, dilation, a, dpr) : new XceptionModule(b, dilation, a, dpr);
      blocks.addModule(String(i), block);
      numFeatures = block.outChannels;
    });
    this.blocks = this.addModule('blocks', blocks);
    this.featureInfo.push({ numChs: numFeatures, reduction: currStride, module: `blocks.${n - 1}` });
    this.finalAct = this.addModule('act', preact ? new Activation(act) : new Identity());
    this.numFeatures = this.headHiddenSize = numFeatures;
    this.setClassifierHead('head', new ClassifierHead(numFeatures, numClasses, { poolType: globalPool }), numClasses);
  }

  /** timm's `XceptionAligned.group_matcher`: layer groups for layer-wise lr decay. */
  override groupMatcher(_coarse = false): GroupMatcher {
    return { stem: '^stem', blocks: String.raw`^blocks\.(\d+)` };
  }

  protected computeFeatures(x: tf.Tensor): tf.Tensor {
    return this.finalAct.forward(this.blocks.forward(this.stem.forward(x)));
  }
}
