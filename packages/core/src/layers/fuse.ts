import type * as tf from '@tensorflow/tfjs-core';
import { hasForwardHooks, Identity, type Module, Sequential } from '../module.js';
import { type ActName, Activation, applyAct } from './activations.js';
import { Conv2d } from './conv.js';
import { BatchNorm2d, BatchNormAct2d } from './norm.js';

/**
 * conv → norm → activation, as fast as tfjs allows: a BatchNorm (or BatchNormAct) is folded into a Conv2d and a
 * fusable activation runs inside the conv op; any other norm runs as its own op. `act` is applied after the norm's
 * own activation (if it has one).
 */
export function convNormAct(x: tf.Tensor, conv: Module, norm: Module | null | undefined, act: ActName = 'identity'): tf.Tensor {
  // Only a plain Conv2d folds (a mixed or conditional conv runs as its own op, then the norm).
  if (!(conv instanceof Conv2d)) return applyAct(act, norm && !(norm instanceof Identity) ? norm.forward(conv.forward(x)) : conv.forward(x));
  if (norm instanceof BatchNormAct2d) {
    const y = conv.forwardBn(x, norm, norm.act);
    return act === 'identity' ? y : applyAct(act, y);
  }
  if (norm instanceof BatchNorm2d) return conv.forwardBn(x, norm, act);
  if (!norm || norm instanceof Identity) return conv.forwardAct(x, act);
  return applyAct(act, norm.forward(conv.forward(x)));
}

/**
 * Runs modules in order like nn.Sequential, fusing each Conv2d with a following BatchNorm2d and activation module
 * into one op. Results equal the plain sequence; a module with a feature hook still sees its own call.
 */
export function runFused(x: tf.Tensor, modules: readonly Module[]): tf.Tensor {
  for (let i = 0; i < modules.length; i++) {
    const m = modules[i]!;
    if (m instanceof Conv2d) {
      const next = modules[i + 1];
      if (next instanceof BatchNorm2d) {
        const after = modules[i + 2];
        if (!(next instanceof BatchNormAct2d) && after instanceof Activation && !hasForwardHooks(after)) {
          x = convNormAct(x, m, next, after.act);
          i += 2;
        } else {
          x = convNormAct(x, m, next);
          i += 1;
        }
        continue;
      }
    }
    x = m.forward(x);
  }
  return x;
}

/** An nn.Sequential whose forward is {@link runFused}: same keys and results, each conv → BatchNorm (→ act) one op. */
export class FusedSequential extends Sequential {
  override forward(x: tf.Tensor): tf.Tensor {
    return runFused(x, this.namedChildren().map(([, m]) => m));
  }
}
