import type * as tf from '@tensorflow/tfjs-core';
import { type AttrValue, float, type GraphBuilder, onnxType } from './graph.js';
import type { ConstValue, KernelCall, TensorRef } from './trace.js';

/** A model that cannot be exported: names the module and the kernel (or construct) that stops it. */
export class OnnxExportError extends Error {
  override readonly name = 'OnnxExportError';
  constructor(
    message: string,
    readonly module?: string,
    readonly kernel?: string,
  ) {
    super(message);
  }
}

/** Axis order: ONNX dim i of a value holds tfjs dim `perm[i]` (the identity for values kept in tfjs's order). */
export type Perm = number[];

/** A graph value standing for a traced tensor that depends on the input (or on the batch size). */
export interface Val {
  name: string;
  perm: Perm;
}

const identity = (rank: number): Perm => Array.from({ length: rank }, (_, i) => i);
const isIdentity = (p: Perm) => p.every((v, i) => v === i);
const invert = (p: Perm): Perm => {
  const q = new Array<number>(p.length);
  p.forEach((v, i) => {
    q[v] = i;
  });
  return q;
};
export const NCHW: Perm = [0, 3, 1, 2];
const samePerm = (a: Perm, b: Perm) => a.length === b.length && a.every((v, i) => v === b[i]);

/** `data` (row-major `shape`) transposed: output dim i is input dim `perm[i]`. */
export function transposeData<T extends ArrayLike<number>>(data: T, shape: number[], perm: Perm): Float32Array {
  const rank = shape.length;
  const outShape = perm.map((p) => shape[p]!);
  const n = data.length;
  if (isIdentity(perm)) return data instanceof Float32Array ? data : Float32Array.from(data as ArrayLike<number>);
  const out = new Float32Array(n);
  const inStrides = new Array<number>(rank);
  inStrides[rank - 1] = 1;
  for (let i = rank - 2; i >= 0; i--) inStrides[i] = inStrides[i + 1]! * shape[i + 1]!;
  const strides = perm.map((p) => inStrides[p]!);
  if (rank === 4) {
    // Conv weights (HWIO → OIHW) and NHWC → NCHW constants: four plain loops.
    const [d0, d1, d2, d3] = outShape as [number, number, number, number];
    const [s0, s1, s2, s3] = strides as [number, number, number, number];
    let o = 0;
    for (let a = 0; a < d0; a++) {
      for (let b = 0; b < d1; b++) {
        for (let c = 0; c < d2; c++) {
          let src = a * s0 + b * s1 + c * s2;
          for (let d = 0; d < d3; d++, src += s3) out[o++] = data[src]!;
        }
      }
    }
    return out;
  }
  const idx = new Array<number>(rank).fill(0);
  let src = 0;
  for (let o = 0; o < n; o++) {
    out[o] = data[src]!;
    for (let d = rank - 1; d >= 0; d--) {
      idx[d]!++;
      src += strides[d]!;
      if (idx[d]! < outShape[d]!) break;
      src -= strides[d]! * outShape[d]!;
      idx[d] = 0;
    }
  }
  return out;
}

/** What an emitter gets: the call (first trace), its twin in the second trace (dynamic batch), and the graph. */
export interface EmitContext {
  call: KernelCall;
  /** The same call traced at another batch size (null for a fixed-batch export). */
  twin: KernelCall | null;
  g: GraphBuilder;
  /** Node name prefix: module path and kernel. */
  prefix: string;
  isDyn(r: TensorRef): boolean;
  val(r: TensorRef): Val;
  /** A graph name for `r` in axis order `perm` (a constant of lower rank is first padded with leading 1s). */
  as(r: TensorRef, perm: Perm): string;
  /** `r` in tfjs's own axis order. */
  tf(r: TensorRef): string;
  set(r: TensorRef, name: string, perm?: Perm): void;
  constValue(r: TensorRef): ConstValue;
  node(op: string, inputs: string[], attrs?: Record<string, AttrValue | undefined>, opts?: { outputs?: number; domain?: string }): string[];
  /** An int64 shape for `dims` (first trace) where dims that differ in the second trace are batch multiples. */
  shape(dims: number[], dimsB: number[] | undefined, mode: 'reshape' | 'exact'): string;
}

type Emitter = (c: EmitContext) => void;

const inputsOf = (c: EmitContext) => Object.values(c.call.inputs).filter((r): r is TensorRef => r !== null);
const out0 = (c: EmitContext) => c.call.outputs[0]!;
const input = (c: EmitContext, name: string): TensorRef => {
  const r = c.call.inputs[name];
  if (!r) throw new OnnxExportError(`kernel ${c.call.kernel} has no input '${name}'`, c.call.module, c.call.kernel);
  return r;
};

