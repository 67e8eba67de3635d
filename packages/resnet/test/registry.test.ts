import { readFileSync } from 'node:fs';
import { join } from 'node:path';
import {
  getArchPretrainedCfgs, getDefaultTag, getDeprecatedModels, getPretrainedCfg, isModel, isModelPretrained, listModels,
  listModules, listPretrained, toTimmDict,
} from '@zoo/core';
import { describe, expect, it } from 'vitest';
import { register } from '@zoo/resnet';

interface Dump {
  module: string;
  list_models: string[];
  list_models_include_tags: string[];
  list_models_pretrained: string[];
  deprecations: Record<string, string | null>;
  archs: Record<string, { default_tag: string; is_pretrained: boolean; tags: Record<string, Record<string, unknown>> }>;
}

const dump = JSON.parse(readFileSync(join(import.meta.dirname, 'fixtures/registry/resnet.json'), 'utf8')) as Dump;

describe("registry answers equal timm's for module 'resnet'", () => {
  it('lists the same architectures, tags and pretrained names, naturally sorted', () => {
    expect(listModels({ module: 'resnet' })).toEqual(dump.list_models);
    expect(listModels({ module: 'resnet', includeTags: true })).toEqual(dump.list_models_include_tags);
    expect(listModels({ module: 'resnet', pretrained: true })).toEqual(dump.list_models_pretrained);
    expect(listModules()).toContain('resnet');
  });

  it('maps deprecated names as timm does, and keeps them out of listings', () => {
    expect(getDeprecatedModels('resnet')).toEqual(dump.deprecations);
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
    expect(listModels('resnet50*')).toEqual(['resnet50', 'resnet50_gn', 'resnet50c', 'resnet50d', 'resnet50s', 'resnet50t']);
    const tagged = listModels({ filter: 'resnet50*', pretrained: true });
    expect(tagged.slice(0, 2)).toEqual(['resnet50.a1_in1k', 'resnet50.a1h_in1k']);
    expect(listPretrained('resnet18.*')).toEqual(dump.list_models_pretrained.filter((n) => n.startsWith('resnet18.')));
  });

  it('register() again is a no-op', () => {
    const before = listModels({ includeTags: true });
    register();
    expect(listModels({ includeTags: true })).toEqual(before);
  });

  it('an unknown tag is an error naming the known tags', () => {
    expect(() => getPretrainedCfg('resnet50.nope')).toThrow(/Invalid pretrained tag 'nope' for resnet50. Known tags: a1_in1k/);
  });
});
