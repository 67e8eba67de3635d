/**
 * timm's Inception-v3 (inception_v3.py, the torchvision model) on NHWC input: a plain conv stem, then mixed blocks
 * whose parallel branches are concatenated on channels. Keys as timm's: Conv2d_1a_3x3.conv.weight,
 * Conv2d_1a_3x3.bn.*, Mixed_5b.branch5x5_1.conv.weight, …, fc.*.
 */
import * as tf from '@tensorflow/tfjs-core';
import {
  AvgPool2d, BatchNormAct2d, Conv2d, convNormAct, type GroupMatcher, MaxPool2d, Module, type Pair, VisionModel,
} from '@zoo/core';

/** Conv options of one branch conv: stride and PyTorch padding (timm's default padding here is 0). */
interface ConvOpts {
  stride?: number;
  padding?: number | Pair;
}

/** What every conv of the model shares: the BatchNorm epsilon and the activation (timm's `conv_block` partial). */
export interface ConvBlockCfg {
  eps: number;
  act: string;
}

/** timm's ConvNormAct as Inception builds it: conv (no bias) → BatchNorm → activation, folded into one conv op. */
export class InceptionConv extends Module {
  readonly conv: Conv2d;
  readonly bn: BatchNormAct2d;
  constructor(inChs: number, outChs: number, kernelSize: number | Pair, cfg: ConvBlockCfg, opts: ConvOpts = {}) {
    super();
    this.conv = this.addModule('conv', new Conv2d(inChs, outChs, kernelSize, { stride: opts.stride ?? 1, padding: opts.padding ?? 0 }));
    this.bn = this.addModule('bn', new BatchNormAct2d(outChs, { eps: cfg.eps, act: cfg.act }));
  }
  override forward(x: tf.Tensor): tf.Tensor {
    return convNormAct(x, this.conv, this.bn);
  }
}

const avgPool3x3 = new AvgPool2d(3, { stride: 1, padding: 1 });
const maxPool3x3s2 = new MaxPool2d(3, { stride: 2 });

/** A mixed block: named branch convs (in timm's order), run as chains and concatenated on channels. */
abstract class MixedBlock extends Module {
  constructor(protected readonly cfg: ConvBlockCfg) {
    super();
  }
  protected conv(name: string, inChs: number, outChs: number, kernelSize: number | Pair, opts: ConvOpts = {}): void {
    this.addModule(name, new InceptionConv(inChs, outChs, kernelSize, this.cfg, opts));
  }
  /** Runs the named convs one after another. */
  protected chain(x: tf.Tensor, ...names: string[]): tf.Tensor {
    return names.reduce((y, n) => this.getChild(n)!.forward(y), x);
  }
  /** timm's `F.avg_pool2d(x, 3, stride=1, padding=1)` (padding counted) → `branch_pool`. */
  protected avgPoolBranch(x: tf.Tensor): tf.Tensor {
    return this.chain(avgPool3x3.forward(x), 'branch_pool');
  }
  protected concat(parts: tf.Tensor[]): tf.Tensor {
    return tf.concat(parts, 3);
  }
}

/** 35×35 block: 1×1, 5×5 and double 3×3 branches, and an average-pooled 1×1 of `poolFeatures` channels. */
export class InceptionA extends MixedBlock {
  constructor(inChs: number, poolFeatures: number, cfg: ConvBlockCfg) {
    super(cfg);
    this.conv('branch1x1', inChs, 64, 1);
    this.conv('branch5x5_1', inChs, 48, 1);
    this.conv('branch5x5_2', 48, 64, 5, { padding: 2 });
    this.conv('branch3x3dbl_1', inChs, 64, 1);
    this.conv('branch3x3dbl_2', 64, 96, 3, { padding: 1 });
    this.conv('branch3x3dbl_3', 96, 96, 3, { padding: 1 });
    this.conv('branch_pool', inChs, poolFeatures, 1);
  }
  override forward(x: tf.Tensor): tf.Tensor {
    return this.concat([
      this.chain(x, 'branch1x1'),
      this.chain(x, 'branch5x5_1', 'branch5x5_2'),
      this.chain(x, 'branch3x3dbl_1', 'branch3x3dbl_2', 'branch3x3dbl_3'),
      this.avgPoolBranch(x),
    ]);
  }
}