/** The axis order to run an elementwise op in: that of its (highest-rank) dynamic inputs when they all agree. */
function commonPerm(c: EmitContext, refs: TensorRef[]): Perm {
  const rank = c.call.outputs[0]!.shape.length;
  let perm: Perm | null = null;
  for (const r of refs) {
    if (!c.isDyn(r)) continue;
    const p = c.val(r).perm;
    if (r.shape.length !== rank) return identity(rank);
    if (perm === null) perm = p;
    else if (!samePerm(perm, p)) return identity(rank);
  }
  return perm ?? identity(rank);
}

function elementwise(op: string, extra: Record<string, AttrValue> = {}): Emitter {
  return (c) => {
    const refs = inputsOf(c);
    const perm = commonPerm(c, refs);
    const [y] = c.node(op, refs.map((r) => c.as(r, perm)), extra);
    c.set(out0(c), y!, perm);
  };
}

function unary(build: (c: EmitContext, x: string) => string): Emitter {
  return (c) => {
    const x = inputsOf(c)[0]!;
    const perm = c.isDyn(x) ? c.val(x).perm : identity(x.shape.length);
    c.set(out0(c), build(c, c.as(x, perm)), perm);
  };
}

const op1 = (op: string, attrs: Record<string, AttrValue> = {}) => unary((c, x) => c.node(op, [x], attrs)[0]!);

/** The activation a fused tfjs op applies after its conv / matmul. */
function activation(c: EmitContext, y: string, perm: Perm, rank: number): string {
  const act = (c.call.attrs.activation as string | undefined) ?? 'linear';
  switch (act) {
    case 'linear':
      return y;
    case 'relu':
      return c.node('Relu', [y])[0]!;
    case 'relu6':
      return c.node('Clip', [y, c.g.scalar(0), c.g.scalar(6)])[0]!;
    case 'sigmoid':
      return c.node('Sigmoid', [y])[0]!;
    case 'elu':
      return c.node('Elu', [y], { alpha: float(1) })[0]!;
    case 'leakyrelu':
      return c.node('LeakyRelu', [y], { alpha: float((c.call.attrs.leakyreluAlpha as number | undefined) ?? 0.2) })[0]!;
    case 'prelu': {
      const w = input(c, 'preluActivationWeights');
      const wr: TensorRef = { ...w, shape: w.shape.length < rank ? [...new Array(rank - w.shape.length).fill(1), ...w.shape] : w.shape };
      return c.node('PRelu', [y, c.as(wr, perm)])[0]!;
    }
    default:
      throw new OnnxExportError(`kernel ${c.call.kernel}: activation '${act}' has no ONNX emitter`, c.call.module, c.call.kernel);
  }
}

/** [top, left, bottom, right] pads of a tfjs conv / pool on an NHWC input. */
function pads2d(c: EmitContext, inShape: number[], k: [number, number], s: [number, number], d: [number, number]): number[] {
  const pad = c.call.attrs.pad as string | number | number[][];
  const [, h, w] = inShape as [number, number, number, number];
  const ek = [(k[0] - 1) * d[0] + 1, (k[1] - 1) * d[1] + 1];
  let p: number[];
  if (pad === 'valid') p = [0, 0, 0, 0];
  else if (pad === 'same') {
    const along = (size: number, i: number) => Math.max((Math.ceil(size / s[i]!) - 1) * s[i]! + ek[i]! - size, 0);
    const ph = along(h, 0);
    const pw = along(w, 1);
    p = [Math.floor(ph / 2), Math.floor(pw / 2), ph - Math.floor(ph / 2), pw - Math.floor(pw / 2)];
  } else if (typeof pad === 'number') p = [pad, pad, pad, pad];
  else if (Array.isArray(pad)) p = [pad[1]![0]!, pad[2]![0]!, pad[1]![1]!, pad[2]![1]!];
  else throw new OnnxExportError(`kernel ${c.call.kernel}: padding ${JSON.stringify(pad)} has no ONNX emitter`, c.call.module, c.call.kernel);
  const out = out0(c).shape;
  const oh = Math.floor((h + p[0]! + p[2]! - ek[0]!) / s[0]!) + 1;
  const ow = Math.floor((w + p[1]! + p[3]! - ek[1]!) / s[1]!) + 1;
  if (oh !== out[1] || ow !== out[2]) {
    // tfjs rounded the output size up (dimRoundingMode 'ceil'/'round'): pad the bottom / right to match.
    p[2]! += (out[1]! - oh) * s[0]!;
    p[3]! += (out[2]! - ow) * s[1]!;
    if (p[2]! < 0 || p[3]! < 0) throw new OnnxExportError(`kernel ${c.call.kernel}: cannot match tfjs's output size`, c.call.module, c.call.kernel);
  }
  return p;
}

