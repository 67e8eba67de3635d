import * as tf from '@tensorflow/tfjs-core';

/**
 * Portable-ops mode: while it is on, core's layers run the plain tfjs op for every computation that has a faster
 * backend-specific route on wasm (per-head attention products, heap-to-heap slices, whole-map pooling for spatial
 * means, 3×3 tiles for large depthwise kernels), so one forward dispatches the same kernels as on any other backend.
 * Results are the same; it is slower on wasm. Tools that record the kernels a forward dispatches (`@zoo/onnx`'s
 * exporter) turn it on for that forward. The flag lives on a global symbol, so two copies of core share it.
 */
const KEY = Symbol.for('@zoo/core.portableOps');

type Holder = { [KEY]?: number };

/** Whether portable-ops mode is on (see {@link withPortableOps}). */
export function portableOps(): boolean {
  return ((globalThis as Holder)[KEY] ?? 0) > 0;
}

/** Runs `fn` in portable-ops mode (nests; restored when `fn` returns or throws). */
export function withPortableOps<T>(fn: () => T): T {
  const g = globalThis as Holder;
  g[KEY] = (g[KEY] ?? 0) + 1;
  try {
    return fn();
  } finally {
    g[KEY] = g[KEY]! - 1;
  }
}

/**
 * Whether tfjs is recording operations for gradients now (inside `tf.grads`, `tf.variableGrads`, `optimizer.minimize`,
 * or `@zoo/train`'s `trainStep`). Core's layers then run only ops that have gradients on every backend: no
 * heap-to-heap slices, whole-map pools or fused convs, and no cached derived tensors (folded BatchNorm, split group
 * kernels), which would cut the path from the loss back to the parameters.
 */
export function recordingGradients(): boolean {
  // Engine state of tfjs-core 4.x: `gradientDepth` counts the open gradient scopes.
  return ((tf.engine().state as unknown as { gradientDepth?: number }).gradientDepth ?? 0) > 0;
}

/** Whether core's wasm-only fast routes apply now: the wasm backend, outside portable-ops mode and gradient recording. */
export function wasmFastPaths(): boolean {
  return tf.getBackend() === 'wasm' && !portableOps() && !recordingGradients();
}
