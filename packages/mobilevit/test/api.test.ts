import { readFileSync } from 'node:fs';
import { join } from 'node:path';
import * as tf from '@tensorflow/tfjs-core';
import { createModel, MobileVitBlock, MobileVitV2Block, setBackend } from '@zoo/core';
import { MobileVit } from '@zoo/mobilevit';
import { compareOutput, fixtureInput, fixtureStateDict, type OutputRecord, type ParityFixture } from '@zoo/parity/pure';
import { beforeAll, describe, expect, it } from 'vitest';
import { archs } from '../src/archs.js';

beforeAll(async () => {
  await setBackend('wasm');
});

const fixture = (id: string) => JSON.parse(readFileSync(join(import.meta.dirname, 'fixtures', `${id}.json`), 'utf8')) as ParityFixture;

describe('MobileViT intermediates and pruning as timm', () => {
  it("forwardIntermediates gives timm's features_only maps (final_conv in the last level), without leaking tensors", async () => {
    const f = fixture('mobilevit_xxs_features');
    const m = (await createModel('mobilevit_xxs')) as MobileVit;
    m.loadStateDict(fixtureStateDict(fixture('mobilevit_xxs')));
    expect(m.featureInfo.map((i) => i.module)).toEqual(['stages.0', 'stages.1', 'stages.2', 'stages.3', 'final_conv']);
    expect(m.levelStages).toEqual([1, 2, 3, 4, 5]);
    const x = fixtureInput(f);
    m.forward(x).dispose(); // the first pass caches BatchNorm folded into its convs
    const before = tf.memory().numTensors;
    const { final, intermediates } = m.forwardIntermediates(x);
    expect(tf.memory().numTensors - before).toBe(intermediates.length + 1);
    const records = f.outputs.features as unknown as OutputRecord[];
    intermediates.forEach((t, i) => {
      const r = compareOutput(`features[${i}]`, t, records[i]!);
      expect(r.ok, r.message).toBe(true);
    });
    expect(final.shape).toEqual([1, 8, 8, 320]);

    // timm's exclude_final_conv: the last level is stages.4's 80 channels; final still passes final_conv
    const ex = m.forwardIntermediates(x, { indices: [4], excludeFinalConv: true } as { indices: number[] });
    expect(ex.intermediates[0]!.shape).toEqual([1, 8, 8, 80]);
    expect(ex.final.shape).toEqual([1, 8, 8, 320]);
    // stopEarly at level 2 runs three stages only
    const early = m.forwardIntermediates(x, { indices: [2], stopEarly: true });
    expect(early.final.shape).toEqual([1, 32, 32, 48]);
    tf.dispose([x, final, ...intermediates, ex.final, ...ex.intermediates, early.final, ...early.intermediates]);

    expect(m.pruneIntermediateLayers([0, 2])).toEqual([0, 2]);
    expect(Object.keys(m.stateDict()).some((k) => k.startsWith('stages.3.') || k.startsWith('final_conv.') || k.startsWith('head.'))).toBe(false);
    m.dispose();
  });

  it("builds both of core's MobileViT block types from the arch table rows", async () => {
    const v1 = (await createModel('mobilevit_xxs')) as MobileVit;
    const v2 = (await createModel('mobilevitv2_050')) as MobileVit;
    expect(v1.stages.getChild('2')!.getChild('1')).toBeInstanceOf(MobileVitBlock);
    expect(v2.stages.getChild('4')!.getChild('1')).toBeInstanceOf(MobileVitV2Block);
    // v2's final_conv is an Identity (timm names the last level after it all the same), 256 channels at multiplier 0.5
    expect(v2.featureInfo.at(-1)).toMatchObject({ module: 'final_conv', numChs: 256, reduction: 32 });
    expect(Object.keys(v2.stateDict()).some((k) => k.startsWith('final_conv.'))).toBe(false);
    expect(Object.keys(archs)).toHaveLength(10);
    v1.dispose();
    v2.dispose();
  });
});

describe('MobileViT options', () => {
  it('refuses heads MobileViT has no parts for, naming the option, and an unknown block type names the known ones', () => {
    const cfg = archs.mobilevit_xxs!.cfg;
    expect(() => new MobileVit({ cfg, headType: 'mlp' })).toThrow(/MobileVit: headType 'mlp'/);
    expect(() => new MobileVit({ cfg, headHiddenSize: 64 })).toThrow(/headHiddenSize/);
    const bad = { ...cfg, blocks: [{ type: 'mobilevit3', d: 1, c: 16 }] };
    expect(() => new MobileVit({ cfg: bad })).toThrow(/unknown block type 'mobilevit3'.*mobilevit, mobilevit2/);
  });

  it('takes timm kwargs over the cfg (act layer, output stride, classes, input channels)', async () => {
    const m = (await createModel('mobilevitv2_050', { numClasses: 7, inChans: 1, outputStride: 16, actLayer: 'relu' })) as MobileVit;
    expect(m.cfg.actLayer).toBe('relu');
    expect(m.featureInfo.at(-1)!.reduction).toBe(16);
    const y = m.forward(tf.zeros([1, 64, 64, 1]));
    expect(y.shape).toEqual([1, 7]);
    y.dispose();
    m.dispose();
  });
});
