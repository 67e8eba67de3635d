/**
 * TinyNet: a three-stage CNN (conv3×3/s2 → BatchNorm → ReLU per stage), global pool and a linear classifier,
 * written only against @zoo/core's public API. State-dict keys: stages.N.conv.weight, stages.N.bn.*, fc.*.
 */
import type * as tf from '@tensorflow/tfjs-core';
import {
  BatchNorm2d, Conv2d, convNormAct, type ForwardIntermediatesOptions, Identity, type IntermediatesResult, Module,
  type OutIndices, Sequential, VisionModel,
} from '@zoo/core';

export interface TinyNetArgs {
  numClasses?: number;
  inChans?: number;
  globalPool?: string;
  widths?: number[];
}

/** One stage: conv 3×3 stride 2 → BatchNorm → ReLU (folded into one conv op at inference). */
export class TinyStage extends Module {
  readonly conv: Conv2d;
  readonly bn: BatchNorm2d;
  constructor(inChs: number, outChs: number) {
    super();
    this.conv = this.addModule('conv', new Conv2d(inChs, outChs, 3, { stride: 2, padding: 1 }));
    this.bn = this.addModule('bn', new BatchNorm2d(outChs));
  }
  override forward(x: tf.Tensor): tf.Tensor {
    return convNormAct(x, this.conv, this.bn, 'relu');
  }
}

export class TinyNet extends VisionModel {
  /** The options createModel may pass through (anything else is a clear error). */
  static readonly argNames: readonly (keyof TinyNetArgs)[] = ['numClasses', 'inChans', 'globalPool', 'widths'];
  numClasses: number;
  numFeatures: number;
  headHiddenSize: number;
  readonly inChans: number;
  readonly stages: Sequential;

  constructor(args: TinyNetArgs = {}) {
    super();
    const { numClasses = 10, inChans = 3, globalPool = 'avg', widths = [16, 32, 64] } = args;
    this.numClasses = numClasses;
    this.inChans = inChans;
    let prev = inChans;
    const stages = widths.map((w, i) => {
      const s = new TinyStage(prev, w);
      prev = w;
      this.featureInfo.push({ numChs: w, reduction: 2 ** (i + 1), module: `stages.${i}` });
      return s;
    });
    this.stages = this.addModule('stages', new Sequential(stages));
    this.numFeatures = this.headHiddenSize = prev;
    this.setPoolClassifier('fc', numClasses, globalPool);
  }

  protected computeFeatures(x: tf.Tensor): tf.Tensor {
    return this.stages.forward(x);
  }

  protected override computeIntermediates(x: tf.Tensor, o: ForwardIntermediatesOptions): IntermediatesResult {
    const { indices, stop } = this.takeIndices(this.stages.length, o);
    const intermediates: tf.Tensor[] = [];
    for (let i = 0; i < stop; i++) {
      x = this.stages.at(i).forward(x);
      if (indices.includes(i)) intermediates.push(x);
    }
    return { final: x, intermediates };
  }

  override pruneIntermediateLayers(indices: OutIndices = 1, _pruneNorm = false, pruneHead = true): number[] {
    return this.pruneLevels(this.stages.length, indices, pruneHead, (maxIndex) => {
      for (let i = maxIndex + 1; i < this.stages.length; i++) this.stages.addModule(String(i), new Identity());
    });
  }
}
