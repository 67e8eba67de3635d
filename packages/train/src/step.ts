import * as tf from '@tensorflow/tfjs-core';
import type { Module, Param, StateDict } from '@zoo/core';
import { registerGradients } from './gradients.js';
import type { LossFn } from './loss.js';
import { type Optimizer, trainableParams } from './optim.js';

/**
 * After a forward or loss that threw inside `tf.variableGrads`, tfjs 4.x leaves its tape with the tensors it saved for
 * the backward pass (kept clones); they are freed here, as tfjs frees them after a completed backward pass.
 */
function discardTape(): void {
  const state = tf.engine().state as unknown as { gradientDepth: number; activeTape: { saved: tf.Tensor[] }[] | null };
  if (state.gradientDepth !== 0 || !state.activeTape) return;
  for (const node of state.activeTape) for (const t of node.saved ?? []) t.dispose();
  state.activeTape = null;
}

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
    let recorded: { value: tf.Scalar; grads: tf.NamedTensorMap };
    try {
      recorded = tf.variableGrads(() => loss(model.forward(x), target), vars);
    } catch (e) {
      discardTape();
      throw e;
    }
    const { value, grads } = recorded;
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
