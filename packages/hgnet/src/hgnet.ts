/**
 * timm's PP-HGNet V1 and V2 (hgnet.py, `HighPerfGpuNet`) on NHWC input: stages of HG blocks, each a chain of
 * (light) conv+BN+ReLU layers whose outputs are all concatenated and aggregated by 1×1 convs (with ESE attention in
 * V1, a squeeze/excitation conv pair in V2). V2 adds learnable affine blocks (a scalar scale and bias after each
 * activation). Keys: stem.stem1.conv, …, stages.i.downsample.conv, stages.i.blocks.j.layers.k.conv, …,
 * head.last_conv.0, head.fc.
 */
import * as tf from '@tensorflow/tfjs-core';
import {Activation, BatchNorm2d, Conv2d, type ForwardIntermediatesOptions, 
  type GroupMatcher, Identity, type IntermediatesResult, Linear, MaxPool2d, Module,
  type OutIndices, type Param, SelectAdaptivePool2d, Sequential, spatialMean, VisionModel,
} from '@zoo/core';

/** timm's LearnableAffineBlock: `scale * x + bias` with two learnable scalars. Keys: scale, bias. */
export class LearnableAffineBlock extends Module {
  readonly scale: Param;
  readonly bias: Param;
  constructor(scaleValue = 1, biasValue = 0) {
    super();
    this.scale = this.addParam('scale', [1], { init: { kind: 'const', value: scaleValue } });
    this.bias = this.addParam('bias', [1], { init: { kind: 'const', value: biasValue } });
  }
  override forward(x: tf.Tensor): tf.Tensor {
    return tf.add(tf.mul(x, this.scale.value), this.bias.value);
  }
}

/** timm's hgnet ConvBNAct: conv (timm's default padding) → BN (→ ReLU → learnable affine). Keys: conv, bn[, lab]. */
export class ConvBNAct extends Module {
  readonly conv: Conv2d;
  readonly bn: BatchNorm2d;
  readonly lab: LearnableAffineBlock | null;
  constructor(inChs: number, outChs: number, kernelSize: number, options: { stride?: number; groups?: number; useAct?: boolean; useLab?: boolean } = {}) {
    super();
    this.useAct = options.useAct ?? true;
    this.conv = this.addModule('conv', new Conv2d(inChs, outChs, kernelSize, { stride: options.stride ?? 1, groups: options.groups ?? 1, padding: '' }));
    this.bn = this.addModule('bn', new BatchNorm2d(outChs));
    this.lab = this.useAct && options.useLab ? this.addModule('lab', new LearnableAffineBlock()) : null;
  }
  readonly useAct: boolean;
  override forward(x: tf.Tensor): tf.Tensor {
    const y = this.conv.forwardBn(x, this.bn, this.useAct ? 'relu' : 'identity');
    return this.lab ? this.lab.forward(y) : y;
  }
}

/** timm's LightConvBNAct: 1×1 ConvBNAct without activation → depthwise k×k ConvBNAct. */
export class LightConvBNAct extends Module {
  readonly conv1: ConvBNAct;
  readonly conv2: ConvBNAct;
  constructor(inChs: number, outChs: number, kernelSize: number, useLab: boolean) {
    super();
    this.conv1 = this.addModule('conv1', new ConvBNAct(inChs, outChs, 1, { useAct: false, useLab }));
    this.conv2 = this.addModule('conv2', new ConvBNAct(outChs, outChs, kernelSize, { groups: outChs, useLab }));
  }
  override forward(x: tf.Tensor): tf.Tensor {
    return this.conv2.forward(this.conv1.forward(x));
  }
}

/** timm's EseModule: x · sigmoid(conv1×1(mean(x))). Key: conv. */
export class EseModule extends Module {
  readonly conv: Conv2d;
  constructor(chs: number) {
    super();
    this.conv = this.addModule('conv', new Conv2d(chs, chs, 1, { padding: 0, bias: true }));
  }
  override forward(x: tf.Tensor): tf.Tensor {
    return tf.mul(x, this.conv.forwardAct(spatialMean(x, true), 'sigmoid'));
  }
}

