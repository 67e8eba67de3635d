/**
 * Entry of one `createPool` worker thread: its own tfjs instance on the wasm backend (one XNNPACK thread by
 * default), the model families named by the pool imported, one model built. Messages: `{ id, inputs, output }` in,
 * `{ id, results }` or `{ id, error }` out.
 */
import { parentPort, workerData } from 'node:worker_threads';
import * as tf from '@tensorflow/tfjs-core';
import type { PoolInput, PoolOutputKind, PoolResult, PoolWorkerData } from './pool.js';

interface Job {
  id: number;
  inputs: PoolInput[];
  output: PoolOutputKind;
}

const port = parentPort;
if (!port) throw new Error('pool-worker must run in a worker thread');
const data = workerData as PoolWorkerData;

function errorMessage(e: unknown): string {
  return e instanceof Error ? (e.stack ?? e.message) : String(e);
}

async function main(): Promise<void> {
  const { setNodeBackend } = await import('./threads.js');
  await setNodeBackend({ numThreads: data.numThreads, onNotice: null });
  for (const m of data.modules) await import(m);
  const { createModel } = await import('../factory/create.js');
  const model = await createModel(data.model, { ...data.options, featuresOnly: false });
  let transform: ((inputs: unknown[]) => Promise<tf.Tensor4D>) | null = null;
  const toBatch = async (inputs: PoolInput[]): Promise<tf.Tensor4D> => {
    if (inputs.every((x) => typeof x === 'object' && x !== null && 'data' in x && 'shape' in x && !(x instanceof Uint8Array))) {
      const arrays = inputs as { data: Float32Array; shape: number[] }[];
      const [h, w, c] = arrays[0]!.shape;
      const batch = new Float32Array(arrays.length * h! * w! * c!);
      arrays.forEach((a, i) => {
        if (a.shape.join() !== arrays[0]!.shape.join()) throw new Error(`pool: inputs of one batch differ in shape ([${a.shape}] vs [${arrays[0]!.shape}])`);
        batch.set(a.data, i * a.data.length);
      });
      return tf.tensor4d(batch, [arrays.length, h!, w!, c!]);
    }
    if (!transform) {
      const { resolveDataConfig } = await import('../data/config.js');
      const { createNodeTransform } = await import('./index.js');
      const t = createNodeTransform(resolveDataConfig({ model }));
      transform = (xs) => t(xs as never);
    }
    return transform(inputs);
  };
  const run = async (job: Job) => {
    try {
      const x = await toBatch(job.inputs);
      const y = tf.tidy(() => {
        if (job.output === 'features') return model.forwardFeatures(x);
        if (job.output === 'preLogits') return model.forwardHead(model.forwardFeatures(x), { preLogits: true });
        return model.forward(x);
      });
      x.dispose();
      const flat = (await y.data()) as Float32Array;
      const [n, ...rest] = y.shape;
      y.dispose();
      const per = flat.length / n!;
      const results: PoolResult[] = [];
      for (let i = 0; i < n!; i++) results.push({ data: flat.slice(i * per, (i + 1) * per), shape: rest });
      port!.postMessage({ id: job.id, results }, results.map((r) => r.data.buffer as ArrayBuffer));
    } catch (e) {
      port!.postMessage({ id: job.id, error: errorMessage(e) });
    }
  };
  // One job at a time, in arrival order (the pool posts the next job before this one is done).
  let queue = Promise.resolve();
  port!.on('message', (job: Job) => {
    queue = queue.then(() => run(job));
  });
  port!.postMessage({ ready: true, backend: tf.getBackend() });
}

main().catch((e) => {
  port!.postMessage({ fatal: errorMessage(e) });
});
