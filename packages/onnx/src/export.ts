import * as tf from '@tensorflow/tfjs-core';
import type { FeatureOutput, Module, PretrainedCfg } from '@zoo/core';
import { EMITTERS, type EmitContext, NCHW, OnnxExportError, type Perm, transposeData, type Val } from './emit.js';
import { fusePatterns, liveCalls } from './fuse.js';
import { type AttrValue, GraphBuilder, onnxType } from './graph.js';
import { encodeModel, type ValueInfoMsg } from './proto.js';
import { type ConstValue, type KernelCall, type TensorRef, type Trace, traceForward } from './trace.js';

export { OnnxExportError } from './emit.js';

export interface ExportOnnxOptions {
  /** `[C, H, W]` of the traced input (default: the model's `inChans` and its pretrained cfg's H, W, else 224²). */
  inputSize?: [number, number, number] | number[];
  /** `'dynamic'` (default: any batch size, axis named `batch`) or a fixed batch size. */
  batch?: 'dynamic' | number;
  /** Layout of the input and of 4-D outputs: `'NCHW'` (default, as timm's export) or `'NHWC'` (as `model.forward`). */
  layout?: 'NCHW' | 'NHWC';
  /** ONNX opset of the default domain: 17 (default), down to 15. */
  opset?: number;
  /** Graph input name (default `input0`). */
  inputNames?: [string] | string[];
  /** Graph output names (default `output0` … `outputN`, one per output, feature maps in `featureInfo` order). */
  outputNames?: string[];
  /** `'float16'` stores the weights as halves (half the file size; computed in float32). Default `'float32'`. */
  dtype?: 'float32' | 'float16';
}

/** What `exportOnnx` builds from: anything with a unary forward (a registered model, a feature model, a plugin's). */
export interface ExportableModel extends Module<tf.Tensor | FeatureOutput> {
  pretrainedCfg?: PretrainedCfg;
  inChans?: number;
  modelName?: string;
}

const TRACE_BATCHES: [[number, number], [number, number]] = [
  [1, 2],
  [2, 3],
];
const PRODUCER_VERSION = '0.1.0';

/** A deterministic, non-degenerate input to trace with (values do not matter, only the kernels run). */
function traceInput(batch: number, [c, h, w]: number[]): tf.Tensor4D {
  const n = batch * h! * w! * c!;
  const data = new Float32Array(n);
  for (let i = 0; i < n; i++) data[i] = Math.sin(i * 12.9898) * 0.5;
  return tf.tensor4d(data, [batch, h!, w!, c!]);
}

function resolveInputSize(model: ExportableModel, opt: number[] | undefined): [number, number, number] {
  const cfg = model.pretrainedCfg?.inputSize;
  const s = opt ?? (cfg ? [model.inChans ?? cfg[0], cfg[1], cfg[2]] : [model.inChans ?? 3, 224, 224]);
  if (s.length !== 3 || !s.every((v) => Number.isInteger(v) && v > 0)) {
    throw new RangeError(`exportOnnx: inputSize must be [C, H, W] of positive integers, got [${s}]`);
  }
  return [s[0]!, s[1]!, s[2]!];
}

function checkOptions(o: ExportOnnxOptions): void {
  const known = new Set(['inputSize', 'batch', 'layout', 'opset', 'inputNames', 'outputNames', 'dtype']);
  for (const k of Object.keys(o)) if (!known.has(k)) throw new TypeError(`exportOnnx: unknown option '${k}' (known: ${[...known].join(', ')})`);
  if (o.batch !== undefined && o.batch !== 'dynamic' && !(Number.isInteger(o.batch) && o.batch > 0)) {
    throw new RangeError(`exportOnnx: batch must be 'dynamic' or a positive integer, got ${String(o.batch)}`);
  }
  if (o.layout !== undefined && o.layout !== 'NCHW' && o.layout !== 'NHWC') throw new RangeError(`exportOnnx: layout must be 'NCHW' or 'NHWC', got ${String(o.layout)}`);
  if (o.opset !== undefined && !(Number.isInteger(o.opset) && o.opset >= 15 && o.opset <= 17)) throw new RangeError(`exportOnnx: opset must be 15, 16 or 17, got ${String(o.opset)}`);
  if (o.dtype !== undefined && o.dtype !== 'float32' && o.dtype !== 'float16') throw new RangeError(`exportOnnx: dtype must be 'float32' or 'float16', got ${String(o.dtype)}`);
  if (o.inputNames !== undefined && (o.inputNames.length !== 1 || !o.inputNames[0])) throw new RangeError('exportOnnx: inputNames must hold exactly one non-empty name');
}