const pair = (v: unknown): [number, number] => (Array.isArray(v) ? [v[0] as number, v[1] as number] : [v as number, v as number]);

function conv(depthwise: boolean): Emitter {
  return (c) => {
    const x = input(c, 'x');
    const f = input(c, 'filter');
    if (c.isDyn(f)) throw new OnnxExportError(`kernel ${c.call.kernel}: a filter computed from the input is not supported`, c.call.module, c.call.kernel);
    if ((c.call.attrs.dataFormat ?? 'NHWC') !== 'NHWC') throw new OnnxExportError(`kernel ${c.call.kernel}: only NHWC convs are supported`, c.call.module, c.call.kernel);
    const fv = c.constValue(f);
    const [kh, kw, cin, m] = fv.shape as [number, number, number, number];
    const s = pair(c.call.attrs.strides);
    const d = pair(c.call.attrs.dilations ?? 1);
    const pads = pads2d(c, x.shape, [kh, kw], s, d);
    // HWIO → OIHW; depthwise [kh, kw, C, m] is HWIO with one input channel per group and C·m outputs.
    const hwio = depthwise ? [kh, kw, 1, cin * m] : [kh, kw, cin, m];
    const w = c.g.initializer(`${c.prefix}.weight`, [hwio[3]!, hwio[2]!, kh, kw], 'float32', transposeData(fv.data as Float32Array, hwio, [3, 2, 0, 1]), `conv:${f.id}:${depthwise}`);
    const ins = [c.as(x, NCHW), w];
    const bias = c.call.inputs.bias;
    if (bias) {
      if (c.isDyn(bias)) throw new OnnxExportError(`kernel ${c.call.kernel}: a bias computed from the input is not supported`, c.call.module, c.call.kernel);
      ins.push(c.as(bias, [0]));
    }
    const groups = depthwise ? cin : Math.round(x.shape[3]! / cin);
    let [y] = c.node('Conv', ins, { dilations: d, group: groups, kernel_shape: [kh, kw], pads, strides: s });
    y = activation(c, y!, NCHW, 4);
    c.set(out0(c), y, NCHW);
  };
}

function pool(op: 'MaxPool' | 'AveragePool'): Emitter {
  return (c) => {
    const x = input(c, 'x');
    const k = pair(c.call.attrs.filterSize);
    const s = pair(c.call.attrs.strides);
    const pads = pads2d(c, x.shape, k, s, [1, 1]);
    const attrs: Record<string, AttrValue> = { kernel_shape: k, pads, strides: s };
    if (op === 'AveragePool') attrs.count_include_pad = 0;
    let xin = c.as(x, NCHW);
    const fill = c.g.padFill.get(xin);
    if (op === 'MaxPool' && fill !== undefined && fill !== Number.NEGATIVE_INFINITY) {
      // onnxruntime's PadFusion folds a constant Pad into the MaxPool after it as MaxPool padding, which counts as
      // -inf: right only for a -inf fill. Where the fill is finite (timm's BiT stem: ConstantPad2d(1, 0) → MaxPool2d,
      // on a map with negative values) an exact Max(x, x) between them keeps the optimizer from fusing. The same bug
      // in onnx/optimizer: github.com/onnx/optimizer/pull/318.
      xin = c.node('Max', [xin, xin])[0]!;
    }
    const [y] = c.node(op, [xin], attrs);
    c.set(out0(c), y!, NCHW);
  };
}

function matmul(c: EmitContext): void {
  const a = input(c, 'a');
  const b = input(c, 'b');
  const ta = !!c.call.attrs.transposeA;
  const tb = !!c.call.attrs.transposeB;
  const swap = (rank: number): Perm => {
    const p = identity(rank);
    [p[rank - 2], p[rank - 1]] = [p[rank - 1]!, p[rank - 2]!];
    return p;
  };
  const bias = c.call.inputs.bias;
  const rank = out0(c).shape.length;
  let y: string;
  if (rank === 2 && !ta && !c.isDyn(b) && (!bias || !c.isDyn(bias))) {
    // A linear layer: Gemm with the weight as stored ([K, N], or [N, K] with transB).
    const ins = [c.tf(a), c.tf(b)];
    if (bias) ins.push(c.as(bias, [0]));
    y = c.node('Gemm', ins, { transB: tb ? 1 : 0 })[0]!;
  } else {
    y = c.node('MatMul', [ta ? c.as(a, swap(a.shape.length)) : c.tf(a), tb ? c.as(b, swap(b.shape.length)) : c.tf(b)])[0]!;
    if (bias) y = c.node('Add', [y, c.as(bias, identity(rank))])[0]!;
  }
  y = activation(c, y, identity(rank), rank);
  c.set(out0(c), y, identity(rank));
}

