import * as tf from '@tensorflow/tfjs-core';
import { type FeatureOutput, Module, withPortableOps } from '@zoo/core';

/** One tensor as a traced kernel saw it. */
export interface TensorRef {
  id: number;
  shape: number[];
  dtype: tf.DataType;
}

/** One kernel dispatched by the traced forward (top level only: kernels that kernels call are theirs). */
export interface KernelCall {
  kernel: string;
  /** The innermost module whose `forward` was running (dotted path, '' for the model itself). */
  module: string;
  inputs: Record<string, TensorRef | null>;
  attrs: Record<string, unknown>;
  outputs: TensorRef[];
}

/** A value the forward read but did not compute from the input: a parameter, a derived weight, a constant. */
export interface ConstValue {
  data: tf.TypedArray;
  shape: number[];
  dtype: tf.DataType;
  /** The state-dict name when the tensor is a parameter's own. */
  param?: string;
}

export interface Trace {
  calls: KernelCall[];
  input: TensorRef;
  outputs: TensorRef[];
  /** Tensors computed from the input (by id). */
  dependent: Set<number>;
  /** Values of every kernel input that does not depend on the input (when `values` was asked for). */
  consts: Map<number, ConstValue>;
}

interface Patchable {
  runKernel(kernel: string, inputs: Record<string, tf.Tensor | null | undefined>, attrs?: Record<string, unknown>): tf.Tensor | tf.Tensor[];
}

function ref(t: tf.Tensor): TensorRef {
  return { id: t.id, shape: [...t.shape], dtype: t.dtype };
}

function copyAttr(v: unknown): unknown {
  if (Array.isArray(v)) return v.map(copyAttr);
  if (v instanceof tf.Tensor) return { tensor: ref(v) };
  if (ArrayBuffer.isView(v)) return Array.from(v as unknown as ArrayLike<number>);
  return v;
}

/** The outputs of a forward (a tensor, a list, or a dict in key order) as a flat list. */
export function flattenOutputs(out: unknown, who: string): tf.Tensor[] {
  if (out instanceof tf.Tensor) return [out];
  if (Array.isArray(out) && out.every((t) => t instanceof tf.Tensor)) return out;
  if (out && typeof out === 'object' && Object.values(out).every((t) => t instanceof tf.Tensor)) return Object.values(out) as tf.Tensor[];
  throw new Error(`${who}: forward returned something other than tensors (a tensor, a list or a dict of them)`);
}

/**
 * Runs `model.forward(x)` once in core's portable-ops mode (the plain tfjs op for every computation) and records
 * every kernel it dispatches through the tfjs engine, which module dispatched it, the tensors it read and made, and
 * (with `values`) the contents of every tensor it read that does not depend on `x`.
 */
export function traceForward(model: Module<tf.Tensor | FeatureOutput>, x: tf.Tensor, values: boolean): Trace {
  const engine = tf.engine() as unknown as Patchable;
  const original = engine.runKernel;
  const calls: KernelCall[] = [];
  const consts = new Map<number, ConstValue>();
  const dependent = new Set<number>([x.id]);
  const paramNames = new Map<number, string>();
  for (const [name, p] of model.namedParams()) if (p.dtype === 'float32') paramNames.set(p.value.id, name);
  const stack: string[] = [''];
  const restore: (() => void)[] = [];
  for (const [name, m] of model.namedModules()) {
    if (!name) continue;
    const own = Object.hasOwn(m, 'forward');
    const fwd = m.forward;
    m.forward = function (this: Module, ...args: unknown[]) {
      stack.push(name);
      try {
        return (fwd as (...a: unknown[]) => tf.Tensor).apply(this, args);
      } finally {
        stack.pop();
      }
    } as Module['forward'];
    restore.push(() => {
      if (own) m.forward = fwd;
      else delete (m as { forward?: unknown }).forward;
    });
  }
  // Weights a module derives once and keeps (folded batch norms, …) are constants: what computes them is not
  // recorded (the first forward computes them, later ones do not), their results are read as values.
  const proto = Module.prototype as unknown as { derived: (...a: unknown[]) => tf.Tensor[] };
  const derived = proto.derived;
  let depth = 0;
  proto.derived = function (this: Module, ...args: unknown[]) {
    depth++;
    try {
      return derived.apply(this, args);
    } finally {
      depth--;
    }
  };
  restore.push(() => {
    proto.derived = derived;
  });
  for (const [, p] of model.namedParams()) if (p.dtype === 'float32') void p.value;
  engine.runKernel = function (this: Patchable, kernel, inputs, attrs) {
    if (depth > 0) return original.call(this, kernel, inputs, attrs);
    const ins: Record<string, TensorRef | null> = {};
    let dep = false;
    for (const [k, t] of Object.entries(inputs)) {
      if (!t) {
        ins[k] = null;
        continue;
      }
      ins[k] = ref(t);
      if (dependent.has(t.id)) dep = true;
      else if (values && !consts.has(t.id)) {
        consts.set(t.id, { data: t.dataSync().slice(), shape: [...t.shape], dtype: t.dtype, param: paramNames.get(t.id) });
      }
    }
    depth++;
    let out: tf.Tensor | tf.Tensor[];
    try {
      out = original.call(this, kernel, inputs, attrs);
    } finally {
      depth--;
    }
    const outs = Array.isArray(out) ? out : [out];
    if (dep) for (const t of outs) dependent.add(t.id);
    const a: Record<string, unknown> = {};
    for (const [k, v] of Object.entries(attrs ?? {})) a[k] = copyAttr(v);
    calls.push({ kernel, module: stack[stack.length - 1]!, inputs: ins, attrs: a, outputs: outs.map(ref) });
    return out;
  };
  try {
    let outs: TensorRef[] = [];
    withPortableOps(() =>
      tf.tidy(() => {
        const y = flattenOutputs(model.forward(x), model.constructor.name);
        const refs = y.map(ref);
        if (values) {
          for (const t of y) {
            if (!dependent.has(t.id) && !consts.has(t.id)) consts.set(t.id, { data: t.dataSync().slice(), shape: [...t.shape], dtype: t.dtype });
          }
        }
        outs = refs;
      }),
    );
    return { calls, input: ref(x), outputs: outs, dependent, consts };
  } finally {
    engine.runKernel = original;
    for (const r of restore) r();
  }
}
