import { readdirSync, readFileSync } from 'node:fs';
import { join } from 'node:path';
import * as tf from '@tensorflow/tfjs-core';
import { createModel, type FeatureModel, setBackend, type VisionModel } from '@zoo/core';
import { beforeAll, describe, expect, it } from 'vitest';
import { camelKwargs, compareOutput, fixtureInput, type OutputRecord, type ParityFixture, removeFixtureWeights, writeFixtureWeights } from './index.js';

/**
 * Defines one test per parity fixture in `dir`: builds the case's model through the public API (`checkpointPath`
 * for `direct` cases, `pretrained` + `pretrainedCfgOverlay.file` for `pretrained` ones) on the wasm backend and
 * compares every output timm recorded at the fixture bar, plus feature info, class/feature counts and tensor leaks.
 * The family under test must be imported (registered) by the calling test file.
 */
export function describeParity(title: string, dir: string, expectedCount: number): void {
  const fixtures = readdirSync(dir)
    .filter((f) => f.endsWith('.json'))
    .map((f) => JSON.parse(readFileSync(join(dir, f), 'utf8')) as ParityFixture);

  beforeAll(async () => {
    const info = await setBackend('wasm');
    expect(info.backend).toBe('wasm');
  });

  describe(title, () => {
    it('has the fixtures', () => expect(fixtures.length).toBeGreaterThanOrEqual(expectedCount));
    for (const f of fixtures) it(f.id, () => runCase(f));
  });
}

async function runCase(f: ParityFixture): Promise<void> {
  const weights = writeFixtureWeights(f);
  const kwargs = camelKwargs(f.kwargs);
  let model: VisionModel | FeatureModel;
  try {
    model =
      f.weights.via === 'direct'
        ? await createModel(f.model, { ...kwargs, checkpointPath: weights })
        : await createModel(f.model, { ...kwargs, pretrained: true, pretrainedCfgOverlay: { file: weights } });
  } finally {
    removeFixtureWeights(weights);
  }
  const x = fixtureInput(f);
  // Folded conv+BN weights are derived on the first forward and kept; count tensors after that.
  tf.dispose((model as unknown as VisionModel).forward(x));
  const before = tf.memory().numTensors;
  const results: string[] = [];
  const check = (name: string, t: tf.Tensor, rec: OutputRecord) => {
    const r = compareOutput(name, t, rec);
    results.push(r.message);
    if (f.compare.includes(name.replace(/\[\d+\]$/, ''))) expect(r.ok, r.message).toBe(true);
  };
  if (kwargs.featuresOnly) {
    const fm = model as unknown as FeatureModel;
    const feats = fm.forward(x) as tf.Tensor[];
    const recs = f.outputs.features as OutputRecord[];
    expect(feats.length).toBe(recs.length);
    feats.forEach((t, i) => {
      check(`features[${i}]`, t, recs[i]!);
    });
    expect(fm.featureInfo.channels()).toEqual(f.feature_info.map((i) => i.num_chs));
    expect(fm.featureInfo.reduction()).toEqual(f.feature_info.map((i) => i.reduction));
    expect(fm.featureInfo.moduleName()).toEqual(f.feature_info.map((i) => i.module));
    tf.dispose(feats);
  } else {
    const m = model as unknown as VisionModel;
    const logits = m.forward(x);
    const rec = f.outputs.logits as OutputRecord;
    if (f.compare.includes('logits')) check('logits', logits, rec);
    else expect(logits.shape).toEqual(rec.shape);
    const feats = m.forwardFeatures(x);
    check('forward_features', feats, f.outputs.forward_features as OutputRecord);
    const pre = m.forwardHead(feats, { preLogits: true });
    check('pre_logits', pre, f.outputs.pre_logits as OutputRecord);
    expect(m.numClasses).toBe(f.num_classes);
    expect(m.numFeatures).toBe(f.num_features);
    expect(m.featureInfo.map((i) => [i.numChs, i.reduction, i.module])).toEqual(f.feature_info.map((i) => [i.num_chs, i.reduction, i.module]));
    tf.dispose([logits, feats, pre]);
  }
  expect(tf.memory().numTensors).toBe(before);
  console.log(`${f.id}: ${results.join('; ')}`);
  x.dispose();
  model.dispose();
}
