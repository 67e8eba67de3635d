/**
 * What EfficientNet and MobileNetV3 share around their block trunk: the stem, running the stages, collecting
 * forward_intermediates and cutting the trunk for prune_intermediate_layers. Internal to the package.
 */
import * as tf from '@tensorflow/tfjs-core';
import { convNormAct, type ForwardIntermediatesOptions, type IntermediatesResult, type Module, Sequential } from '@zoo/core';

/** A model with timm's trunk layout: `conv_stem`, `bn1`, `blocks` (a Sequential of stage Sequentials). */
export interface Trunk {
  readonly stageEnds: number[];
  getChild(name: string): Module | undefined;
  addModule<M extends Module | null>(name: string, module: M): M;
}

/** Runs the stages of `blocks` (up to `upTo`), calling `each` with the 1-based stage number and its output. */
export function runStages(blocks: Module, x: tf.Tensor, upTo?: number, each?: (i: number, y: tf.Tensor) => void): tf.Tensor {
  const stages = blocks.namedChildren();
  const n = upTo ?? stages.length;
  for (let i = 0; i < n; i++) {
    x = stages[i]![1].forward(x);
    each?.(i + 1, x);
  }
  return x;
}

/** conv_stem → bn1. */
export function runStem(model: Trunk, x: tf.Tensor): tf.Tensor {
  const conv = model.getChild('conv_stem')!;
  const bn1 = model.getChild('bn1')!;
  // One fused op, unless a feature hook sits on conv_stem or bn1 (core then runs them unfused, so the hook fires).
  return convNormAct(x, conv, bn1);
}

/**
 * timm's forward_intermediates over the trunk: the stem output (index 0) and the selected stage ends, running the
 * stages up to the last one taken when `stopEarly`. `take` is the model's `takeIndices` over its stage ends;
 * `finish(x, lastStage)` maps the last map run to the final one (EfficientNet applies its conv head there when the
 * whole trunk ran).
 */
export function trunkIntermediates(
  model: Trunk, x: tf.Tensor, o: ForwardIntermediatesOptions, take: { indices: number[]; maxIndex: number },
  finish: (x: tf.Tensor, lastStage: number) => tf.Tensor = (y) => y,
): IntermediatesResult {
  const stages = take.indices.map((i) => model.stageEnds[i]!);
  const maxStage = model.stageEnds[take.maxIndex]!;
  const intermediates: tf.Tensor[] = [];
  x = runStem(model, x);
  if (stages.includes(0)) intermediates.push(x);
  const blocks = model.getChild('blocks')!;
  let last = 0;
  x = runStages(blocks, x, o.stopEarly ? maxStage : blocks.namedChildren().length, (i, y) => {
    last = i;
    if (stages.includes(i)) intermediates.push(y);
  });
  x = finish(x, last);
  // The final map may also be an intermediate; a clone (same data) lets either be disposed alone.
  return { final: intermediates.includes(x) ? tf.clone(x) : x, intermediates };
}

/** Keeps the stages up to the end of feature level `maxIndex`; returns the last stage kept and how many there were. */
export function truncateTrunk(model: Trunk, maxIndex: number): { maxStage: number; numStages: number } {
  const maxStage = model.stageEnds[maxIndex]!;
  const stages = model.getChild('blocks')!.namedChildren().map(([, m]) => m);
  model.addModule('blocks', new Sequential(stages.slice(0, maxStage)));
  return { maxStage, numStages: stages.length };
}
