import * as tf from '@tensorflow/tfjs-core';
import type { Module, Param, StateDict } from '@zoo/core';
import { registerGradients } from './gradients.js';
import type { LossFn } from './loss.js';
import { type Optimizer, trainableParams } from './optim.js';

export interface TrainStepOptions {
  /** Also return every gradient, keyed and shaped as `stateDict()` (PyTorch layouts). Costs a read-back. */
  returnGrads?: boolean;
}

export interface TrainStepResult {
  /** The loss of this step's forward (before the update). */
  loss: number;
  grads?: StateDict;
}

/**
 * One step as timm's train loop makes it: forward (in the model's current mode: call `model.train()` first, as
 * timm's loop does), loss, gradients of every trainable parameter, optimizer update. Tensors created here are freed;
 * `x` and `labels` stay the caller's.
 */
export async function trainStep(
  model: Module,
  optimizer: Optimizer,
  x: tf.Tensor,
  labels: tf.Tensor | readonly number[],
  loss: LossFn,
  options: TrainStepOptions = {},
): Promise<TrainStepResult> {
  registerGradients();
  const params = trainableParams(model);
  if (!params.length) throw new Error('trainStep: the model has no trainable parameters (all frozen?)');
  const byVar = new Map<string, [string, Param]>();
  const vars = params.map(([name, p]) => {
    const v = p.variable();
    byVar.set(v.name, [name, p]);
    return v;
  });
  const target = labels instanceof tf.Tensor ? labels : tf.tensor1d(labels as number[], 'int32');
  try {
    const { value, grads } = tf.variableGrads(() => loss(model.forward(x), target), vars);
    const gradByParam = new Map<Param, tf.Tensor>();
    for (const [vname, g] of Object.entries(grads)) gradByParam.set(byVar.get(vname)![1], g);
    try {
      const lossValue = (await value.data())[0]!;
      let out: StateDict | undefined;
      if (options.returnGrads) {
        out = {};
        for (const [vname, g] of Object.entries(grads)) {
          const [name, p] = byVar.get(vname)!;
          out[name] = p.toTorchLayout(g);
        }
      }
      optimizer.step(gradByParam);
      return out ? { loss: lossValue, grads: out } : { loss: lossValue };
    } finally {
      value.dispose();
      for (const g of Object.values(grads)) g.dispose();
    }
  } finally {
    if (target !== labels) target.dispose();
  }
}