function reduce(op: string): Emitter {
  return (c) => {
    const x = input(c, 'x');
    const rank = x.shape.length;
    const perm = c.isDyn(x) ? c.val(x).perm : identity(rank);
    // tfjs's Max names its axes `reductionIndices`; the other reductions `axis`.
    const raw = (c.call.attrs.axis ?? c.call.attrs.reductionIndices) as number | number[] | null | undefined;
    const axes = (raw == null ? identity(rank) : Array.isArray(raw) ? raw : [raw]).map((a) => (a < 0 ? a + rank : a));
    const keep = !!c.call.attrs.keepDims;
    const onnxAxes = axes.map((a) => perm.indexOf(a)).sort((p, q) => p - q);
    const [y] =
      op === 'ReduceSum'
        ? c.node(op, [c.as(x, perm), c.g.i64(onnxAxes)], { keepdims: keep ? 1 : 0 })
        : c.node(op, [c.as(x, perm)], { axes: onnxAxes, keepdims: keep ? 1 : 0 });
    if (keep) c.set(out0(c), y!, perm);
    else {
      const rest = perm.filter((a) => !axes.includes(a));
      const sorted = [...rest].sort((p, q) => p - q);
      c.set(out0(c), y!, rest.map((a) => sorted.indexOf(a)));
    }
  };
}

function reshape(c: EmitContext): void {
  const x = inputsOf(c)[0]!;
  const y = out0(c);
  const [r] = c.node('Reshape', [c.tf(x), c.shape(y.shape, c.twin ? c.twin.outputs[0]!.shape : undefined, 'reshape')]);
  c.set(y, r!, identity(y.shape.length));
}

function transpose(c: EmitContext): void {
  // Free: the output is the input's graph value read in another order. out tfjs dim i = in tfjs dim q[i].
  const x = input(c, 'x');
  const q = c.call.attrs.perm as number[];
  const v = c.isDyn(x) ? c.val(x) : { name: c.tf(x), perm: identity(x.shape.length) };
  const pinv = invert(v.perm);
  // out tfjs dim i = onnx dim pinv[q[i]], so onnx dim k holds out tfjs dim rinv[k].
  const r = q.map((qi) => pinv[qi]!);
  c.set(out0(c), v.name, invert(r));
}

function alias(c: EmitContext): void {
  const x = inputsOf(c)[0]!;
  if (c.isDyn(x)) {
    const v = c.val(x);
    c.set(out0(c), v.name, v.perm);
  } else c.set(out0(c), c.tf(x), identity(x.shape.length));
}

function cast(c: EmitContext): void {
  const x = input(c, 'x');
  const to = c.call.attrs.dtype as tf.DataType;
  if (to === x.dtype) {
    alias(c);
    return;
  }
  const perm = c.isDyn(x) ? c.val(x).perm : identity(x.shape.length);
  const [y] = c.node('Cast', [c.as(x, perm)], { to: onnxType(to === 'int32' ? 'int32' : to) });
  c.set(out0(c), y!, perm);
}

function concat(c: EmitContext): void {
  const refs = inputsOf(c);
  const rank = out0(c).shape.length;
  const perm = commonPerm(c, refs);
  let axis = c.call.attrs.axis as number;
  if (axis < 0) axis += rank;
  const [y] = c.node('Concat', refs.map((r) => c.as(r, perm)), { axis: perm.indexOf(axis) });
  c.set(out0(c), y!, perm);
}

