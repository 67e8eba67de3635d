/** Element types a checkpoint entry can hold once read. Floating point entries are always widened to float32. */
export type TensorDtype = 'float32' | 'int64' | 'int32' | 'bool' | 'uint8';

/** One state-dict entry in PyTorch layout (e.g. Conv2d weight `[out, in/groups, kh, kw]`, Linear weight `[out, in]`). */
export interface TensorData {
  dtype: TensorDtype;
  shape: number[];
  data: Float32Array | BigInt64Array | Int32Array | Uint8Array;
}

/**
 * A state dict as timm has it: keys exactly as `model.state_dict()` in Python, values in PyTorch layout.
 * Insertion order is the checkpoint's order.
 */
export type StateDict = Record<string, TensorData>;

export function numel(shape: readonly number[]): number {
  let n = 1;
  for (const d of shape) n *= d;
  return n;
}

export function formatShape(shape: readonly number[]): string {
  return `[${shape.join(', ')}]`;
}

/**
 * A name from a file (tensor key, revision, …) made safe for a message: control characters (which could drive a
 * terminal) are written as `\u001b`-style escapes; everything else is unchanged.
 */
export function escapeControl(s: string): string {
  // biome-ignore lint/suspicious/noControlCharactersInRegex: control characters are what this escapes
  return s.replace(/[\u0000-\u001f\u007f-\u009f\u2028\u2029]/g, (c) => `\\u${c.charCodeAt(0).toString(16).padStart(4, '0')}`);
}
