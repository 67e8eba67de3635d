import { readFileSync } from 'node:fs';
import { join } from 'node:path';
import * as tf from '@tensorflow/tfjs-core';
import { createModel, type FeatureModel, type StateDict, setBackend } from '@zoo/core';
import { checkpointFilterFn, FastVit } from '@zoo/fastvit';
import { camelKwargs, compareOutput, fixtureInput, fixtureStateDict, type ParityFixture } from '@zoo/parity/pure';
import { beforeAll, describe, expect, it } from 'vitest';

beforeAll(async () => {
  await setBackend('wasm');
});

const fixture = (id: string) => JSON.parse(readFileSync(join(import.meta.dirname, 'fixtures', `${id}.json`), 'utf8')) as ParityFixture;
const TRAIN_TIME = /conv_kxk|conv_scale|\.identity\.|large_conv|small_conv|pos_enc|token_mixer\.(norm|mixer|layer_scale)/;

describe("reparameterize(): timm's reparameterize_model", () => {
  // Fused modules: 3 stem blocks, 2 per patch embed (large-kernel conv + 1×1 MobileOne) in stages 1–3, one per RepMixer
  // block, one per RepCPE, final_conv. t8: 3 + 6 + (2+2+4+2) + 0 + 1 = 20; sa12: 3 + 6 + (2+2+6) + 1 + 1 = 21.
  for (const [id, fused] of [['fastvit_t8', 20], ['fastvit_sa12', 21]] as const) {
    it(`${id}: the fused model matches timm's unfused outputs at the fixture bar, and loads into inferenceMode`, async () => {
      const f = fixture(id);
      const m = (await createModel(f.model, camelKwargs(f.kwargs))) as FastVit;
      m.loadStateDict(fixtureStateDict(f));
      const x = fixtureInput(f);
      expect(m.reparameterize()).toBe(fused);
      const sd = m.stateDict();
      const keys = Object.keys(sd);
      expect(keys.filter((k) => TRAIN_TIME.test(k))).toEqual([]);
      expect(keys).toContain('stem.0.reparam_conv.weight');
      expect(keys).toContain('stages.1.blocks.0.token_mixer.reparam_conv.bias');
      expect(keys).toContain('final_conv.se.fc1.weight');
      for (const name of ['logits', 'forward_features'] as const) {
        const y = name === 'logits' ? m.forward(x) : m.forwardFeatures(x);
        const r = compareOutput(name, y, f.outputs[name] as never);
        console.log(`${id} fused ${r.message}`);
        expect(r.ok, r.message).toBe(true);
        y.dispose();
      }
      // timm's inference_mode=True builds the fused structure directly: the fused state dict loads strictly into it.
      const fusedModel = (await createModel(f.model, { inferenceMode: true })) as FastVit;
      expect(Object.keys(fusedModel.stateDict()).sort()).toEqual([...keys].sort());
      fusedModel.loadStateDict(sd);
      const a = m.forward(x);
      const b = fusedModel.forward(x);
      expect(tf.tidy(() => tf.max(tf.abs(tf.sub(a, b))).dataSync()[0]!)).toBe(0);
      expect(m.reparameterize()).toBe(fused); // idempotent: every block returns at once
      const c = m.forward(x);
      expect(tf.tidy(() => tf.max(tf.abs(tf.sub(a, c))).dataSync()[0]!)).toBe(0);
      tf.dispose([x, a, b, c]);
      m.dispose();
      fusedModel.dispose();
    });
  }
});

describe('FastViT features and intermediates as timm', () => {
  it("features_only: the four stages (timm's default out_indices), or the ones asked for", async () => {
    const x = tf.zeros([1, 64, 64, 3]);
    const fm = (await createModel('fastvit_t8', { featuresOnly: true })) as FeatureModel;
    expect(fm.featureInfo.channels()).toEqual([48, 96, 192, 384]);
    expect(fm.featureInfo.reduction()).toEqual([4, 8, 16, 32]);
    const maps = fm.forward(x) as tf.Tensor[];
    expect(maps.map((t) => t.shape)).toEqual([[1, 16, 16, 48], [1, 8, 8, 96], [1, 4, 4, 192], [1, 2, 2, 384]]);
    tf.dispose(maps);
    fm.dispose();
    const some = (await createModel('fastvit_t8', { featuresOnly: true, outIndices: [1, 3] })) as FeatureModel;
    expect(some.featureInfo.channels()).toEqual([96, 384]);
    some.dispose();
    // MCi3/MCi4 have five stages; timm's default out_indices still take the first four.
    const mci3 = (await createModel('fastvit_mci3', { featuresOnly: true, embedDims: [16, 32, 64, 128, 256], layers: [1, 1, 1, 1, 1] })) as FeatureModel;
    expect(mci3.featureInfo.channels()).toEqual([16, 32, 64, 128]);
    mci3.dispose();
    x.dispose();
  });

  it('forwardIntermediates: stage maps, final_conv only after the last stage; pruning drops later stages and the head', async () => {
    const m = (await createModel('fastvit_t8')) as FastVit;
    const x = tf.zeros([1, 64, 64, 3]);
    const all = m.forwardIntermediates(x);
    expect(all.intermediates.map((t) => t.shape)).toEqual([[1, 16, 16, 48], [1, 8, 8, 96], [1, 4, 4, 192], [1, 2, 2, 384]]);
    expect(all.final.shape).toEqual([1, 2, 2, 768]);
    const early = m.forwardIntermediates(x, { indices: [1], stopEarly: true });
    expect(early.intermediates.map((t) => t.shape)).toEqual([[1, 8, 8, 96]]);
    expect(early.final.shape).toEqual([1, 8, 8, 96]); // no final_conv when stopped early, as timm
    expect(() => m.forwardIntermediates(x, { outputFmt: 'NLC' })).toThrow(/outputFmt 'NLC'/);
    expect(m.pruneIntermediateLayers([0, 1])).toEqual([0, 1]);
    expect(m.stages.length).toBe(2);
    expect(m.numClasses).toBe(0);
    const pruned = m.forwardIntermediates(x, { intermediatesOnly: true });
    expect(pruned.map((t) => t.shape)).toEqual([[1, 16, 16, 48], [1, 8, 8, 96]]);
    tf.dispose([x, all.final, ...all.intermediates, early.final, ...early.intermediates, ...pruned]);
    m.dispose();
  });
});

