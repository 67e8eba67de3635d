import { readFileSync } from 'node:fs';
import { join } from 'node:path';
import {
  getArchPretrainedCfgs, getDefaultTag, getDeprecatedModels, getPretrainedCfg, isModel, isModelPretrained, listModels,
  listModules, listPretrained, toTimmDict,
} from '@zoo/core';
import { describe, expect, it } from 'vitest';
import { register } from '@zoo/convnext';

interface Dump {
  module: string;
  list_models: string[];
  list_models_include_tags: string[];
  list_models_pretrained: string[];
  deprecations: Record<string, string | null>;
  archs: Record<string, { default_tag: string; is_pretrained: boolean; tags: Record<string, Record<string, unknown>> }>;
}

const dump = JSON.parse(readFileSync(join(import.meta.dirname, 'fixtures/registry/convnext.json'), 'utf8')) as Dump;

describe("registry answers equal timm's for module 'convnext'", () => {
  it('lists the same architectures, tags and pretrained names, naturally sorted', () => {
    expect(listModels({ module: 'convnext' })).toEqual(dump.list_models);
    expect(listModels({ module: 'convnext', includeTags: true })).toEqual(dump.list_models_include_tags);
    expect(listModels({ module: 'convnext', pretrained: true })).toEqual(dump.list_models_pretrained);
    expect(listModules()).toContain('convnext');
  });

  it('maps deprecated names as timm does, and keeps them out of listings', () => {
    expect(getDeprecatedModels('convnext')).toEqual(dump.deprecations);
    for (const name of Object.keys(dump.deprecations)) {
      expect(isModel(name)).toBe(true);
      expect(listModels(name)).toEqual([]);
    }
  });

  it('has timm default tags, pretrained flags and every cfg value', () => {
    let checked = 0;
    for (const [arch, a] of Object.entries(dump.archs)) {
      expect(getDefaultTag(arch), arch).toBe(a.default_tag);
      expect(isModelPretrained(arch), arch).toBe(a.is_pretrained);
      expect(Object.keys(getArchPretrainedCfgs(arch))).toEqual(Object.keys(a.tags));
      for (const [name, cfg] of Object.entries(a.tags)) {
        expect(toTimmDict(getPretrainedCfg(name)!), name).toEqual(cfg);
        checked++;
      }
      // The bare architecture name resolves to its default tag's cfg.
      expect(toTimmDict(getPretrainedCfg(arch)!)).toEqual(a.tags[a.default_tag ? `${arch}.${a.default_tag}` : arch]);
    }
    expect(checked).toBe(dump.list_models_include_tags.length);
  });

  it('answers the issue examples', () => {
    expect(listModels('convnext_atto*')).toEqual(['convnext_atto', 'convnext_atto_ols', 'convnext_atto_rms']);
    const tagged = listModels({ filter: 'convnext_tiny.*', pretrained: true });
    expect(tagged.slice(0, 2)).toEqual(['convnext_tiny.dinov3_lvd1689m', 'convnext_tiny.eupe_lvd1689m']);
    expect(getDefaultTag('convnext_tiny')).toBe('in12k_ft_in1k');
    expect(listPretrained('convnextv2_atto.*')).toEqual(dump.list_models_pretrained.filter((n) => n.startsWith('convnextv2_atto.')));
  });

  it('register() again is a no-op', () => {
    const before = listModels({ includeTags: true });
    register();
    expect(listModels({ includeTags: true })).toEqual(before);
  });

  it('an unknown tag is an error naming the known tags', () => {
    expect(() => getPretrainedCfg('convnext_tiny.nope')).toThrow(/Invalid pretrained tag 'nope' for convnext_tiny. Known tags: in12k_ft_in1k/);
  });
});