function slice(c: EmitContext): void {
  const x = inputsOf(c)[0]!;
  const rank = x.shape.length;
  const norm = (call: KernelCall, shape: number[]) => {
    const b0 = call.attrs.begin as number | number[];
    const s0 = call.attrs.size as number | number[] | undefined;
    const begin = Array.isArray(b0) ? [...b0] : [b0];
    while (begin.length < rank) begin.push(0);
    const size = s0 === undefined ? shape.map((d, i) => d - begin[i]!) : Array.isArray(s0) ? [...s0] : [s0];
    while (size.length < rank) size.push(-1);
    return { begin, size: size.map((s, i) => (s === -1 ? shape[i]! - begin[i]! : s)) };
  };
  const a = norm(c.call, x.shape);
  const bShape = c.twin ? Object.values(c.twin.inputs).find((r) => r)!.shape : null;
  const b = c.twin && bShape ? norm(c.twin, bShape) : null;
  const perm = c.isDyn(x) ? c.val(x).perm : identity(rank);
  const starts: number[] = [];
  const ends: number[] = [];
  const axes: number[] = [];
  for (let i = 0; i < rank; i++) {
    const full = a.begin[i] === 0 && a.size[i] === x.shape[i];
    const fullB = !b || (b.begin[i] === 0 && b.size[i] === bShape![i]);
    if (full && fullB) continue;
    if (b && (b.begin[i] !== a.begin[i] || b.size[i] !== a.size[i])) {
      throw new OnnxExportError(`kernel ${c.call.kernel}: a slice that depends on the batch size is not supported`, c.call.module, c.call.kernel);
    }
    axes.push(perm.indexOf(i));
    starts.push(a.begin[i]!);
    ends.push(a.begin[i]! + a.size[i]!);
  }
  if (!axes.length) {
    alias(c);
    return;
  }
  const [y] = c.node('Slice', [c.as(x, perm), c.g.i64(starts), c.g.i64(ends), c.g.i64(axes)]);
  c.set(out0(c), y!, perm);
}

/**
 * tfjs's StridedSlice (`x[::s]`-style slicing) as ONNX Slice with steps. Masks for begin / end are honoured;
 * ellipsis, new-axis and shrink-axis masks are not emitted (no model slices that way). The batch axis must be whole.
 */
function stridedSlice(c: EmitContext): void {
  const x = inputsOf(c)[0]!;
  const rank = x.shape.length;
  const norm = (call: KernelCall, shape: number[]) => {
    const at = call.attrs as { begin: number[]; end: number[]; strides?: number[]; beginMask?: number; endMask?: number; ellipsisMask?: number; newAxisMask?: number; shrinkAxisMask?: number };
    if (at.ellipsisMask || at.newAxisMask || at.shrinkAxisMask) {
      throw new OnnxExportError(`kernel ${call.kernel}: ellipsis, new-axis and shrink-axis masks are not supported`, call.module, call.kernel);
    }
    return shape.map((dim, i) => {
      const step = at.strides?.[i] ?? 1;
      if (step <= 0) throw new OnnxExportError(`kernel ${call.kernel}: only positive strides are supported`, call.module, call.kernel);
      const wrap = (v: number) => Math.min(Math.max(v < 0 ? v + dim : v, 0), dim);
      const begin = (at.beginMask ?? 0) & (1 << i) || at.begin[i] === undefined ? 0 : wrap(at.begin[i]!);
      const end = (at.endMask ?? 0) & (1 << i) || at.end[i] === undefined ? dim : wrap(at.end[i]!);
      return { begin, end, step, full: begin === 0 && end === dim && step === 1 };
    });
  };
  const a = norm(c.call, x.shape);
  const twinX = c.twin ? Object.values(c.twin.inputs).find((r) => r) : undefined;
  const b = c.twin && twinX ? norm(c.twin, twinX.shape) : null;
  const perm = c.isDyn(x) ? c.val(x).perm : identity(rank);
  const starts: number[] = [];
  const ends: number[] = [];
  const axes: number[] = [];
  const steps: number[] = [];
  for (let i = 0; i < rank; i++) {
    const ai = a[i]!;
    if (ai.full && (!b || b[i]!.full)) continue;
    if (b && (b[i]!.begin !== ai.begin || b[i]!.end !== ai.end || b[i]!.step !== ai.step)) {
      throw new OnnxExportError(`kernel ${c.call.kernel}: a slice that depends on the batch size is not supported`, c.call.module, c.call.kernel);
    }
    axes.push(perm.indexOf(i));
    starts.push(ai.begin);
    ends.push(ai.end);
    steps.push(ai.step);
  }
  if (!axes.length) {
    alias(c);
    return;
  }
  const [y] = c.node('Slice', [c.as(x, perm), c.g.i64(starts), c.g.i64(ends), c.g.i64(axes), c.g.i64(steps)]);
  c.set(out0(c), y!, perm);
}

