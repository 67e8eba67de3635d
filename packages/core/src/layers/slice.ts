import * as tf from '@tensorflow/tfjs-core';
import { portableOps } from './portable.js';

/**
 * Slicing without tfjs-wasm's hidden copy. tfjs-backend-wasm 4.x's `Slice` kernel (and `Unpack` and `Split`, which
 * call it once per output) first copies the whole input out of the wasm heap into a fresh JS `ArrayBuffer`, however
 * small the slice: splitting a ViT-S block's `qkv` into 18 head slices copies ≈16 MB per forward, costs ≈0.35 ms per
 * slice and keeps V8's garbage collector busy (which then competes with the other workers of a pool). On wasm these
 * helpers run core's own kernel, which copies only the sliced elements heap to heap; on every other backend (and for
 * strings) they are `tf.slice` / `tf.split` / `tf.unstack`. Results are identical.
 */

const KERNEL = 'ZooSliceNoCopy';

/** The parts of tfjs-backend-wasm's `BackendWasm` the kernel uses (public methods of that class). */
interface WasmHeapBackend {
  makeOutput(shape: number[], dtype: tf.DataType): tf.TensorInfo;
  typedArrayFromHeap(t: tf.TensorInfo): tf.TypedArray;
}

function sliceNoCopy({ inputs, backend, attrs }: { inputs: tf.NamedTensorInfoMap; backend: unknown; attrs?: tf.NamedAttrMap }): tf.TensorInfo {
  const x = inputs.x!;
  const b = backend as WasmHeapBackend;
  const begin = (attrs as { begin: number[] }).begin;
  const size = (attrs as { size: number[] }).size;
  const out = b.makeOutput(size, x.dtype);
  const total = size.reduce((p, s) => p * s, 1);
  if (total === 0) return out;
  // Views taken after makeOutput: an allocation may grow (and so detach) the heap.
  const src = b.typedArrayFromHeap(x);
  const dst = b.typedArrayFromHeap(out);
  const shape = x.shape;
  const rank = shape.length;
  // The innermost axis from which the slice is one contiguous run of the input.
  let k = rank - 1;
  while (k > 0 && begin[k] === 0 && size[k] === shape[k]) k--;
  const strides = new Array<number>(rank);
  strides[rank - 1] = 1;
  for (let i = rank - 2; i >= 0; i--) strides[i] = strides[i + 1]! * shape[i + 1]!;
  const run = size[k]! * strides[k]!;
  const runs = total / run;
  const idx = new Array<number>(k).fill(0);
  let outOffset = 0;
  for (let r = 0; r < runs; r++) {
    let offset = begin[k]! * strides[k]!;
    for (let i = 0; i < k; i++) offset += (begin[i]! + idx[i]!) * strides[i]!;
    if (run >= 16) dst.set(src.subarray(offset, offset + run), outOffset);
    else for (let j = 0; j < run; j++) dst[outOffset + j] = src[offset + j]!;
    outOffset += run;
    for (let i = k - 1; i >= 0; i--) {
      if (++idx[i]! < size[i]!) break;
      idx[i] = 0;
    }
  }
  return out;
}

/** The kernel's gradient, as `Slice`'s: the output gradient padded back to the input's shape with zeros. */
const sliceGradient: tf.GradConfig = {
  kernelName: KERNEL,
  inputsToSave: ['x'],
  gradFunc: (dy, saved, attrs) => {
    const x = saved[0]!;
    const { begin, size } = attrs as unknown as { begin: number[]; size: number[] };
    return { x: () => tf.pad(dy as tf.Tensor, x.shape.map((d, i) => [begin[i]!, d - begin[i]! - size[i]!] as [number, number])) };
  },
};

function useNoCopy(x: tf.Tensor): boolean {
  // Also while gradients are recorded (training's im2col convs slice a lot): the kernel has a gradient.
  if (x.dtype === 'string' || tf.getBackend() !== 'wasm' || portableOps()) return false;
  if (!tf.getKernel(KERNEL, 'wasm')) tf.registerKernel({ kernelName: KERNEL, backendName: 'wasm', kernelFunc: sliceNoCopy as never });
  if (!tf.getGradient(KERNEL)) tf.registerGradient(sliceGradient);
  return true;
}

/** `tf.slice(x, begin, size)` (a size of -1 runs to the end of that axis), without tfjs-wasm's copy of the input. */
export function sliceTensor<T extends tf.Tensor>(x: T, begin: number | number[], size?: number | number[]): T {
  if (!useNoCopy(x)) return tf.slice(x, begin, size);
  const [begin_, size_] = tf.slice_util.parseSliceParams(x, begin, size);
  for (let i = 0; i < x.rank; i++) {
    if (begin_[i]! < 0 || size_[i]! < 0 || begin_[i]! + size_[i]! > x.shape[i]!) {
      throw new Error(`sliceTensor: begin [${begin_}] + size [${size_}] is outside shape [${x.shape}]`);
    }
  }
  return tf.engine().runKernel(KERNEL, { x }, { begin: begin_, size: size_ }) as T;
}

/** `tf.split(x, numOrSizeSplits, axis)` (one size may be -1), without tfjs-wasm's copy of the input per part. */
export function splitTensor<T extends tf.Tensor>(x: T, numOrSizeSplits: number | number[], axis = 0): T[] {
  if (!useNoCopy(x)) return tf.split(x, numOrSizeSplits, axis);
  const ax = axis < 0 ? axis + x.rank : axis;
  const dim = x.shape[ax]!;
  let sizes: number[];
  if (typeof numOrSizeSplits === 'number') {
    if (dim % numOrSizeSplits) throw new Error(`splitTensor: axis ${axis} (size ${dim}) does not divide into ${numOrSizeSplits} parts`);
    sizes = new Array<number>(numOrSizeSplits).fill(dim / numOrSizeSplits);
  } else {
    const known = numOrSizeSplits.reduce((p, s) => (s === -1 ? p : p + s), 0);
    sizes = numOrSizeSplits.map((s) => (s === -1 ? dim - known : s));
    if (sizes.reduce((p, s) => p + s, 0) !== dim) throw new Error(`splitTensor: sizes [${numOrSizeSplits}] do not add up to axis ${axis} (size ${dim})`);
  }
  const begin = new Array<number>(x.rank).fill(0);
  const size = [...x.shape];
  return sizes.map((s) => {
    size[ax] = s;
    const part = sliceTensor(x, begin, size);
    begin[ax]! += s;
    return part;
  });
}

/** `tf.unstack(x, axis)`, without tfjs-wasm's copy of the input per part. */
export function unstackTensor(x: tf.Tensor, axis = 0): tf.Tensor[] {
  if (!useNoCopy(x)) return tf.unstack(x, axis);
  const ax = axis < 0 ? axis + x.rank : axis;
  const outShape = x.shape.filter((_, i) => i !== ax);
  return splitTensor(x, x.shape[ax]!, ax).map((part) => {
    const y = tf.reshape(part, outShape);
    part.dispose();
    return y;
  });
}
