// A tiny CNN registered under module 'zoo_testing_toy', written against @zoo/core's public API, for the kit's own tests.
import type * as tf from '@tensorflow/tfjs-core';
import * as tfc from '@tensorflow/tfjs-core';
import {
  BatchNorm2d, buildModelWithCfg, Conv2d, convNormAct, type CreateModelOptions, featureTakeIndices,
  type ForwardIntermediatesOptions, generateDefaultCfgs, type IntermediatesResult, registerModel, VisionModel,
} from '@zoo/core';

export interface ToyArgs {
  numClasses?: number;
  inChans?: number;
  globalPool?: string;
  widths?: number[];
  /** Deliberate bugs, to show the kit catches them. */
  bug?: 'numFeatures' | 'featureInfo' | 'leak' | 'intermediatesFinal' | 'deadIntermediate';
}

export class Toy extends VisionModel {
  static readonly argNames = ['numClasses', 'inChans', 'globalPool', 'widths', 'bug'];
  numClasses: number;
  numFeatures: number;
  headHiddenSize: number;
  readonly inChans: number;
  private readonly convs: Conv2d[] = [];
  private readonly bns: BatchNorm2d[] = [];
  private readonly bug: ToyArgs['bug'];
  constructor(a: ToyArgs) {
    super();
    const widths = a.widths ?? [8, 16, 24];
    this.inChans = a.inChans ?? 3;
    this.numClasses = a.numClasses ?? 10;
    this.bug = a.bug;
    let prev = this.inChans;
    widths.forEach((w, i) => {
      this.convs.push(this.addModule(`conv${i}`, new Conv2d(prev, w, 3, { stride: 2, padding: 1 })));
      this.bns.push(this.addModule(`bn${i}`, new BatchNorm2d(w)));
      this.featureInfo.push({ numChs: a.bug === 'featureInfo' ? w + 1 : w, reduction: 2 ** (i + 1), module: `bn${i}` });
      prev = w;
    });
    this.numFeatures = this.headHiddenSize = prev;
    this.setPoolClassifier('fc', this.numClasses, a.globalPool ?? 'avg');
    if (a.bug === 'numFeatures') this.numFeatures = prev + 1;
  }
  protected computeFeatures(x: tf.Tensor): tf.Tensor {
    this.convs.forEach((c, i) => {
      x = convNormAct(x, c, this.bns[i], 'relu');
    });
    return x;
  }
  protected override computeIntermediates(x: tf.Tensor, o: ForwardIntermediatesOptions): IntermediatesResult {
    const { indices } = featureTakeIndices(this.convs.length, o.indices);
    const intermediates: tf.Tensor[] = [];
    this.convs.forEach((c, i) => {
      x = convNormAct(x, c, this.bns[i], 'relu');
      if (indices.includes(i)) intermediates.push(x);
    });
    if (this.bug === 'deadIntermediate' && intermediates.length > 1) intermediates[0]!.dispose();
    return { final: this.bug === 'intermediatesFinal' ? tfc.mul(x, 2) : x, intermediates };
  }
  override forward(x: tf.Tensor): tf.Tensor {
    const y = super.forward(x);
    if (this.bug === 'leak') y.clone().clone();
    return y;
  }
}

const cfgs = generateDefaultCfgs({
  'zoo_toy.untrained': { url: '', numClasses: 10, inputSize: [3, 32, 32], poolSize: [4, 4], firstConv: 'conv0', classifier: 'fc' },
});

export function registerToys(): void {
  for (const [name, args] of [
    ['zoo_toy', {}],
    ['zoo_toy_bad_features', { bug: 'numFeatures' }],
    ['zoo_toy_bad_info', { bug: 'featureInfo' }],
    ['zoo_toy_leaky', { bug: 'leak' }],
    ['zoo_toy_bad_final', { bug: 'intermediatesFinal' }],
    ['zoo_toy_bad_dead', { bug: 'deadIntermediate' }],
    ['zoo_toy_huge', { widths: [256, 512, 2048] }],
  ] as [string, ToyArgs][]) {
    registerModel({
      name,
      module: 'zoo_testing_toy',
      defaultCfg: cfgs.zoo_toy ? { ...cfgs.zoo_toy } : undefined,
      create: (kw: CreateModelOptions) => buildModelWithCfg(Toy, name, { ...args, ...kw }, { featureCfg: { outIndices: [0, 1, 2] } }),
    });
  }
}