/** timm's StemV1: three 3×3 ConvBNActs (the first strided), then a 3×3/2 max pool. Keys: stem.{0,1,2}. */
export class StemV1 extends Module {
  readonly stem: Sequential;
  readonly pool: MaxPool2d;
  constructor(stemChs: number[]) {
    super();
    this.stem = this.addModule('stem', new Sequential(stemChs.slice(0, -1).map((c, i) => new ConvBNAct(c, stemChs[i + 1]!, 3, { stride: i === 0 ? 2 : 1 }))));
    this.pool = this.addModule('pool', new MaxPool2d(3, { stride: 2, padding: 1 }));
  }
  override forward(x: tf.Tensor): tf.Tensor {
    return this.pool.forward(this.stem.forward(x));
  }
}

/** Zero padding of one pixel on the bottom and right (timm's `F.pad(x, (0, 1, 0, 1))`). */
const padBottomRight = (x: tf.Tensor) => tf.pad(x as tf.Tensor4D, [[0, 0], [0, 1], [0, 1], [0, 0]]);

/**
 * timm's StemV2: a strided 3×3 conv, then two branches on its (bottom/right padded) output, a 2×2 max pool and two
 * 2×2 convs, concatenated → strided 3×3 conv → 1×1 conv.
 */
export class StemV2 extends Module {
  readonly stem1: ConvBNAct;
  readonly stem2a: ConvBNAct;
  readonly stem2b: ConvBNAct;
  readonly stem3: ConvBNAct;
  readonly stem4: ConvBNAct;
  constructor(inChs: number, midChs: number, outChs: number, useLab: boolean) {
    super();
    this.stem1 = this.addModule('stem1', new ConvBNAct(inChs, midChs, 3, { stride: 2, useLab }));
    this.stem2a = this.addModule('stem2a', new ConvBNAct(midChs, midChs >> 1, 2, { useLab }));
    this.stem2b = this.addModule('stem2b', new ConvBNAct(midChs >> 1, midChs, 2, { useLab }));
    this.stem3 = this.addModule('stem3', new ConvBNAct(midChs * 2, midChs, 3, { stride: 2, useLab }));
    this.stem4 = this.addModule('stem4', new ConvBNAct(midChs, outChs, 1, { useLab }));
  }
  override forward(x: tf.Tensor): tf.Tensor {
    x = padBottomRight(this.stem1.forward(x));
    const x2 = this.stem2b.forward(padBottomRight(this.stem2a.forward(x)));
    // MaxPool2d(2, stride 1, ceil_mode) on the padded map keeps its size minus one: a plain 2×2 'valid' window.
    const x1 = tf.maxPool(x as tf.Tensor4D, 2, 1, 'valid');
    return this.stem4.forward(this.stem3.forward(tf.concat([x1, x2], 3)));
  }
}

/** timm's HighPerfGpuBlock: layers whose outputs (and the input) are concatenated, aggregated, optionally residual. */
export class HighPerfGpuBlock extends Module {
  readonly layers: Sequential;
  readonly aggregation: Sequential;
  constructor(inChs: number, midChs: number, outChs: number, layerNum: number, kernelSize: number, readonly residual: boolean, lightBlock: boolean, useLab: boolean, agg: 'ese' | 'se') {
    super();
    this.layers = this.addModule('layers', new Sequential(Array.from({ length: layerNum }, (_, i) => {
      const c = i === 0 ? inChs : midChs;
      return lightBlock ? new LightConvBNAct(c, midChs, kernelSize, useLab) : new ConvBNAct(c, midChs, kernelSize, { useLab });
    })));
    const totalChs = inChs + layerNum * midChs;
    this.aggregation = this.addModule('aggregation', new Sequential(agg === 'se'
      ? [new ConvBNAct(totalChs, outChs >> 1, 1, { useLab }), new ConvBNAct(outChs >> 1, outChs, 1, { useLab })]
      : [new ConvBNAct(totalChs, outChs, 1, { useLab }), new EseModule(outChs)]));
  }
  override forward(x: tf.Tensor): tf.Tensor {
    const outs = [x];
    let y = x;
    for (const [, layer] of this.layers.namedChildren()) {
      y = layer.forward(y);
      outs.push(y);
    }
    y = this.aggregation.forward(tf.concat(outs, 3));
    return this.residual ? tf.add(y, x) : y;
  }
}

