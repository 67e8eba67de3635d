import { readdirSync, readFileSync } from 'node:fs';
import { join } from 'node:path';
import * as tf from '@tensorflow/tfjs-core';
import { createModel, type StateDict, setBackend, type VisionModel } from '@zoo/core';
import { b64f32, camelKwargs, fixtureInput, fixtureStateDict, type OutputRecord, type ParityFixture } from '@zoo/parity/pure';
import { beforeAll, describe, expect, it } from 'vitest';
import '@zoo/resnet';
import '@zoo/efficientnet';
import '@zoo/vit';
import { createLoss, createOptimizer, type OptName, trainStep } from '../src/index.js';

/**
 * timm + PyTorch train-mode fixtures (tools/make_train_fixtures.py, copied from the shared fixture set): the loss,
 * every gradient and the BatchNorm running stats after one train-mode forward, then the losses, parameters and
 * buffers after timm's `create_optimizer_v2` steps, compared at the fixture README's bars on the wasm backend.
 */
interface StepRecord {
  config: { opt: string; lr: number; momentum?: number; weight_decay?: number; steps: number };
  losses: number[];
  params: Record<string, OutputRecord>;
  buffers: Record<string, OutputRecord>;
}
interface TrainFixture extends ParityFixture {
  labels: number[];
  loss_fn: { type: 'label_smoothing_ce' | 'ce'; smoothing: number };
  outputs: { loss: number } & Record<string, never>;
  grads: Record<string, OutputRecord>;
  buffers_after_forward: Record<string, OutputRecord>;
  steps: Record<string, StepRecord>;
}

const dir = join(import.meta.dirname, 'fixtures');
const fixtures = readdirSync(dir)
  .filter((f) => f.startsWith('train_') && f.endsWith('.json'))
  .map((f) => JSON.parse(readFileSync(join(dir, f), 'utf8')) as TrainFixture);

/** Largest |ours - timm| over the recorded elements (all, or timm's sample), skipping those `skip` rejects. */
function maxErr(data: Float32Array, rec: OutputRecord, skip?: (flat: number) => boolean): number {
  const ref = b64f32(rec.data_b64 ?? rec.sample_b64!);
  let worst = 0;
  for (let j = 0; j < ref.length; j++) {
    const flat = rec.data_b64 ? j : rec.sample_idx![j]!;
    if (skip?.(flat)) continue;
    const e = Math.abs(data[flat]! - ref[j]!);
    if (!(e <= worst)) worst = e;
  }
  return worst;
}

function expectClose(sd: StateDict, recs: Record<string, OutputRecord>, bar: (rec: OutputRecord) => number, what: string, skip?: (key: string) => ((flat: number) => boolean) | undefined): void {
  const failures: string[] = [];
  for (const [key, rec] of Object.entries(recs)) {
    const t = sd[key];
    if (!t) {
      failures.push(`${key}: missing`);
      continue;
    }
    if (t.shape.join(',') !== rec.shape.join(',')) {
      failures.push(`${key}: shape [${t.shape}] != timm [${rec.shape}]`);
      continue;
    }
    const e = maxErr(t.data as Float32Array, rec, skip?.(key));
    if (!(e <= bar(rec))) failures.push(`${key}: max err ${e.toExponential(3)} > bar ${bar(rec).toExponential(3)}`);
  }
  expect(failures, `${what}:\n${failures.join('\n')}`).toEqual([]);
}

async function freshModel(f: TrainFixture): Promise<VisionModel> {
  const model = (await createModel(f.model, camelKwargs(f.kwargs))) as VisionModel;
  model.loadStateDict(fixtureStateDict(f));
  return model.train();
}

const relLoss = (ours: number, timm: number) => Math.abs(ours - timm) / Math.abs(timm);
// The fixture tools' bar (shared/tools/check_train_conditioning.py): 1e-3 of the tensor's max |g|, floored at
// max |g| = 1e-3 — a gradient that is zero in exact arithmetic (a BN bias feeding another batch-statistics BN
// through a 1×1 conv) is float32 noise of ~1e-7 in timm too.
const gradBar = (rec: OutputRecord) => 1e-3 * Math.max(1e-3, rec.max_abs);
const paramBar = (rec: OutputRecord) => 1e-4 * Math.max(1, rec.max_abs);

function optimizerFor(model: VisionModel, c: StepRecord['config']) {
  return createOptimizer(model, { opt: c.opt as OptName, lr: c.lr, momentum: c.momentum, weightDecay: c.weight_decay });
}

beforeAll(async () => {
  expect((await setBackend('wasm')).backend).toBe('wasm');
});

describe('train steps match timm + PyTorch (wasm backend)', () => {
  it('has the fixtures', () => expect(fixtures.map((f) => f.id).sort()).toEqual(['train_efficientnet_b0_96', 'train_resnet18_64', 'train_resnet18_nc5', 'train_vit_tiny_64']));

  for (const f of fixtures) {
    describe(f.id, () => {
      const loss = createLoss({ smoothing: f.loss_fn.type === 'label_smoothing_ce' ? f.loss_fn.smoothing : 0 });

      for (const [name, rec] of Object.entries(f.steps)) {
        it(`${name}: loss, gradients, running stats, then parameters and buffers after ${rec.config.steps} step(s)`, async () => {
          const model = await freshModel(f);
          const optimizer = optimizerFor(model, rec.config);
          const x = fixtureInput(f);
          const before = tf.memory().numTensors;
          let lastGrads: StateDict | undefined;
          try {
            for (let s = 0; s < rec.config.steps; s++) {
              const r = await trainStep(model, optimizer, x, f.labels, loss, { returnGrads: true });
              expect(relLoss(r.loss, rec.losses[s]!), `loss of step ${s + 1}: ${r.loss} vs timm ${rec.losses[s]}`).toBeLessThanOrEqual(1e-4);
              lastGrads = r.grads;
              if (s === 0) {
                expect(relLoss(r.loss, f.outputs.loss)).toBeLessThanOrEqual(1e-4);
                expectClose(r.grads!, f.grads, gradBar, 'gradients');
                expectClose(model.stateDict(), f.buffers_after_forward, paramBar, 'running stats after one forward');
              }
            }
            const sd = model.stateDict();
            // AdamW: an element whose gradient is tiny steps by ±lr whichever way float32 rounds it (README).
            const skip =
              rec.config.opt === 'adamw'
                ? (key: string) => {
                    const g = lastGrads?.[key];
                    if (!g) return undefined;
                    const gd = g.data as Float32Array;
                    let mx = 0;
                    for (const v of gd) mx = Math.max(mx, Math.abs(v));
                    const cut = Math.max(1e-3 * mx, 1e-6);
                    return (flat: number) => Math.abs(gd[flat]!) < cut;
                  }
                : undefined;
            expectClose(sd, rec.params, paramBar, `parameters after ${name}`, skip);
            expectClose(sd, rec.buffers, paramBar, `buffers after ${name}`);
            // Optimizer state (momentum buffers, moments) is the only thing a step may leave behind.
            const stateTensors = rec.config.opt === 'adamw' ? 2 : 1;
            const trainable = model.namedParams().filter(([, p]) => !p.isBuffer && p.dtype === 'float32').length;
            expect(tf.memory().numTensors - before).toBeLessThanOrEqual(stateTensors * trainable);
          } finally {
            optimizer.dispose();
            x.dispose();
            model.dispose();
          }
        });
      }
    });
  }
});