/**
 * Exports `model` as an ONNX ModelProto: one float32 input (`input0`, NCHW `[batch, C, H, W]` by default), one
 * output per forward output (`output0…`), weights as initializers, a dynamic batch axis by default, opset 17, IR 8.
 *
 * The graph is what one forward dispatches to tfjs (core's layers in portable-ops mode), traced kernel by kernel:
 * parameters and everything computed from them alone become initializers, the rest becomes nodes. Convolutions and
 * pools run in NCHW as ONNX runtimes prefer; values keep whichever axis order is cheapest, with a Transpose only
 * where a kernel needs tfjs's own order. A kernel with no ONNX emitter stops the export with an
 * {@link OnnxExportError} naming the module that dispatched it.
 */
export async function exportOnnx(model: ExportableModel, options: ExportOnnxOptions = {}): Promise<Uint8Array> {
  checkOptions(options);
  const inputSize = resolveInputSize(model, options.inputSize);
  const dynamic = (options.batch ?? 'dynamic') === 'dynamic';
  if (!dynamic) return buildModel(model, await traceAt(model, [options.batch as number], inputSize), [options.batch as number], inputSize, options);
  // Batch 1 and 2 first (the cheapest traces); a model whose kernels at batch 1 differ beyond what aligns
  // (a broadcast that is a copy at batch 1) is traced again at 2 and 3.
  try {
    return buildModel(model, await traceAt(model, TRACE_BATCHES[0], inputSize), TRACE_BATCHES[0], inputSize, options);
  } catch (e) {
    if (!(e instanceof TraceMismatch)) throw e;
    return buildModel(model, await traceAt(model, TRACE_BATCHES[1], inputSize), TRACE_BATCHES[1], inputSize, options);
  }
}

/** Kernel sequences of two traces that do not line up. */
class TraceMismatch extends OnnxExportError {}

async function traceAt(model: ExportableModel, batches: number[], inputSize: [number, number, number]): Promise<Trace[]> {
  const traces: Trace[] = [];
  for (const [i, b] of batches.entries()) {
    const x = traceInput(b, inputSize);
    try {
      traces.push(traceForward(model, x, i === 0));
    } finally {
      x.dispose();
    }
    await Promise.resolve();
  }
  return traces;
}