function split(c: EmitContext, axis: number, sizes: number[], squeeze: boolean): void {
  const x = inputsOf(c)[0]!;
  const rank = x.shape.length;
  if (axis < 0) axis += rank;
  if (c.twin) {
    const tb = Object.values(c.twin.inputs).find((r) => r)!;
    if (tb.shape[axis] !== x.shape[axis]) throw new OnnxExportError(`kernel ${c.call.kernel}: a split along the batch axis is not supported`, c.call.module, c.call.kernel);
  }
  const perm = c.isDyn(x) ? c.val(x).perm : identity(rank);
  const ax = perm.indexOf(axis);
  const outs = c.node('Split', [c.as(x, perm), c.g.i64(sizes)], { axis: ax }, { outputs: sizes.length });
  const outPerm = squeeze ? perm.filter((p) => p !== axis).map((p) => (p > axis ? p - 1 : p)) : perm;
  c.call.outputs.forEach((o, i) => {
    const y = squeeze ? c.node('Squeeze', [outs[i]!, c.g.i64([ax])])[0]! : outs[i]!;
    c.set(o, y, outPerm);
  });
}

function pack(c: EmitContext): void {
  const refs = inputsOf(c);
  const rank = out0(c).shape.length;
  let axis = c.call.attrs.axis as number;
  if (axis < 0) axis += rank;
  const parts = refs.map((r) => c.node('Unsqueeze', [c.tf(r), c.g.i64([axis])])[0]!);
  const [y] = c.node('Concat', parts, { axis });
  c.set(out0(c), y!, identity(rank));
}

function pad(c: EmitContext): void {
  const x = input(c, 'x');
  const rank = x.shape.length;
  const perm = c.isDyn(x) ? c.val(x).perm : identity(rank);
  const p = c.call.attrs.paddings as [number, number][];
  const pads = [...perm.map((a) => p[a]![0]), ...perm.map((a) => p[a]![1])];
  const mode = c.call.kernel === 'MirrorPad' ? (c.call.attrs.mode as string) : 'constant';
  if (mode !== 'constant' && mode !== 'reflect') {
    throw new OnnxExportError(`kernel ${c.call.kernel}: mode '${mode}' has no ONNX equivalent (Pad knows constant, reflect, edge)`, c.call.module, c.call.kernel);
  }
  const ins = [c.as(x, perm), c.g.i64(pads)];
  const fill = (c.call.attrs.constantValue as number | undefined) ?? 0;
  if (mode === 'constant') ins.push(c.g.scalar(fill));
  const [y] = c.node('Pad', ins, { mode });
  if (mode === 'constant') c.g.padFill.set(y!, fill);
  c.set(out0(c), y!, perm);
}

function softmax(c: EmitContext): void {
  const x = input(c, 'logits');
  const rank = x.shape.length;
  const perm = c.isDyn(x) ? c.val(x).perm : identity(rank);
  let dim = (c.call.attrs.dim as number | undefined) ?? -1;
  if (dim < 0) dim += rank;
  const [y] = c.node('Softmax', [c.as(x, perm)], { axis: perm.indexOf(dim) });
  c.set(out0(c), y!, perm);
}

function tile(c: EmitContext): void {
  const x = input(c, 'x');
  const reps = c.call.attrs.reps as number[];
  const repsB = c.twin?.attrs.reps as number[] | undefined;
  const [y] = c.node('Tile', [c.tf(x), c.shape(reps, repsB, 'exact')]);
  c.set(out0(c), y!, identity(out0(c).shape.length));
}

function batchNorm(c: EmitContext): void {
  const x = input(c, 'x');
  const rank = x.shape.length;
  if (rank !== 4) throw new OnnxExportError(`kernel ${c.call.kernel}: only 4-D batch norm is supported`, c.call.module, c.call.kernel);
  const ch = x.shape[3]!;
  const vec = (name: string, dflt: number) => {
    const r = c.call.inputs[name];
    if (!r) return c.g.initializer(`${c.prefix}.${name}`, [ch], 'float32', new Float32Array(ch).fill(dflt));
    if (c.isDyn(r) || r.shape.reduce((p, q) => p * q, 1) !== ch) throw new OnnxExportError(`kernel ${c.call.kernel}: input '${name}' must be a per-channel constant`, c.call.module, c.call.kernel);
    return c.g.initializer(`${c.prefix}.${name}`, [ch], 'float32', c.constValue(r).data as Float32Array, `bn:${r.id}`);
  };
  const eps = (c.call.attrs.varianceEpsilon as number | undefined) ?? 1e-3;
  const [y] = c.node('BatchNormalization', [c.as(x, NCHW), vec('scale', 1), vec('offset', 0), vec('mean', 0), vec('variance', 1)], { epsilon: float(eps) });
  c.set(out0(c), y!, NCHW);
}