/** 35→17 reduction: strided 3×3, strided double 3×3, and a 3×3/2 max pool. */
export class InceptionB extends MixedBlock {
  constructor(inChs: number, cfg: ConvBlockCfg) {
    super(cfg);
    this.conv('branch3x3', inChs, 384, 3, { stride: 2 });
    this.conv('branch3x3dbl_1', inChs, 64, 1);
    this.conv('branch3x3dbl_2', 64, 96, 3, { padding: 1 });
    this.conv('branch3x3dbl_3', 96, 96, 3, { stride: 2 });
  }
  override forward(x: tf.Tensor): tf.Tensor {
    return this.concat([
      this.chain(x, 'branch3x3'),
      this.chain(x, 'branch3x3dbl_1', 'branch3x3dbl_2', 'branch3x3dbl_3'),
      maxPool3x3s2.forward(x),
    ]);
  }
}

/** 17×17 block: factorised 7×7 branches (1×7 then 7×1) of `channels7x7` inner channels. */
export class InceptionC extends MixedBlock {
  constructor(inChs: number, channels7x7: number, cfg: ConvBlockCfg) {
    super(cfg);
    const c7 = channels7x7;
    this.conv('branch1x1', inChs, 192, 1);
    this.conv('branch7x7_1', inChs, c7, 1);
    this.conv('branch7x7_2', c7, c7, [1, 7], { padding: [0, 3] });
    this.conv('branch7x7_3', c7, 192, [7, 1], { padding: [3, 0] });
    this.conv('branch7x7dbl_1', inChs, c7, 1);
    this.conv('branch7x7dbl_2', c7, c7, [7, 1], { padding: [3, 0] });
    this.conv('branch7x7dbl_3', c7, c7, [1, 7], { padding: [0, 3] });
    this.conv('branch7x7dbl_4', c7, c7, [7, 1], { padding: [3, 0] });
    this.conv('branch7x7dbl_5', c7, 192, [1, 7], { padding: [0, 3] });
    this.conv('branch_pool', inChs, 192, 1);
  }
  override forward(x: tf.Tensor): tf.Tensor {
    return this.concat([
      this.chain(x, 'branch1x1'),
      this.chain(x, 'branch7x7_1', 'branch7x7_2', 'branch7x7_3'),
      this.chain(x, 'branch7x7dbl_1', 'branch7x7dbl_2', 'branch7x7dbl_3', 'branch7x7dbl_4', 'branch7x7dbl_5'),
      this.avgPoolBranch(x),
    ]);
  }
}

/** 17→8 reduction: 1×1 → strided 3×3, 1×1 → 1×7 → 7×1 → strided 3×3, and a 3×3/2 max pool. */
export class InceptionD extends MixedBlock {
  constructor(inChs: number, cfg: ConvBlockCfg) {
    super(cfg);
    this.conv('branch3x3_1', inChs, 192, 1);
    this.conv('branch3x3_2', 192, 320, 3, { stride: 2 });
    this.conv('branch7x7x3_1', inChs, 192, 1);
    this.conv('branch7x7x3_2', 192, 192, [1, 7], { padding: [0, 3] });
    this.conv('branch7x7x3_3', 192, 192, [7, 1], { padding: [3, 0] });
    this.conv('branch7x7x3_4', 192, 192, 3, { stride: 2 });
  }
  override forward(x: tf.Tensor): tf.Tensor {
    return this.concat([
      this.chain(x, 'branch3x3_1', 'branch3x3_2'),
      this.chain(x, 'branch7x7x3_1', 'branch7x7x3_2', 'branch7x7x3_3', 'branch7x7x3_4'),
      maxPool3x3s2.forward(x),
    ]);
  }
}

/** 8×8 block: 3×3 branches that split into parallel 1×3 and 3×1 convs (concatenated), and a pooled 1×1. */
export class InceptionE extends MixedBlock {
  constructor(inChs: number, cfg: ConvBlockCfg) {
    super(cfg);
    this.conv('branch1x1', inChs, 320, 1);
    this.conv('branch3x3_1', inChs, 384, 1);
    this.conv('branch3x3_2a', 384, 384, [1, 3], { padding: [0, 1] });
    this.conv('branch3x3_2b', 384, 384, [3, 1], { padding: [1, 0] });
    this.conv('branch3x3dbl_1', inChs, 448, 1);
    this.conv('branch3x3dbl_2', 448, 384, 3, { padding: 1 });
    this.conv('branch3x3dbl_3a', 384, 384, [1, 3], { padding: [0, 1] });
    this.conv('branch3x3dbl_3b', 384, 384, [3, 1], { padding: [1, 0] });
    this.conv('branch_pool', inChs, 192, 1);
  }
  override forward(x: tf.Tensor): tf.Tensor {
    const b3 = this.chain(x, 'branch3x3_1');
    const b3dbl = this.chain(x, 'branch3x3dbl_1', 'branch3x3dbl_2');
    return this.concat([
      this.chain(x, 'branch1x1'),
      this.chain(b3, 'branch3x3_2a'),
      this.chain(b3, 'branch3x3_2b'),
      this.chain(b3dbl, 'branch3x3dbl_3a'),
      this.chain(b3dbl, 'branch3x3dbl_3b'),
      this.avgPoolBranch(x),
    ]);
  }
}

