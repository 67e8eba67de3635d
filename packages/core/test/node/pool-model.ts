// A tiny registered model for the pool tests: imported by the test and by each pool worker (as a file URL).
import type * as tf from '@tensorflow/tfjs-core';
import { BatchNorm2d, Conv2d, registerModel, VisionModel } from '@zoo/core';

export class PoolTestNet extends VisionModel {
  numClasses = 5;
  numFeatures = 16;
  headHiddenSize = 16;
  inChans = 3;
  conv1 = this.addModule('conv1', new Conv2d(3, 8, 3, { stride: 2, padding: 1 }));
  bn1 = this.addModule('bn1', new BatchNorm2d(8));
  conv2 = this.addModule('conv2', new Conv2d(8, 16, 3, { stride: 2, padding: 1 }));
  bn2 = this.addModule('bn2', new BatchNorm2d(16));

  constructor() {
    super();
    this.setPoolClassifier('fc', 5);
  }

  protected computeFeatures(x: tf.Tensor): tf.Tensor {
    return this.conv2.forwardBn(this.conv1.forwardBn(x, this.bn1, 'relu'), this.bn2, 'relu');
  }
}

registerModel({
  name: 'pool_test_net',
  module: 'pool_test',
  create: () => {
    const m = new PoolTestNet();
    m.modelName = 'pool_test_net';
    m.pretrainedCfg = { inputSize: [3, 32, 32], mean: [0.5, 0.5, 0.5], std: [0.5, 0.5, 0.5], cropPct: 1, interpolation: 'bilinear' };
    return m;
  },
});