function gather(c: EmitContext): void {
  const x = input(c, 'x');
  const idx = input(c, 'indices');
  if ((c.call.attrs.batchDims as number | undefined) ?? 0) throw new OnnxExportError('GatherV2 with batchDims is not supported', c.call.module, c.call.kernel);
  let axis = c.call.attrs.axis as number;
  if (axis < 0) axis += x.shape.length;
  const ind = c.isDyn(idx) ? c.tf(idx) : c.g.initializer(`${c.prefix}.indices`, idx.shape, 'int64', Array.from(c.constValue(idx).data as Int32Array), `gather:${idx.id}`);
  const [y] = c.node('Gather', [c.tf(x), ind], { axis });
  c.set(out0(c), y!, identity(out0(c).shape.length));
}

function resize(mode: 'linear' | 'nearest'): Emitter {
  return (c) => {
    const x = input(c, 'images');
    const o = out0(c).shape;
    const alignCorners = !!c.call.attrs.alignCorners;
    const half = !!c.call.attrs.halfPixelCenters;
    const [sh, sw] = [o[1]! / x.shape[1]!, o[2]! / x.shape[2]!];
    // onnxruntime sizes the output as floor(in · scale) in float32: a ratio such as 7/3 rounds down there (3 → 6),
    // so a size that float32 scales do not give exactly is passed as the output size instead.
    const exact = Math.floor(x.shape[1]! * Math.fround(sh)) === o[1] && Math.floor(x.shape[2]! * Math.fround(sw)) === o[2];
    const nchw = (d: readonly number[]) => [d[0]!, d[3]!, d[1]!, d[2]!];
    const twin = c.twin?.outputs[0]?.shape;
    const sizeInputs = exact
      ? [c.g.initializer('scales', [4], 'float32', [1, 1, sh, sw], `scales:${sh}:${sw}`)]
      : ['', c.shape(nchw(o), twin ? nchw(twin) : undefined, 'exact')];
    const attrs: Record<string, AttrValue> = {
      mode,
      coordinate_transformation_mode: alignCorners ? 'align_corners' : half ? (mode === 'linear' ? 'half_pixel' : 'tf_half_pixel_for_nn') : 'asymmetric',
    };
    if (mode === 'nearest') attrs.nearest_mode = alignCorners ? 'round_prefer_ceil' : half ? 'round_prefer_ceil' : 'floor';
    const [y] = c.node('Resize', [c.as(x, NCHW), '', ...sizeInputs], attrs);
    c.set(out0(c), y!, NCHW);
  };
}

/** LayerNormalization (opset 17) over the last axis, from a fused tf.moments pattern (see fuse.ts). */
function layerNorm(c: EmitContext): void {
  const x = input(c, 'x');
  const rank = x.shape.length;
  const ch = x.shape[rank - 1]!;
  const v = c.val(x);
  // Any axis order that keeps the normalised axis last will do.
  const perm = v.perm[rank - 1] === rank - 1 ? v.perm : identity(rank);
  const w = c.call.inputs.weight;
  const b = c.call.inputs.bias;
  const scale = w ? c.as(w, [0]) : c.g.initializer(`${c.prefix}.ones`, [ch], 'float32', new Float32Array(ch).fill(1), `ones:${ch}`);
  const ins = [c.as(x, perm), scale];
  if (b) ins.push(c.as(b, [0]));
  const [y] = c.node('LayerNormalization', ins, { axis: -1, epsilon: float(c.call.attrs.eps as number) });
  c.set(out0(c), y!, perm);
}

/**
 * GroupNorm on an NHWC map (fuse.ts), in NCHW: reshape to [B, G, C/G·H·W], InstanceNormalization with unit scale and
 * zero shift, reshape back, then the per-channel weight and bias (timm's own export takes the same route).
 */
function groupNorm(c: EmitContext): void {
  const x = input(c, 'x');
  const [, h, w, ch] = x.shape as [number, number, number, number];
  const g = c.call.attrs.groups as number;
  const [grouped] = c.node('Reshape', [c.as(x, NCHW), c.g.i64([0, g, -1])]);
  const ones = c.g.initializer(`${c.prefix}.group_scale`, [g], 'float32', new Float32Array(g).fill(1), `ones:${g}`);
  const zeros = c.g.initializer(`${c.prefix}.group_shift`, [g], 'float32', new Float32Array(g), `zeros:${g}`);
  const [normed] = c.node('InstanceNormalization', [grouped!, ones, zeros], { epsilon: float(c.call.attrs.eps as number) });
  let [y] = c.node('Reshape', [normed!, c.g.i64([0, ch, h, w])]);
  const perChannel = (r: TensorRef, what: string) =>
    c.g.initializer(`${c.prefix}.${what}`, [ch, 1, 1], 'float32', Float32Array.from(c.constValue(r).data as ArrayLike<number>), `${what}:${r.id}`);
  if (c.call.inputs.weight) [y] = c.node('Mul', [y!, perChannel(c.call.inputs.weight, 'weight')]);
  if (c.call.inputs.bias) [y] = c.node('Add', [y!, perChannel(c.call.inputs.bias, 'bias')]);
  c.set(out0(c), y!, NCHW);
}

