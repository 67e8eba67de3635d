import * as tf from '@tensorflow/tfjs-core';
import { Module } from '../module.js';

/** Activation names as timm's `get_act_layer` knows them. */
export type ActName =
  | 'relu' | 'relu6' | 'silu' | 'swish' | 'hard_swish' | 'hardswish' | 'hard_sigmoid' | 'hardsigmoid'
  | 'sigmoid' | 'tanh' | 'gelu' | 'gelu_tanh' | 'quick_gelu' | 'leaky_relu' | 'elu' | 'mish' | 'identity' | 'linear';

/** The tfjs fused-op activation that computes the same thing, where there is one. */
export type FusedAct = 'linear' | 'relu' | 'relu6' | 'sigmoid' | 'elu' | 'leakyrelu';

const FUSABLE: Partial<Record<ActName, FusedAct>> = {
  relu: 'relu', relu6: 'relu6', sigmoid: 'sigmoid', elu: 'elu', leaky_relu: 'leakyrelu', identity: 'linear', linear: 'linear',
};

const SQRT1_2 = Math.SQRT1_2;

/** torch's default negative slope for leaky_relu (tfjs' fused ops default to 0.2, so it is always passed). */
export const LEAKY_SLOPE = 0.01;

const ACTS: Record<ActName, (x: tf.Tensor) => tf.Tensor> = {
  relu: (x) => tf.relu(x),
  relu6: (x) => tf.relu6(x),
  silu: (x) => tf.mul(x, tf.sigmoid(x)),
  swish: (x) => tf.mul(x, tf.sigmoid(x)),
  hard_swish: (x) => tf.mul(x, hardSigmoid(x)),
  hardswish: (x) => tf.mul(x, hardSigmoid(x)),
  hard_sigmoid: (x) => hardSigmoid(x),
  hardsigmoid: (x) => hardSigmoid(x),
  sigmoid: (x) => tf.sigmoid(x),
  tanh: (x) => tf.tanh(x),
  // Exact (erf) GELU, as torch.nn.GELU() by default.
  gelu: (x) => tf.mul(tf.mul(x, 0.5), tf.add(1, tf.erf(tf.mul(x, SQRT1_2)))),
  gelu_tanh: (x) =>
    tf.mul(tf.mul(x, 0.5), tf.add(1, tf.tanh(tf.mul(Math.sqrt(2 / Math.PI), tf.add(x, tf.mul(0.044715, tf.pow(x, 3))))))),
  quick_gelu: (x) => tf.mul(x, tf.sigmoid(tf.mul(x, 1.702))),
  leaky_relu: (x) => tf.leakyRelu(x, LEAKY_SLOPE),
  elu: (x) => tf.elu(x),
  mish: (x) => tf.mul(x, tf.tanh(tf.softplus(x))),
  identity: (x) => x,
  linear: (x) => x,
};

function hardSigmoid(x: tf.Tensor): tf.Tensor {
  return tf.div(tf.relu6(tf.add(x, 3)), 6);
}

export function isActName(name: string): name is ActName {
  return Object.hasOwn(ACTS, name);
}

/** Normalises timm's activation aliases; `null`/`undefined`/'' mean identity. */
export function resolveAct(name: string | null | undefined): ActName {
  if (!name) return 'identity';
  const n = name.toLowerCase();
  if (!isActName(n)) throw new Error(`Unknown activation '${name}'. Known: ${Object.keys(ACTS).join(', ')}`);
  return n;
}

/** Applies activation `name` to `x`. */
export function applyAct(name: ActName, x: tf.Tensor): tf.Tensor {
  return ACTS[name](x);
}

/** The tfjs fused activation equal to `name`, or undefined when it must run as a separate op. */
export function fusedAct(name: ActName): FusedAct | undefined {
  return FUSABLE[name];
}

/** An activation as a module (`nn.ReLU`, `nn.SiLU`, …): no parameters, so no state-dict keys. */
export class Activation extends Module {
  readonly act: ActName;
  constructor(name: string | null | undefined) {
    super();
    this.act = resolveAct(name);
  }
  override forward(x: tf.Tensor): tf.Tensor {
    return ACTS[this.act](x);
  }
}
