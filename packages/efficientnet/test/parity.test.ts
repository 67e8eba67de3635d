import { readdirSync, readFileSync } from 'node:fs';
import { join } from 'node:path';
import * as tf from '@tensorflow/tfjs-core';
import { createModel, type FeatureModel, type VisionModel } from '@zoo/core';
import { beforeAll, describe, expect, it } from 'vitest';
import '@zoo/efficientnet';
import {
  camelKwargs, compareOutput, fixtureInput, type OutputRecord, type ParityFixture, writeFixtureWeights,
} from '@zoo/parity';

const dir = join(import.meta.dirname, 'fixtures');
const fixtures = readdirSync(dir).filter((f) => f.endsWith('.json')).map((f) => JSON.parse(readFileSync(join(dir, f), 'utf8')) as ParityFixture);

beforeAll(async () => {
  const { setBackend } = await import('@zoo/core');
  const info = await setBackend('wasm');
  expect(info.backend).toBe('wasm');
});

describe('EfficientNet family matches timm (wasm backend)', () => {
  it('has the fixtures', () => expect(fixtures.length).toBeGreaterThanOrEqual(13));
  for (const f of fixtures) {
    it(f.id, async () => {
      const weights = writeFixtureWeights(f);
      const kwargs = camelKwargs(f.kwargs);
      const model = f.weights.via === 'direct'
        ? await createModel(f.model, { ...kwargs, checkpointPath: weights })
        : await createModel(f.model, { ...kwargs, pretrained: true, pretrainedCfgOverlay: { file: weights } });
      const x = fixtureInput(f);
      // Folded conv+BN weights are derived on the first forward and kept; count tensors after that.
      tf.dispose((model as VisionModel).forward(x));
      const before = tf.memory().numTensors;
      const results: string[] = [];
      let failed = false;
      const check = (name: string, t: tf.Tensor, rec: OutputRecord) => {
        const r = compareOutput(name, t, rec);
        results.push(r.message);
        if (!r.ok) failed = true;
        if (!f.compare.includes(name.replace(/\[\d+\]$/, ''))) return;
        expect(r.ok, r.message).toBe(true);
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
        else expect(logits.shape).toEqual([rec.shape[0], rec.shape[1]]);
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
      if (failed) console.log(results.join('\n'));
      x.dispose();
      model.dispose();
    });
  }
});