function buildModel(model: ExportableModel, traces: Trace[], batches: number[], inputSize: [number, number, number], o: ExportOnnxOptions): Uint8Array {
  const [ta, tb] = traces as [Trace, Trace | undefined];
  const who = model.modelName || model.constructor.name;
  if (tb) {
    // A broadcast to the batch is a copy (Identity) at batch 1 and a Tile above: the same Tile with all-ones reps.
    ta.calls.forEach((c, i) => {
      const t = tb.calls[i];
      if (c.kernel === 'Identity' && t?.kernel === 'Tile') ta.calls[i] = { ...c, kernel: 'Tile', attrs: { reps: c.outputs[0]!.shape.map(() => 1) } };
    });
    const same = ta.calls.length === tb.calls.length && ta.calls.every((c, i) => c.kernel === tb.calls[i]!.kernel);
    if (!same) {
      const i = ta.calls.findIndex((c, j) => c.kernel !== tb.calls[j]?.kernel);
      const c = ta.calls[i] ?? tb.calls[i]!;
      throw new TraceMismatch(
        `exportOnnx(${who}): the forward dispatches different kernels at batch ${batches[0]} and ${batches[1]} (from call ${i}, module '${c.module}'), so it cannot have a dynamic batch axis; export with a fixed batch`,
        c.module,
        c.kernel,
      );
    }
  }
  const g = new GraphBuilder();
  g.half = o.dtype === 'float16';
  const layout = o.layout ?? 'NCHW';
  const opset = o.opset ?? 17;
  const inputName = o.inputNames?.[0] ?? 'input0';
  g.reserve(inputName);
  const outNames = o.outputNames ?? ta.outputs.map((_, i) => `output${i}`);
  if (outNames.length !== ta.outputs.length) throw new RangeError(`exportOnnx: outputNames has ${outNames.length} names for ${ta.outputs.length} outputs`);
  for (const n of outNames) g.reserve(n);

  // Which tensors become nodes: those computed from the input, and those whose shape follows the batch size.
  const vals = new Map<number, Val>();
  const inputPerm = layout === 'NCHW' ? NCHW : [0, 1, 2, 3];
  vals.set(ta.input.id, { name: inputName, perm: inputPerm });
  const dynCalls = new Set<number>();
  const twinOf = new Map<number, TensorRef>();
  ta.calls.forEach((c, i) => {
    const t = tb?.calls[i];
    let dyn = Object.values(c.inputs).some((r) => r && ta.dependent.has(r.id));
    if (t) {
      c.outputs.forEach((r, j) => {
        const rb = t.outputs[j]!;
        twinOf.set(r.id, rb);
        if (r.shape.join() !== rb.shape.join()) dyn = true;
      });
    }
    if (dyn) {
      dynCalls.add(i);
      for (const r of c.outputs) ta.dependent.add(r.id);
    }
  });

  let batchDim: string | null = null;
  const batchName = () => {
    batchDim ??= g.node('Shape', [inputName], { start: 0, end: 1 }, { name: 'batch' })[0]!;
    return batchDim;
  };

  const constCache = new Map<string, string>();
  const constName = (r: TensorRef, perm: Perm, call: KernelCall): string => {
    const cv = ta.consts.get(r.id);
    if (!cv) throw new OnnxExportError(`exportOnnx(${who}): internal error: no value recorded for a constant of kernel ${call.kernel}`, call.module, call.kernel);
    const key = `${r.id}:${perm.join(',')}`;
    const hit = constCache.get(key);
    if (hit) return hit;
    const shape = [...new Array(Math.max(0, perm.length - cv.shape.length)).fill(1), ...cv.shape];
    const dims = perm.map((p) => shape[p]!);
    const base = cv.param ?? `${call.module || 'model'}.const`;
    let name: string;
    if (cv.dtype === 'float32') name = g.initializer(base, dims, 'float32', transposeData(cv.data, shape, perm));
    else if (cv.dtype === 'int32') name = g.initializer(base, dims, 'int32', Array.from(transposeData(cv.data, shape, perm)));
    else if (cv.dtype === 'bool') name = g.initializer(base, dims, 'bool', Array.from(transposeData(cv.data, shape, perm)));
    else throw new OnnxExportError(`exportOnnx(${who}): constants of dtype ${cv.dtype} are not supported`, call.module, call.kernel);
    constCache.set(key, name);
    return name;
  };

  fusePatterns(ta.calls, dynCalls, ta.consts, opset);
  const transposeCache = new Map<string, string>();
  for (const i of liveCalls(ta.calls, dynCalls, ta.outputs)) {
    const call = ta.calls[i]!;
    const emit = EMITTERS[call.kernel];
    const where = call.module ? `module '${call.module}'` : 'the model itself';
    if (!emit) {
      throw new OnnxExportError(`exportOnnx(${who}): ${where} dispatches the tfjs kernel '${call.kernel}', which has no ONNX emitter`, call.module, call.kernel);
    }
    const prefix = `${call.module || 'model'}/${call.kernel}`;
    const ctx: EmitContext = {
      call,
      twin: tb?.calls[i] ?? null,
      g,
      prefix,
      isDyn: (r) => vals.has(r.id),
      val: (r) => {
        const v = vals.get(r.id);
        if (!v) throw new OnnxExportError(`exportOnnx(${who}): internal error: ${prefix} reads an unknown value`, call.module, call.kernel);
        return v;
      },
      as: (r, perm) => {
        const v = vals.get(r.id);
        if (!v) return constName(r, perm, call);
        if (v.perm.length !== perm.length) throw new OnnxExportError(`exportOnnx(${who}): internal error: rank mismatch at ${prefix}`, call.module, call.kernel);
        if (v.perm.every((p, k) => p === perm[k])) return v.name;
        // onnx dim k of the result = tfjs dim perm[k] = current onnx dim pinv[perm[k]].
        const pinv: number[] = [];
        v.perm.forEach((p, k) => {
          pinv[p] = k;
        });
        const t = perm.map((p) => pinv[p]!);
        const key = `${v.name}|${t.join(',')}`;
        let name = transposeCache.get(key);
        if (!name) {
          name = g.node('Transpose', [v.name], { perm: t }, { name: `${prefix}.transpose` })[0]!;
          transposeCache.set(key, name);
        }
        return name;
      },
      tf: (r) => ctx.as(r, r.shape.map((_, k) => k)),
      set: (r, name, perm) => vals.set(r.id, { name, perm: perm ?? r.shape.map((_, k) => k) }),
      constValue: (r): ConstValue => {
        const cv = ta.consts.get(r.id);
        if (!cv) throw new OnnxExportError(`exportOnnx(${who}): internal error: no value recorded for a constant of ${prefix}`, call.module, call.kernel);
        return cv;
      },
      node: (op: string, inputs: string[], attrs?: Record<string, AttrValue | undefined>, opts?: { outputs?: number; domain?: string }) =>
        g.node(op, inputs, attrs, { ...opts, name: prefix }),
      shape: (dims, dimsB, mode) => {
        const diff = dimsB ? dims.map((d, k) => d !== dimsB[k]) : dims.map(() => false);
        const n = diff.filter(Boolean).length;
        if (!n) return g.i64(dims);
        if (mode === 'reshape' && n === 1) return g.i64(dims.map((d, k) => (diff[k] ? -1 : d)));
        const parts = dims.map((d, k) => {
          if (!diff[k]) return g.i64([d]);
          const [ba, bb] = batches as [number, number];
          const m = d / ba;
          if (!Number.isInteger(m) || dimsB![k]! / bb !== m) {
            throw new OnnxExportError(`exportOnnx(${who}): ${prefix} has a size that is not a multiple of the batch`, call.module, call.kernel);
          }
          return m === 1 ? batchName() : g.node('Mul', [batchName(), g.i64([m])], {}, { name: `${prefix}.batch` })[0]!;
        });
        return g.node('Concat', parts, { axis: 0 }, { name: `${prefix}.shape` })[0]!;
      },
    };
    try {
      emit(ctx);
    } catch (e) {
      if (e instanceof OnnxExportError && e.message.startsWith('exportOnnx(')) throw e;
      const msg = e instanceof Error ? e.message : String(e);
      throw new OnnxExportError(`exportOnnx(${who}): ${where}, kernel '${call.kernel}': ${msg}`, call.module, call.kernel);
    }
    for (const r of call.outputs) {
      if (!vals.has(r.id)) throw new OnnxExportError(`exportOnnx(${who}): internal error: ${prefix} left an output unset`, call.module, call.kernel);
    }
  }

  // Outputs, named as asked, 4-D maps in the export layout.
  const batchParam = tb ? 'batch' : null;
  const valueInfo = (name: string, dims: (number | string)[], dtype: tf.DataType): ValueInfoMsg => ({
    name,
    type: { tensorType: { elemType: onnxType(dtype), shape: { dim: dims.map((d) => (typeof d === 'string' ? { dimParam: d } : { dimValue: d })) } } },
  });
  const outputs: ValueInfoMsg[] = [];
  // A value written out under an output's name: later references to it use that name.
  const renamed = new Map<string, string>();
  ta.outputs.forEach((r, i) => {
    const v = vals.get(r.id);
    if (!v) throw new OnnxExportError(`exportOnnx(${who}): output ${i} does not depend on the input`);
    const name = renamed.get(v.name) ?? v.name;
    const rank = r.shape.length;
    const perm = rank === 4 && layout === 'NCHW' ? NCHW : r.shape.map((_, k) => k);
    const rb = twinOf.get(r.id) ?? tb?.outputs[i];
    const producer = renamed.has(v.name) ? undefined : g.nodes.find((n) => n.output.includes(v.name));
    if (!v.perm.every((p, k) => p === perm[k])) {
      const pinv: number[] = [];
      v.perm.forEach((p, k) => {
        pinv[p] = k;
      });
      g.node('Transpose', [name], { perm: perm.map((p) => pinv[p]!) }, { out: [outNames[i]!] });
    } else if (producer) {
      // Already in the output layout: the node that computes it writes the output itself, and its other consumers
      // (a feature map that the trunk goes on from) read it by that name. An Identity there is what onnxruntime's
      // graph optimizer mishandles: its Identity elimination and Pad fusion left a consumer with no producer
      // (resnetv2_50x1_bit features_only would not load).
      const out = outNames[i]!;
      producer.output = producer.output.map((o) => (o === v.name ? out : o));
      for (const n of g.nodes) n.input = n.input.map((x) => (x === v.name ? out : x));
      renamed.set(v.name, out);
    } else g.node('Identity', [name], {}, { out: [outNames[i]!] });
    const from = outNames[i]!;
    const dims: (number | string)[] = perm.map((p) => r.shape[p]!);
    const dimsB = rb ? perm.map((p) => rb.shape[p]!) : null;
    outputs.push(valueInfo(from, dims.map((d, k) => (dimsB && dimsB[k] !== d ? batchParam! : d)), r.dtype));
  });

  const [c, h, w] = inputSize;
  const inDims: (number | string)[] = layout === 'NCHW' ? [batchParam ?? batches[0]!, c, h, w] : [batchParam ?? batches[0]!, h, w, c];
  const opsets = [{ domain: '', version: opset }, ...[...g.domains].map((d) => ({ domain: d, version: 1 }))];
  return encodeModel({
    irVersion: 8,
    opsetImport: opsets,
    producerName: '@zoo/onnx',
    producerVersion: PRODUCER_VERSION,
    docString: `${who} exported by @zoo/onnx`,
    graph: {
      name: who,
      node: g.nodes,
      initializer: g.initializers,
      input: [valueInfo(inputName, inDims, 'float32')],
      output: outputs,
    },
    metadataProps: [{ key: 'layout', value: layout }],
  });
}