/** One emitter per tfjs kernel name (core's custom kernels included), and per fused pattern (Zoo*). */
export const EMITTERS: Record<string, Emitter> = {
  ZooLayerNorm: layerNorm,
  ZooGroupNorm: groupNorm,
  ZooGelu: unary((c, x) => c.node('Gelu', [x], {}, { domain: 'com.microsoft' })[0]!),
  ZooHardSigmoid: op1('HardSigmoid', { alpha: float(1 / 6), beta: float(0.5) }),
  ZooHardSwish: op1('HardSwish'),
  Conv2D: conv(false),
  FusedConv2D: conv(false),
  DepthwiseConv2dNative: conv(true),
  FusedDepthwiseConv2D: conv(true),
  MaxPool: pool('MaxPool'),
  AvgPool: pool('AveragePool'),
  FusedBatchNorm: batchNorm,
  BatchMatMul: matmul,
  _FusedMatMul: matmul,
  Add: elementwise('Add'),
  AddV2: elementwise('Add'),
  BiasAdd: elementwise('Add'),
  Sub: elementwise('Sub'),
  Multiply: elementwise('Mul'),
  RealDiv: elementwise('Div'),
  Maximum: elementwise('Max'),
  Minimum: elementwise('Min'),
  Pow: elementwise('Pow'),
  AddN: elementwise('Sum'),
  Prelu: elementwise('PRelu'),
  SquaredDifference: (c) => {
    const refs = inputsOf(c);
    const perm = commonPerm(c, refs);
    const [d] = c.node('Sub', refs.map((r) => c.as(r, perm)));
    c.set(out0(c), c.node('Mul', [d!, d!])[0]!, perm);
  },
  Relu: op1('Relu'),
  Relu6: unary((c, x) => c.node('Clip', [x, c.g.scalar(0), c.g.scalar(6)])[0]!),
  Sigmoid: op1('Sigmoid'),
  Tanh: op1('Tanh'),
  Erf: op1('Erf'),
  Exp: op1('Exp'),
  Log: op1('Log'),
  Sqrt: op1('Sqrt'),
  Rsqrt: unary((c, x) => c.node('Reciprocal', [c.node('Sqrt', [x])[0]!])[0]!),
  Reciprocal: op1('Reciprocal'),
  Neg: op1('Neg'),
  Abs: op1('Abs'),
  Floor: op1('Floor'),
  Ceil: op1('Ceil'),
  Round: op1('Round'),
  Sign: op1('Sign'),
  Sin: op1('Sin'),
  Cos: op1('Cos'),
  Softplus: op1('Softplus'),
  Elu: op1('Elu', { alpha: float(1) }),
  Selu: op1('Selu'),
  Square: unary((c, x) => c.node('Mul', [x, x])[0]!),
  LeakyRelu: (c) => op1('LeakyRelu', { alpha: float(c.call.attrs.alpha as number) })(c),
  ClipByValue: (c) =>
    unary((cc, x) => cc.node('Clip', [x, cc.g.scalar(c.call.attrs.clipValueMin as number), cc.g.scalar(c.call.attrs.clipValueMax as number)])[0]!)(c),
  Identity: alias,
  Cast: cast,
  Reshape: reshape,
  Transpose: transpose,
  Concat: concat,
  Slice: slice,
  ZooSliceNoCopy: slice,
  StridedSlice: stridedSlice,
  SplitV: (c) => {
    const x = inputsOf(c)[0]!;
    let axis = c.call.attrs.axis as number;
    if (axis < 0) axis += x.shape.length;
    split(c, axis, c.call.outputs.map((o) => o.shape[axis]!), false);
  },
  Unpack: (c) => {
    const x = inputsOf(c)[0]!;
    let axis = c.call.attrs.axis as number;
    if (axis < 0) axis += x.shape.length;
    split(c, axis, new Array<number>(x.shape[axis]!).fill(1), true);
  },
  Pack: pack,
  PadV2: pad,
  MirrorPad: pad,
  Softmax: softmax,
  Mean: reduce('ReduceMean'),
  Sum: reduce('ReduceSum'),
  Max: reduce('ReduceMax'),
  Min: reduce('ReduceMin'),
  Prod: reduce('ReduceProd'),
  Tile: tile,
  GatherV2: gather,
  ResizeBilinear: resize('linear'),
  ResizeNearestNeighbor: resize('nearest'),
};