/** timm's HighPerfGpuStage: an optional strided depthwise ConvBNAct (no activation), then HG blocks. */
export class HighPerfGpuStage extends Module {
  readonly downsample: Module;
  readonly blocks: Sequential;
  constructor(inChs: number, midChs: number, outChs: number, blockNum: number, layerNum: number, downsample: boolean, lightBlock: boolean, kernelSize: number, useLab: boolean, agg: 'ese' | 'se') {
    super();
    this.downsample = this.addModule('downsample', downsample ? new ConvBNAct(inChs, inChs, 3, { stride: 2, groups: inChs, useAct: false, useLab }) : new Identity());
    this.blocks = this.addModule('blocks', new Sequential(Array.from({ length: blockNum }, (_, i) =>
      new HighPerfGpuBlock(i === 0 ? inChs : outChs, midChs, outChs, layerNum, kernelSize, i !== 0, lightBlock, useLab, agg))));
  }
  override forward(x: tf.Tensor): tf.Tensor {
    return this.blocks.forward(this.downsample.forward(x));
  }
}

/** timm's hgnet ClassifierHead: pool → 1×1 conv (no bias) → ReLU (→ affine) → flatten → fc. Keys: last_conv.0[, .2], fc. */
export class HgClassifierHead extends Module {
  globalPool: SelectAdaptivePool2d;
  readonly lastConv: Sequential | null;
  fc: Module;
  readonly numFeatures: number;
  constructor(inFeatures: number, numClasses: number, poolType: string, hiddenSize: number | null, useLab: boolean) {
    super();
    if (!poolType && numClasses !== 0) throw new Error('HGNet: the classifier must be removed (numClasses 0) when pooling is disabled');
    this.globalPool = this.addModule('global_pool', new SelectAdaptivePool2d({ poolType }));
    this.numFeatures = hiddenSize ?? inFeatures;
    this.lastConv = hiddenSize === null ? null : this.addModule('last_conv', new Sequential([
      new Conv2d(inFeatures, hiddenSize, 1, { padding: 0 }), new Activation('relu'), ...(useLab ? [new LearnableAffineBlock()] : []),
    ]));
    this.fc = this.addModule('fc', numClasses > 0 ? new Linear(this.numFeatures, numClasses) : new Identity());
  }
  /** timm's `reset`: a new fc; a new pool when one is given. */
  reset(numClasses: number, poolType?: string): void {
    if (poolType !== undefined) {
      if (!poolType && numClasses !== 0) throw new Error('HGNet: the classifier must be removed (numClasses 0) when pooling is disabled');
      this.globalPool = this.addModule('global_pool', new SelectAdaptivePool2d({ poolType }));
    }
    this.fc = this.addModule('fc', numClasses > 0 ? new Linear(this.numFeatures, numClasses) : new Identity());
  }
  forwardHead(x: tf.Tensor, preLogits: boolean): tf.Tensor {
    const pooled = !this.globalPool.isIdentity();
    if (pooled) x = tf.reshape(this.globalPool.forward(x), [x.shape[0]!, 1, 1, -1]);
    if (this.lastConv) {
      x = (this.lastConv.at(0) as Conv2d).forwardAct(x, 'relu');
      const lab = this.lastConv.length > 2 ? this.lastConv.at(2) : null;
      if (lab) x = lab.forward(x);
    }
    if (pooled) x = tf.reshape(x, [x.shape[0]!, -1]);
    return preLogits ? x : this.fc.forward(x);
  }
}

/** One stage row of timm's model_cfgs: in, mid, out channels, blocks, downsample, light block, kernel, layers. */
export type HgStageCfg = [inChs: number, midChs: number, outChs: number, blockNum: number, downsample: boolean, lightBlock: boolean, kernelSize: number, layerNum: number];

/** timm's `model_cfgs` entry (`cfg`). */
export interface HgNetCfg {
  stemType: 'v1' | 'v2';
  stemChs: number[];
  stage1: HgStageCfg;
  stage2: HgStageCfg;
  stage3: HgStageCfg;
  stage4: HgStageCfg;
}

