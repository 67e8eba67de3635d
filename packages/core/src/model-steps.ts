// Core-internal access to a VisionModel's protected steps, for the feature wrappers, which run them inside their
// own tidy scope (so that hooked tensors survive). Filled in by VisionModel's static block; not exported from the
// package root.
import type * as tf from '@tensorflow/tfjs-core';
import type { ForwardIntermediatesOptions, IntermediatesResult, VisionModel } from './model.js';

export interface ModelSteps {
  features(m: VisionModel, x: tf.Tensor): tf.Tensor;
  head(m: VisionModel, x: tf.Tensor, preLogits: boolean): tf.Tensor;
  intermediates(m: VisionModel, x: tf.Tensor, o: ForwardIntermediatesOptions): IntermediatesResult;
}

let steps: ModelSteps | null = null;

export function setModelSteps(s: ModelSteps): void {
  steps = s;
}

export function modelSteps(): ModelSteps {
  if (!steps) throw new Error('VisionModel is not loaded');
  return steps;
}
