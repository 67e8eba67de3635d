import * as tf from '@tensorflow/tfjs-core';
import { sliceTensor, splitTensor } from '@zoo/core';

/**
 * Gradients of the kernels @zoo's layers run while training. `@tensorflow/tfjs-core`'s Node bundle registers no
 * gradient at all (the `@tensorflow/tfjs` umbrella package adds them; its extension-less ESM files do not load in
 * Node), so without these `tf.grads` fails on the first op. Each one is registered only where no gradient is
 * registered yet: an app that imports tfjs' own (`@tensorflow/tfjs`, or `register_all_gradients` in a bundle) keeps
 * tfjs'. Math per kernel, with `dy` the gradient of the output.
 */
type Grads = Record<string, () => tf.Tensor>;
type GradFunc = (dy: tf.Tensor | tf.Tensor[], saved: tf.Tensor[], attrs: tf.NamedAttrMap) => Grads;

/** Sums a broadcast gradient back to the input's shape. */
function unbroadcast(dy: tf.Tensor, shape: number[]): tf.Tensor {
  const axes = tf.broadcast_util.getReductionAxes(shape, dy.shape);
  const summed = axes.length ? tf.sum(dy, axes) : dy;
  return tf.reshape(summed, shape);
}

const one = (dy: tf.Tensor | tf.Tensor[]) => dy as tf.Tensor;