export interface HighPerfGpuNetArgs {
  cfg: HgNetCfg;
  inChans?: number;
  numClasses?: number;
  globalPool?: string;
  headHiddenSize?: number | null;
  dropRate?: number;
  dropPathRate?: number;
  useLab?: boolean;
}

/** timm's HighPerfGpuNet (PP-HGNet V1 / V2). */
export class HighPerfGpuNet extends VisionModel {
  static readonly argNames: readonly (keyof HighPerfGpuNetArgs)[] = ['cfg', 'inChans', 'numClasses', 'globalPool', 'headHiddenSize', 'dropRate', 'dropPathRate', 'useLab'];
  numClasses: number;
  numFeatures: number;
  headHiddenSize: number;
  readonly inChans: number;
  readonly stages: Sequential;
  readonly head: HgClassifierHead;

  constructor(args: HighPerfGpuNetArgs) {
    super();
    const { cfg, inChans = 3, numClasses = 1000, globalPool = 'avg', headHiddenSize = 2048, useLab = false } = args;
    if (cfg.stemType !== 'v1' && cfg.stemType !== 'v2') throw new Error(`HGNet stemType must be 'v1' or 'v2' (got '${cfg.stemType}')`);
    this.numClasses = numClasses;
    this.inChans = inChans;
    this.addModule('stem', cfg.stemType === 'v2'
      ? new StemV2(inChans, cfg.stemChs[0]!, cfg.stemChs[1]!, useLab)
      : new StemV1([inChans, ...cfg.stemChs]));
    let stride = 4;
    let numFeatures = 0;
    const stages = [cfg.stage1, cfg.stage2, cfg.stage3, cfg.stage4].map((s, i) => {
      const [inChs, midChs, outChs, blockNum, downsample, lightBlock, kernelSize, layerNum] = s;
      numFeatures = outChs;
      if (downsample) stride *= 2;
      this.featureInfo.push({ numChs: outChs, reduction: stride, module: `stages.${i}` });
      return new HighPerfGpuStage(inChs, midChs, outChs, blockNum, layerNum, downsample, lightBlock, kernelSize, useLab, cfg.stemType === 'v1' ? 'ese' : 'se');
    });
    this.stages = this.addModule('stages', new Sequential(stages));
    this.numFeatures = numFeatures;
    this.head = this.addModule('head', new HgClassifierHead(numFeatures, numClasses, globalPool, headHiddenSize, useLab));
    this.headHiddenSize = this.head.numFeatures;
  }

  /** timm's `HighPerfGpuNet.group_matcher`: layer groups for layer-wise lr decay. */
  override groupMatcher(coarse = false): GroupMatcher {
    return { stem: '^stem', blocks: coarse ? String.raw`^stages\.(\d+)` : String.raw`^stages\.(\d+).blocks\.(\d+)` };
  }

  protected computeFeatures(x: tf.Tensor): tf.Tensor {
    return this.stages.forward(this.getChild('stem')!.forward(x));
  }

  protected override computeHead(x: tf.Tensor, preLogits: boolean): tf.Tensor {
    return this.head.forwardHead(x, preLogits);
  }

  override resetClassifier(numClasses: number, globalPool?: string): void {
    this.numClasses = numClasses;
    this.head.reset(numClasses, globalPool);
  }

  override getClassifier(): Module {
    return this.head.fc;
  }

  protected override computeIntermediates(x: tf.Tensor, o: ForwardIntermediatesOptions): IntermediatesResult {
    const { indices, stop } = this.takeIndices(this.stages.length, o);
    const intermediates: tf.Tensor[] = [];
    let y = this.getChild('stem')!.forward(x);
    this.stages.namedChildren().slice(0, stop).forEach(([, stage], i) => {
      y = stage.forward(y);
      if (indices.includes(i)) intermediates.push(y);
    });
    return { final: y, intermediates };
  }

  override pruneIntermediateLayers(indices: OutIndices = 1, _pruneNorm = false, pruneHead = true): number[] {
    const take = this.pruneLevels(this.stages.length, indices, false, (maxIndex) => {
      for (let i = maxIndex + 1; i < this.stages.length; i++) this.stages.addModule(String(i), new Identity());
    });
    // timm's prune resets the classifier keeping average pooling (the conv head stays).
    if (pruneHead) this.resetClassifier(0, 'avg');
    return take;
  }
}
