/**
 * A tiny registered family for core's own factory tests (core tests never import family packages): two strided
 * convs with BatchNorm, a pooled classifier, feature levels, and `forwardIntermediates` that returns its last map
 * as `final` too — as ResNet does.
 */
import type * as tf from '@tensorflow/tfjs-core';
import { buildModelWithCfg, type CreateModelOptions } from '../../src/factory/build.js';
import { featureTakeIndices } from '../../src/features/feature-info.js';
import { Conv2d } from '../../src/layers/conv.js';
import { BatchNorm2d } from '../../src/layers/norm.js';
import { type ForwardIntermediatesOptions, type IntermediatesResult, VisionModel } from '../../src/model.js';
import type { Module } from '../../src/module.js';
import { registerModel } from '../../src/registry/registry.js';

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
  private readonly bns: BatchNorm2d[];
  constructor(a: TinyArgs) {
    super();
    this.inChans = a.inChans ?? 3;
    this.convs = [this.addModule('conv0', new Conv2d(this.inChans, 4, 3, { stride: 2, padding: 1 })), this.addModule('conv1', new Conv2d(4, 8, 3, { stride: 2, padding: 1 }))];
    this.bns = [this.addModule('bn0', new BatchNorm2d(4)), this.addModule('bn1', new BatchNorm2d(8))];
    this.featureInfo = [
      { numChs: 4, reduction: 2, module: 'bn0' },
      { numChs: 8, reduction: 4, module: 'bn1' },
    ];
    this.setPoolClassifier('fc', a.numClasses ?? 5, a.globalPool ?? 'avg');
  }
  protected computeFeatures(x: tf.Tensor): tf.Tensor {
    for (let i = 0; i < 2; i++) x = this.convs[i]!.forwardBn(x, this.bns[i]!, 'relu');
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
      x = this.convs[i]!.forwardBn(x, this.bns[i]!, 'relu');
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

const cfg = { inputSize: [3, 32, 32] as [number, number, number], numClasses: 5, mean: [0.5, 0.5, 0.5], std: [0.5, 0.5, 0.5], cropPct: 1, interpolation: 'bilinear' };
const defaultCfg = () => ({ tags: [''], cfgs: { '': { ...cfg } }, isPretrained: false });

registerModel({
  name: 'core_tiny_net',
  module: 'core_tiny',
  defaultCfg: defaultCfg(),
  create: (kw: CreateModelOptions) => buildModelWithCfg(TinyNet, 'core_tiny_net', kw, { featureCfg: { outIndices: [0, 1] } }),
});
