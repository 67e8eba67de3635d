import * as tf from '@tensorflow/tfjs-core';
import {
  type ClassPrediction, type ClassifyOptions, classLabels, createTransform, FeatureModel, type ImageInput, type PretrainedCfg,
  resolveDataConfig,
} from '@zoo/core';
import { type ExportableModel, type ExportOnnxOptions, exportOnnx } from './export.js';

/** The parts of onnxruntime's API (`onnxruntime-node`, `onnxruntime-web`) the engine uses. */
export interface OrtTensorLike {
  readonly data: unknown;
  readonly dims: readonly number[];
  readonly type: string;
  dispose?(): void;
}
export interface OrtSessionLike {
  readonly inputNames: readonly string[];
  readonly outputNames: readonly string[];
  run(feeds: Record<string, OrtTensorLike>): Promise<Record<string, OrtTensorLike>>;
  release(): Promise<void>;
}
export interface OrtLike {
  InferenceSession: { create(model: Uint8Array, options?: Record<string, unknown>): Promise<OrtSessionLike> };
  Tensor: new (type: 'float32', data: Float32Array, dims: readonly number[]) => OrtTensorLike;
}

export interface OnnxModelOptions {
  /** onnxruntime execution providers, e.g. `['cpu']` (Node default), `['wasm']` / `['webgpu', 'wasm']` (browsers). */
  executionProviders?: string[];
  /** Intra-op threads (onnxruntime's `intraOpNumThreads`; browsers: `env.wasm.numThreads` is set before). */
  threads?: number;
  /** `[C, H, W]` to export at (a model only; default the model's pretrained cfg). */
  inputSize?: [number, number, number] | number[];
  /** Further export options when a model is given (batch, opset, dtype…; the layout is always NCHW). */
  exportOptions?: Omit<ExportOnnxOptions, 'inputSize' | 'layout' | 'inputNames' | 'outputNames'>;
  /** The data config source for `classify` when bytes are given (default: ImageNet mean/std, 224², bicubic). */
  pretrainedCfg?: PretrainedCfg;
  /** Class count for `classify` when bytes are given (default: the width of the first output). */
  numClasses?: number;
  /** Whether `forward` returns a list of maps (default: a model built `featuresOnly`, or more than one output). */
  features?: boolean;
}

/** A model run by onnxruntime, with `model.forward`'s conventions (NHWC tensors in and out). */
export interface OnnxEngine {
  readonly inputName: string;
  readonly outputNames: readonly string[];
  /** NHWC batch in; the model's output (NHWC maps; a list for feature models), as tfjs tensors. */
  forward(x: tf.Tensor): Promise<tf.Tensor | tf.Tensor[]>;
  /** Raw run: NCHW float32 feeds by input name, with their dims; outputs by name (`dims` of each in `outputDims`). */
  run(feeds: Record<string, Float32Array>, dims: Record<string, readonly number[]> | readonly number[]): Promise<Record<string, Float32Array>>;
  /** Dims of each output of the last `run` / `forward`. */
  readonly outputDims: Record<string, readonly number[]>;
  /** As core's `classify`: the model's eval transform, forward, softmax, top-k classes. */
  classify<I = ImageInput>(images: I | readonly I[], options?: ClassifyOptions<I>): Promise<ClassPrediction[][]>;
  dispose(): Promise<void>;
}

const ENGINE_OPTIONS = new Set(['executionProviders', 'threads', 'inputSize', 'exportOptions', 'pretrainedCfg', 'numClasses', 'features']);