export interface InceptionV3Args {
  numClasses?: number;
  inChans?: number;
  dropRate?: number;
  globalPool?: string;
  /** BatchNorm epsilon of every conv (timm's `norm_eps`, default 1e-3). */
  normEps?: number;
  /** Activation after every conv (timm's `act_layer`, default relu). */
  actLayer?: string;
}

/**
 * timm's InceptionV3 (299×299 input, 2048 features at stride 32). The auxiliary classifier (`aux_logits`, a training
 * aid) is not built: timm loads the torchvision weights, which hold it, non-strictly, and so does this package.
 */
export class InceptionV3 extends VisionModel {
  static readonly argNames: readonly (keyof InceptionV3Args)[] = ['numClasses', 'inChans', 'dropRate', 'globalPool', 'normEps', 'actLayer'];
  numClasses: number;
  numFeatures = 2048;
  headHiddenSize = 2048;
  readonly inChans: number;
  /** The trunk's children in forward order (stem convs, pools, mixed blocks). */
  private readonly trunk: Module[] = [];

  constructor(args: InceptionV3Args = {}) {
    super();
    const { numClasses = 1000, inChans = 3, globalPool = 'avg', normEps = 1e-3, actLayer = 'relu' } = args;
    this.numClasses = numClasses;
    this.inChans = inChans;
    const cfg: ConvBlockCfg = { eps: normEps, act: actLayer };
    const add = <M extends Module>(name: string, m: M): M => {
      this.trunk.push(this.addModule(name, m));
      return m;
    };
    add('Conv2d_1a_3x3', new InceptionConv(inChans, 32, 3, cfg, { stride: 2 }));
    add('Conv2d_2a_3x3', new InceptionConv(32, 32, 3, cfg));
    add('Conv2d_2b_3x3', new InceptionConv(32, 64, 3, cfg, { padding: 1 }));
    add('Pool1', new MaxPool2d(3, { stride: 2 }));
    add('Conv2d_3b_1x1', new InceptionConv(64, 80, 1, cfg));
    add('Conv2d_4a_3x3', new InceptionConv(80, 192, 3, cfg));
    add('Pool2', new MaxPool2d(3, { stride: 2 }));
    add('Mixed_5b', new InceptionA(192, 32, cfg));
    add('Mixed_5c', new InceptionA(256, 64, cfg));
    add('Mixed_5d', new InceptionA(288, 64, cfg));
    add('Mixed_6a', new InceptionB(288, cfg));
    add('Mixed_6b', new InceptionC(768, 128, cfg));
    add('Mixed_6c', new InceptionC(768, 160, cfg));
    add('Mixed_6d', new InceptionC(768, 160, cfg));
    add('Mixed_6e', new InceptionC(768, 192, cfg));
    add('Mixed_7a', new InceptionD(768, cfg));
    add('Mixed_7b', new InceptionE(1280, cfg));
    add('Mixed_7c', new InceptionE(2048, cfg));
    this.featureInfo = [
      { numChs: 64, reduction: 2, module: 'Conv2d_2b_3x3' },
      { numChs: 192, reduction: 4, module: 'Conv2d_4a_3x3' },
      { numChs: 288, reduction: 8, module: 'Mixed_5d' },
      { numChs: 768, reduction: 16, module: 'Mixed_6e' },
      { numChs: 2048, reduction: 32, module: 'Mixed_7c' },
    ];
    this.setPoolClassifier('fc', numClasses, globalPool);
  }

  /**
   * timm's `InceptionV3.group_matcher` (a function, both granularities): the `Conv2d_1*` / `Conv2d_2*` stem convs
   * are layer 0, `Conv2d_3*` / `Conv2d_4*` layer 1, then each top-level module in order; the classifier last.
   */
  override groupMatcher(_coarse = false): GroupMatcher {
    const order = this.namedChildren()
      .map(([n]) => n)
      .filter((n) => n !== 'fc');
    return (name: string) => {
      if (name.startsWith('Conv2d_1') || name.startsWith('Conv2d_2')) return 0;
      if (name.startsWith('Conv2d_3') || name.startsWith('Conv2d_4')) return 1;
      const i = order.indexOf(name.split('.')[0]!);
      return i >= 0 ? i : Number.POSITIVE_INFINITY;
    };
  }

  protected computeFeatures(x: tf.Tensor): tf.Tensor {
    return this.trunk.reduce((y, m) => m.forward(y), x);
  }
}