describe('FastViT arguments and checkpoints', () => {
  it('refuses a token mixer or a per-stage list timm would not build, naming it', () => {
    expect(() => new FastVit({ layers: [1, 1], embedDims: [32, 64], tokenMixers: ['repmixer', 'pooling'] })).toThrow(/token mixer 'pooling'/);
    expect(() => new FastVit({ layers: [1, 1], embedDims: [32, 64, 128] })).toThrow(/embedDims needs 2 values/);
    expect(() => new FastVit({ layers: [1, 1], embedDims: [16, 48], tokenMixers: ['repmixer', 'attention'] })).toThrow(/divisible by headDim/);
  });

  it('projDropRate drops MLP activations in training only (timm ConvMlp dropout), never in eval', () => {
    const m = new FastVit({ layers: [1, 1], embedDims: [16, 32], mlpRatios: [2, 2], projDropRate: 0.5, numClasses: 4 });
    const x = tf.randomNormal([1, 32, 32, 3], 0, 1, 'float32', 3);
    m.eval();
    const [e1, e2] = [m.forward(x), m.forward(x)];
    expect(tf.tidy(() => tf.max(tf.abs(tf.sub(e1, e2))).dataSync()[0]!)).toBe(0);
    m.train();
    const [t1, t2] = [m.forward(x), m.forward(x)];
    expect(tf.tidy(() => tf.max(tf.abs(tf.sub(t1, t2))).dataSync()[0]!)).toBeGreaterThan(0);
    tf.dispose([x, e1, e2, t1, t2]);
    m.dispose();
  });

  it("renames Apple's original checkpoint keys to timm's, as timm's checkpoint_filter_fn", async () => {
    const t = (shape: number[]) => ({ dtype: 'float32' as const, shape, data: new Float32Array(shape.reduce((a, b) => a * b, 1)).map((_, i) => i) });
    const sd = {
      'patch_embed.0.rbr_conv.0.conv.weight': t([1]),
      'network.0.0.token_mixer.mixer.rbr_skip.weight': t([1]),
      'network.0.0.layer_scale': t([1]),
      'network.1.proj.0.lkb_origin.conv.weight': t([1]),
      'network.2.1.convffn.fc1.weight': t([1]),
      'network.5.pe.weight': t([1]),
      'network.5.proj.1.rbr_scale.conv.weight': t([1]),
      'network.6.0.layer_scale_1': t([1]),
      'conv_exp.se.reduce.weight': t([1]),
      'head.weight': t([1]),
    } as StateDict;
    expect(Object.keys(checkpointFilterFn(sd))).toEqual([
      'stem.0.conv_kxk.0.conv.weight', 'stages.0.blocks.0.token_mixer.mixer.identity.weight', 'stages.0.blocks.0.layer_scale.gamma',
      'stages.1.downsample.proj.0.large_conv.conv.weight', 'stages.1.blocks.1.mlp.fc1.weight', 'stages.2.pos_emb.pos_enc.weight',
      'stages.2.downsample.proj.1.conv_scale.conv.weight', 'stages.2.blocks.0.layer_scale_1.gamma', 'final_conv.se.fc1.weight', 'head.fc.weight',
    ]);
    const timmFormat = { 'stem.0.conv_kxk.0.conv.weight': t([1]) } as StateDict;
    expect(checkpointFilterFn(timmFormat)).toBe(timmFormat);
    // MobileCLIP: the CLIP projection `head.proj` [in, out] becomes head.fc [out, in] with a zero bias.
    const m = (await createModel('fastvit_mci0')) as FastVit;
    const clip = checkpointFilterFn({ 'image_encoder.model.patch_embed.0.rbr_conv.0.conv.weight': t([1]), 'image_encoder.model.head.proj': t([2, 3]), 'text_encoder.x': t([1]) } as StateDict, m);
    expect(Object.keys(clip)).toEqual(['stem.0.conv_kxk.0.conv.weight', 'head.fc.bias', 'head.fc.weight']);
    expect(clip['head.fc.weight']!.shape).toEqual([3, 2]);
    expect([...(clip['head.fc.weight']!.data as Float32Array)]).toEqual([0, 3, 1, 4, 2, 5]);
    expect([...(clip['head.fc.bias']!.data as Float32Array)]).toEqual([0, 0, 0]);
    const openClip = checkpointFilterFn({ 'module.visual.trunk.stem.0.conv_kxk.0.conv.weight': t([1]), 'module.text.x': t([1]) } as StateDict);
    expect(Object.keys(openClip)).toEqual(['stem.0.conv_kxk.0.conv.weight']);
    m.dispose();
  });
});
