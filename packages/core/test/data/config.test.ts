import { describe, expect, it } from 'vitest';
import { fromTimmDict, snakeToCamel } from '../../src/config/pretrained.js';
import { type DataConfigOverrides, resolveDataConfig } from '../../src/data/index.js';
import { fromTimmDataConfig, readJson } from './helpers.js';

const configFx = readJson('config_cases.json');
const preprocessFx = readJson('preprocess.json');

function overridesOf(args: Record<string, unknown>): DataConfigOverrides {
  const o: Record<string, unknown> = {};
  for (const [k, v] of Object.entries(args)) o[snakeToCamel(k)] = v;
  return o as DataConfigOverrides;
}

describe('resolveDataConfig matches timm resolve_data_config', () => {
  for (const c of configFx.cases) {
    const name = `${c.model ?? '(no cfg)'} args=${JSON.stringify(c.args)} useTestSize=${c.use_test_size}`;
    it(name, () => {
      const pretrainedCfg = c.model ? fromTimmDict(configFx.pretrained_cfgs[c.model]) : undefined;
      const got = resolveDataConfig({ pretrainedCfg, overrides: overridesOf(c.args), useTestSize: c.use_test_size });
      expect(got).toEqual(fromTimmDataConfig(c.data_config));
    });
  }

  it('takes the cfg from a model object', () => {
    const cfg = fromTimmDict(configFx.pretrained_cfgs['resnet50.a1_in1k']);
    const model = { pretrainedCfg: cfg };
    expect(resolveDataConfig({ model })).toEqual({
      inputSize: [3, 224, 224],
      interpolation: 'bicubic',
      mean: [0.485, 0.456, 0.406],
      std: [0.229, 0.224, 0.225],
      cropPct: 0.95,
      cropMode: 'center',
    });
    expect(resolveDataConfig({ model, useTestSize: true }).inputSize).toEqual([3, 288, 288]);
    expect(resolveDataConfig({ model, useTestSize: true }).cropPct).toBe(1.0);
    // an explicit pretrainedCfg wins over the model's
    const vit = fromTimmDict(configFx.pretrained_cfgs['vit_small_patch16_224.augreg_in21k_ft_in1k']);
    expect(resolveDataConfig({ model, pretrainedCfg: vit }).mean).toEqual([0.5, 0.5, 0.5]);
  });

  it('agrees with the data configs recorded with the photo fixtures', () => {
    for (const c of preprocessFx.cases) {
      const pretrainedCfg = fromTimmDict(configFx.pretrained_cfgs[c.model]);
      const got = resolveDataConfig({ pretrainedCfg, overrides: overridesOf(c.overrides) });
      expect(got, `${c.model} ${JSON.stringify(c.overrides)}`).toEqual(fromTimmDataConfig(c.data_config));
    }
  });

  it('does not share arrays with the cfg', () => {
    const cfg = fromTimmDict(configFx.pretrained_cfgs['resnet18.tv_in1k']);
    const got = resolveDataConfig({ pretrainedCfg: cfg });
    got.mean[0] = 9;
    got.inputSize[1] = 9;
    expect(cfg.mean![0]).toBe(0.485);
    expect(cfg.inputSize![1]).toBe(224);
  });

  it('rejects no input at all and bad stats lengths', () => {
    expect(() => resolveDataConfig({})).toThrow();
    expect(() => resolveDataConfig({ overrides: { mean: [0.1, 0.2] } })).toThrow();
  });
});