const GRADIENTS: { kernelName: string; inputsToSave?: string[]; outputsToSave?: boolean[]; saveAllInputs?: boolean; gradFunc: GradFunc }[] = [
  {
    kernelName: 'Add',
    inputsToSave: ['a', 'b'],
    gradFunc: (dy, [a, b]) => ({ a: () => unbroadcast(one(dy), a!.shape), b: () => unbroadcast(one(dy), b!.shape) }),
  },
  {
    kernelName: 'Sub',
    inputsToSave: ['a', 'b'],
    gradFunc: (dy, [a, b]) => ({ a: () => unbroadcast(one(dy), a!.shape), b: () => tf.neg(unbroadcast(one(dy), b!.shape)) }),
  },
  {
    kernelName: 'Multiply',
    inputsToSave: ['a', 'b'],
    gradFunc: (dy, [a, b]) => ({
      a: () => unbroadcast(tf.mul(one(dy), tf.cast(b!, 'float32')), a!.shape),
      b: () => unbroadcast(tf.mul(one(dy), tf.cast(a!, 'float32')), b!.shape),
    }),
  },
  {
    kernelName: 'RealDiv',
    inputsToSave: ['a', 'b'],
    gradFunc: (dy, [a, b]) => ({
      a: () => unbroadcast(tf.div(one(dy), b!), a!.shape),
      b: () => unbroadcast(tf.neg(tf.div(tf.mul(one(dy), a!), tf.square(b!))), b!.shape),
    }),
  },
  {
    kernelName: 'AddN',
    saveAllInputs: true,
    gradFunc: (dy, saved) => Object.fromEntries(saved.map((_, i) => [String(i), () => tf.clone(one(dy))])),
  },
  { kernelName: 'Neg', gradFunc: (dy) => ({ x: () => tf.neg(one(dy)) }) },
  { kernelName: 'Identity', gradFunc: (dy) => ({ x: () => tf.clone(one(dy)) }) },
  { kernelName: 'Cast', inputsToSave: ['x'], gradFunc: (dy) => ({ x: () => tf.clone(one(dy)) }) },
  { kernelName: 'Square', inputsToSave: ['x'], gradFunc: (dy, [x]) => ({ x: () => tf.mul(one(dy), tf.mul(x!, 2)) }) },
  { kernelName: 'Sqrt', outputsToSave: [true], gradFunc: (dy, [y]) => ({ x: () => tf.div(one(dy), tf.mul(y!, 2)) }) },
  // d/dx x^-1/2 = -1/2 · x^-3/2
  { kernelName: 'Rsqrt', inputsToSave: ['x'], gradFunc: (dy, [x]) => ({ x: () => tf.mul(one(dy), tf.mul(tf.pow(x!, -1.5), -0.5)) }) },
  { kernelName: 'Exp', outputsToSave: [true], gradFunc: (dy, [y]) => ({ x: () => tf.mul(one(dy), y!) }) },
  { kernelName: 'Log', inputsToSave: ['x'], gradFunc: (dy, [x]) => ({ x: () => tf.div(one(dy), x!) }) },
  { kernelName: 'Relu', inputsToSave: ['x'], gradFunc: (dy, [x]) => ({ x: () => tf.mul(one(dy), tf.step(x!)) }) },
  { kernelName: 'Sigmoid', outputsToSave: [true], gradFunc: (dy, [y]) => ({ x: () => tf.mul(one(dy), tf.mul(y!, tf.sub(1, y!))) }) },
  { kernelName: 'Tanh', outputsToSave: [true], gradFunc: (dy, [y]) => ({ x: () => tf.mul(one(dy), tf.sub(1, tf.square(y!))) }) },
  // erf'(x) = 2/√π · exp(-x²)
  { kernelName: 'Erf', inputsToSave: ['x'], gradFunc: (dy, [x]) => ({ x: () => tf.mul(one(dy), tf.mul(tf.exp(tf.neg(tf.square(x!))), 2 / Math.sqrt(Math.PI))) }) },
  {
    kernelName: 'Softmax',
    outputsToSave: [true],
    gradFunc: (dy, [y], attrs) => {
      const dim = (attrs as { dim: number }).dim;
      return { logits: () => tf.mul(y!, tf.sub(one(dy), tf.sum(tf.mul(one(dy), y!), dim, true))) };
    },
  },
  {
    kernelName: 'BatchMatMul',
    inputsToSave: ['a', 'b'],
    gradFunc: (dy, [a, b], attrs) => {
      const { transposeA, transposeB } = attrs as { transposeA: boolean; transposeB: boolean };
      const g = one(dy);
      // y = op(a)·op(b): d op(a) = g·op(b)ᵀ, d op(b) = op(a)ᵀ·g. Operands are transposed explicitly: tfjs-wasm runs
      // a product with a transposed operand on a path ≈ 10× slower than a transpose and a plain product.
      const t = (x: tf.Tensor) => tf.transpose(x, [...x.shape.keys()].map((i, _, all) => (i < all.length - 2 ? i : i === all.length - 2 ? i + 1 : i - 1)));
      const mm = (x: tf.Tensor, y: tf.Tensor) => tf.matMul(x, y);
      const opA = () => (transposeA ? t(a!) : a!);
      const opB = () => (transposeB ? t(b!) : b!);
      return {
        a: () => {
          const dOpA = mm(g, t(opB()));
          return unbroadcast(transposeA ? t(dOpA) : dOpA, a!.shape);
        },
        b: () => {
          const dOpB = mm(t(opA()), g);
          return unbroadcast(transposeB ? t(dOpB) : dOpB, b!.shape);
        },
      };
    },
  },
  { kernelName: 'Reshape', inputsToSave: ['x'], gradFunc: (dy, [x]) => ({ x: () => tf.reshape(one(dy), x!.shape) }) },
  {
    kernelName: 'Transpose',
    gradFunc: (dy, _s, attrs) => {
      const perm = (attrs as { perm: number[] }).perm;
      const inverse = perm.map((_, i) => perm.indexOf(i));
      return { x: () => tf.transpose(one(dy), inverse) };
    },
  },
  {
    kernelName: 'Slice',
    inputsToSave: ['x'],
    gradFunc: (dy, [x], attrs) => {
      const { begin, size } = attrs as { begin: number[]; size: number[] };
      return { x: () => tf.pad(one(dy), x!.shape.map((d, i) => [begin[i]!, d - begin[i]! - size[i]!] as [number, number])) };
    },
  },
  {
    kernelName: 'PadV2',
    inputsToSave: ['x'],
    gradFunc: (dy, [x], attrs) => {
      const paddings = (attrs as { paddings: [number, number][] }).paddings;
      return { x: () => sliceTensor(one(dy), paddings.map((p) => p[0]), x!.shape) };
    },
  },
  {
    kernelName: 'Concat',
    saveAllInputs: true,
    gradFunc: (dy, saved, attrs) => {
      const axis = tf.util.parseAxisParam((attrs as { axis: number }).axis, saved[0]!.shape)[0]!;
      const parts = splitTensor(one(dy), saved.map((t) => t.shape[axis]!), axis);
      return Object.fromEntries(parts.map((p, i) => [String(i), () => p]));
    },
  },
  {
    kernelName: 'SplitV',
    gradFunc: (dy, _s, attrs) => ({ x: () => tf.concat(dy as tf.Tensor[], (attrs as { axis: number }).axis) }),
  },
  {
    kernelName: 'Unpack',
    gradFunc: (dy, _s, attrs) => ({ value: () => tf.stack(dy as tf.Tensor[], (attrs as { axis: number }).axis) }),
  },
  {
    kernelName: 'Pack',
    saveAllInputs: true,
    gradFunc: (dy, saved, attrs) => {
      const parts = tf.unstack(one(dy), (attrs as { axis: number }).axis);
      return Object.fromEntries(saved.map((_, i) => [String(i), () => parts[i]!]));
    },
  },
  {
    kernelName: 'Tile',
    inputsToSave: ['x'],
    gradFunc: (dy, [x], attrs) => {
      const reps = (attrs as { reps: number[] }).reps;
      // dy seen as [r0, d0, r1, d1, …], summed over the repeat axes.
      const split = x!.shape.flatMap((d, i) => [reps[i]!, d]);
      return { x: () => tf.sum(tf.reshape(one(dy), split), reps.map((_, i) => 2 * i)) };
    },
  },
  {
    kernelName: 'Sum',
    inputsToSave: ['x'],
    gradFunc: (dy, [x], attrs) => {
      const axes = tf.util.parseAxisParam((attrs as { axis: number | number[] }).axis, x!.shape);
      const kept = x!.shape.map((d, i) => (axes.includes(i) ? 1 : d));
      return { x: () => tf.mul(tf.reshape(one(dy), kept), tf.ones(x!.shape)) };
    },
  },
  {
    kernelName: 'Mean',
    inputsToSave: ['x'],
    gradFunc: (dy, [x], attrs) => {
      const axes = tf.util.parseAxisParam((attrs as { axis: number | number[] }).axis, x!.shape);
      const kept = x!.shape.map((d, i) => (axes.includes(i) ? 1 : d));
      const n = axes.reduce((p, a) => p * x!.shape[a]!, 1);
      return { x: () => tf.mul(tf.reshape(tf.div(one(dy), n), kept), tf.ones(x!.shape)) };
    },
  },
  {
    kernelName: 'MaxPool',
    inputsToSave: ['x'],
    outputsToSave: [true],
    gradFunc: (dy, [x, y], attrs) => ({
      x: () => tf.engine().runKernel('MaxPoolGrad', { dy: one(dy), input: x!, output: y! }, attrs) as tf.Tensor,
    }),
  },
  {
    kernelName: 'AvgPool',
    inputsToSave: ['x'],
    gradFunc: (dy, [x], attrs) => ({ x: () => tf.engine().runKernel('AvgPoolGrad', { dy: one(dy), input: x! }, attrs) as tf.Tensor }),
  },
];

let registered = false;

/** Registers the gradients above where none is registered yet (once; called by `trainStep`). */
export function registerGradients(): void {
  if (registered) return;
  registered = true;
  for (const g of GRADIENTS) if (!tf.getGradient(g.kernelName)) tf.registerGradient(g as unknown as tf.GradConfig);
}