/** Builds `onnxModel` for one onnxruntime flavour (Node or web). */
export function createOnnxModel(ort: OrtLike, defaults: { executionProviders: string[]; configure?: (o: OnnxModelOptions) => void }) {
  return async function onnxModel(source: ExportableModel | Uint8Array, options: OnnxModelOptions = {}): Promise<OnnxEngine> {
    for (const k of Object.keys(options)) {
      if (!ENGINE_OPTIONS.has(k)) throw new TypeError(`onnxModel: unknown option '${k}' (known: ${[...ENGINE_OPTIONS].join(', ')})`);
    }
    if (options.threads !== undefined && !(Number.isInteger(options.threads) && options.threads > 0)) {
      throw new RangeError(`onnxModel: threads must be a positive integer, got ${options.threads}`);
    }
    const isBytes = source instanceof Uint8Array;
    const bytes = isBytes
      ? source
      : await exportOnnx(source, { ...options.exportOptions, ...(options.inputSize ? { inputSize: options.inputSize } : {}), layout: 'NCHW' });
    defaults.configure?.(options);
    const sessionOptions: Record<string, unknown> = {
      executionProviders: options.executionProviders ?? defaults.executionProviders,
      graphOptimizationLevel: 'all',
    };
    if (options.threads) {
      sessionOptions.intraOpNumThreads = options.threads;
      sessionOptions.interOpNumThreads = 1;
    }
    const session = await ort.InferenceSession.create(bytes, sessionOptions);
    if (session.inputNames.length !== 1) {
      await session.release();
      throw new Error(`onnxModel: the model has ${session.inputNames.length} inputs; one image input is supported`);
    }
    const inputName = session.inputNames[0]!;
    const outputNames = [...session.outputNames];
    const features = options.features ?? (isBytes ? outputNames.length > 1 : source instanceof FeatureModel);
    const pretrainedCfg = options.pretrainedCfg ?? (isBytes ? undefined : source.pretrainedCfg);
    let numClasses = options.numClasses ?? (isBytes ? undefined : (source as { numClasses?: number }).numClasses);
    const outputDims: Record<string, readonly number[]> = {};
    let disposed = false;

    const run = async (feeds: Record<string, Float32Array>, dims: Record<string, readonly number[]> | readonly number[]) => {
      if (disposed) throw new Error('onnxModel: the engine was disposed');
      const ortFeeds: Record<string, OrtTensorLike> = {};
      for (const [name, data] of Object.entries(feeds)) {
        const d = Array.isArray(dims) ? (dims as readonly number[]) : (dims as Record<string, readonly number[]>)[name];
        if (!d) throw new Error(`onnxModel.run: no dims given for input '${name}'`);
        if (d.reduce((a, b) => a * b, 1) !== data.length) throw new RangeError(`onnxModel.run: input '${name}' has ${data.length} values for dims [${d}]`);
        ortFeeds[name] = new ort.Tensor('float32', data, d);
      }
      const res = await session.run(ortFeeds);
      const out: Record<string, Float32Array> = {};
      for (const [name, t] of Object.entries(res)) {
        if (t.type !== 'float32') throw new Error(`onnxModel.run: output '${name}' is ${t.type}, not float32`);
        out[name] = t.data as Float32Array;
        outputDims[name] = [...t.dims];
        t.dispose?.();
      }
      return out;
    };

    const forward = async (x: tf.Tensor): Promise<tf.Tensor | tf.Tensor[]> => {
      if (x.rank !== 4) throw new RangeError(`onnxModel.forward: expected an NHWC batch [B, H, W, C], got shape [${x.shape}]`);
      const nchw = tf.transpose(x, [0, 3, 1, 2]);
      let data: Float32Array;
      try {
        data = (await nchw.data()) as Float32Array;
      } finally {
        nchw.dispose();
      }
      const res = await run({ [inputName]: data }, [x.shape[0]!, x.shape[3]!, x.shape[1]!, x.shape[2]!]);
      const outs = outputNames.map((name) => {
        const d = outputDims[name]!;
        return tf.tidy(() => {
          const t = tf.tensor(res[name]!, [...d], 'float32');
          return d.length === 4 ? tf.transpose(t, [0, 2, 3, 1]) : t;
        });
      });
      return features ? outs : outs[0]!;
    };

    const classify = async <I = ImageInput>(images: I | readonly I[], o: ClassifyOptions<I> = {}): Promise<ClassPrediction[][]> => {
      const cfg = pretrainedCfg ?? {};
      if (features) throw new Error('onnxModel.classify: a feature model has no classifier');
      const k0 = o.topK ?? 5;
      const batchSize = o.batchSize ?? 16;
      if (!Number.isInteger(batchSize) || batchSize < 1) throw new RangeError(`classify: batchSize must be a positive integer, got ${o.batchSize}`);
      const transform = o.transform ?? createTransform<I>(resolveDataConfig({ pretrainedCfg: Object.keys(cfg).length ? cfg : { inputSize: [3, 224, 224] } }));
      const list: readonly I[] = Array.isArray(images) ? (images as readonly I[]) : [images as I];
      const out: ClassPrediction[][] = [];
      for (let start = 0; start < list.length; start += batchSize) {
        const chunk = list.slice(start, start + batchSize);
        const x = await transform(chunk);
        let logits: tf.Tensor;
        try {
          logits = (await forward(x)) as tf.Tensor;
        } finally {
          x.dispose();
        }
        numClasses ??= logits.shape[1];
        const n = numClasses!;
        if (logits.rank !== 2 || logits.shape[1] !== n) {
          logits.dispose();
          throw new Error(`classify: expected logits [${chunk.length}, ${n}], got [${logits.shape.join(', ')}]`);
        }
        const k = Math.min(k0, n);
        if (!Number.isInteger(k) || k < 1) {
          logits.dispose();
          throw new RangeError(`classify: topK must be a positive integer, got ${o.topK}`);
        }
        const probs = tf.tidy(() => tf.softmax(logits));
        logits.dispose();
        const data = (await probs.data()) as Float32Array;
        probs.dispose();
        const labels = o.labels ?? classLabels({ numClasses: n, pretrainedCfg: cfg, forward: () => tf.zeros([0]) });
        for (let i = 0; i < chunk.length; i++) {
          const idx = Array.from({ length: n }, (_, j) => j);
          const off = i * n;
          idx.sort((a, b) => data[off + b]! - data[off + a]! || a - b);
          out.push(idx.slice(0, k).map((j) => ({ index: j, label: labels[j] ?? `class_${j}`, probability: data[off + j]! })));
        }
      }
      return out;
    };

    return {
      inputName,
      outputNames,
      outputDims,
      run,
      forward,
      classify,
      async dispose() {
        if (disposed) return;
        disposed = true;
        await session.release();
      },
    };
  };
}
