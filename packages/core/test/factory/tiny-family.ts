/**
 * A tiny registered family for core's own factory tests (core tests never import family packages): two strided
 * convs with BatchNorm, a pooled classifier, feature levels, and `forwardIntermediates` that returns its last map
 * as `final` too — as ResNet does.
 */
import type * as tf from '@tensorflow/tfjs-core';
import { buildModelWithCfg, type CreateModelOptions } from '../../src/factory/build.js';
import { featureTakeIndices } from '../../src/features/feature-info.js';
import { Conv2d } from '../../src/layers/conv.js';
import { BatchNormAct2d } from '../../src/layers/norm.js';
import { type ForwardIntermediatesOptions, type IntermediatesResult, VisionModel } from '../../src/model.js';
import type { Module } from '../../src/module.js';
import { generateDefaultCfgs, registerModel } from '../../src/registry/registry.js';

export interface TinyArgs {
  numClasses?: number;
  inChans?: number;
  globalPool?: string;
  dropRate?: number;
  imgSize?: number | [number, number];
}

export class TinyNet extends VisionModel {
  static readonly argNames = ['numClasses', 'inChans', 'globalPool', 'dropRate', 'imgSize'];
  numClasses = 0;
  numFeatures = 8;
  headHiddenSize = 8;
  readonly inChans: number;
  private readonly convs: Conv2d[];
  private readonly bns: BatchNormAct2d[];
  constructor(a: TinyArgs) {
    super();
    this.inChans = a.inChans ?? 3;
    // Children in forward order (conv0, bn0, conv1, bn1), so the 'list' feature wrapper can run them in turn.
    this.convs = [];
    this.bns = [];
    for (const [i, [cin, cout]] of [[this.inChans, 4], [4, 8]].entries()) {
      this.convs.push(this.addModule(`conv${i}`, new Conv2d(cin!, cout!, 3, { stride: 2, padding: 1 })));
      this.bns.push(this.addModule(`bn${i}`, new BatchNormAct2d(cout!, { act: 'relu' })));
    }
    this.featureInfo = [
      { numChs: 4, reduction: 2, module: 'bn0' },
      { numChs: 8, reduction: 4, module: 'bn1' },
    ];
    this.setPoolClassifier('fc', a.numClasses ?? 5, a.globalPool ?? 'avg');
  }
  protected computeFeatures(x: tf.Tensor): tf.Tensor {
    for (let i = 0; i < 2; i++) x = this.convs[i]!.forwardBn(x, this.bns[i]!, this.bns[i]!.act);
    return x;
  }
  protected override computeHead(x: tf.Tensor, preLogits: boolean): tf.Tensor {
    const pooled = this.getChild('global_pool')!.forward(x);
    return preLogits ? pooled : this.getChild('fc')!.forward(pooled);
  }
  protected override computeIntermediates(x: tf.Tensor, o: ForwardIntermediatesOptions): IntermediatesResult {
    const { indices } = featureTakeIndices(2, o.indices);
    const intermediates: tf.Tensor[] = [];
    for (let i = 0; i < 2; i++) {
      x = this.convs[i]!.forwardBn(x, this.bns[i]!, this.bns[i]!.act);
      if (indices.includes(i)) intermediates.push(x);
    }
    return { final: x, intermediates };
  }
  override resetClassifier(numClasses: number, globalPool = 'avg'): void {
    this.setPoolClassifier('fc', numClasses, globalPool);
  }
  override getClassifier(): Module {
    return this.getChild('fc')!;
  }
}

/**
 * One pretrained tag with a hub id (`timm/core_tiny_net.a1_in1k`), so the hub tests can serve its weights; the
 * weights themselves are test/fixtures/tiny/tiny_net.pth, written by PyTorch (make_tiny.py).
 */
export const TINY_DEFAULT_CFGS = generateDefaultCfgs({
  'core_tiny_net.a1_in1k': {
    hfHubId: 'timm/', inputSize: [3, 32, 32], poolSize: [8, 8], numClasses: 5, mean: [0.5, 0.5, 0.5], std: [0.5, 0.5, 0.5],
    cropPct: 1, interpolation: 'bilinear', firstConv: 'conv0', classifier: 'fc',
  },
});

registerModel({
  name: 'core_tiny_net',
  module: 'core_tiny',
  defaultCfg: TINY_DEFAULT_CFGS.core_tiny_net!,
  create: (kw: CreateModelOptions) => buildModelWithCfg(TinyNet, 'core_tiny_net', kw, { featureCfg: { outIndices: [0, 1] } }),
});
