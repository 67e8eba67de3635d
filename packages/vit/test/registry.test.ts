import { readFileSync } from 'node:fs';
import { join } from 'node:path';
import {
  getArchPretrainedCfgs, getDefaultTag, getDeprecatedModels, getPretrainedCfg, isModel, isModelPretrained, listModels,
  listModules, toTimmDict,
} from '@zoo/core';
import { describe, expect, it } from 'vitest';
import { register } from '@zoo/vit';

interface Dump {
  module: string;
  list_models: string[];
  list_models_include_tags: string[];
  list_models_pretrained: string[];
  deprecations: Record<string, string | null>;
  archs: Record<string, { default_tag: string; is_pretrained: boolean; tags: Record<string, Record<string, unknown>> }>;
}

const load = (m: string) => JSON.parse(readFileSync(join(import.meta.dirname, `fixtures/registry/${m}.json`), 'utf8')) as Dump;

/** Architectures of timm's module that are not built here (none at present). */
const LEFT_OUT: Record<string, string[]> = {
  vision_transformer: [],
  deit: [],
};

for (const module of ['vision_transformer', 'deit']) {
  const dump = load(module);
  const left = new Set(LEFT_OUT[module]);
  const built = (name: string) => !left.has(name.split('.')[0]!);

  describe(`registry answers equal timm's for module '${module}'`, () => {
    it('leaves out only the listed architectures', () => {
      for (const a of left) expect(dump.list_models, a).toContain(a);
      for (const a of left) expect(isModel(a), a).toBe(false);
    });

    it('lists the same architectures, tags and pretrained names, naturally sorted', () => {
      expect(listModels({ module })).toEqual(dump.list_models.filter(built));
      expect(listModels({ module, includeTags: true })).toEqual(dump.list_models_include_tags.filter(built));
      expect(listModels({ module, pretrained: true })).toEqual(dump.list_models_pretrained.filter(built));
      expect(listModules()).toContain(module);
    });

    it('maps deprecated names as timm does, and keeps them out of listings', () => {
      expect(getDeprecatedModels(module)).toEqual(dump.deprecations);
      for (const name of Object.keys(dump.deprecations)) {
        expect(isModel(name)).toBe(true);
        expect(listModels(name)).toEqual([]);
      }
    });

    it('has timm default tags, pretrained flags and every cfg value', () => {
      let checked = 0;
      let expected = 0;
      for (const [arch, a] of Object.entries(dump.archs)) {
        if (!built(arch)) continue;
        expected += Object.keys(a.tags).length;
        expect(getDefaultTag(arch), arch).toBe(a.default_tag);
        expect(isModelPretrained(arch), arch).toBe(a.is_pretrained);
        expect(Object.keys(getArchPretrainedCfgs(arch))).toEqual(Object.keys(a.tags));
        for (const [name, cfg] of Object.entries(a.tags)) {
          expect(toTimmDict(getPretrainedCfg(name)!), name).toEqual(cfg);
          checked++;
        }
        expect(toTimmDict(getPretrainedCfg(arch)!)).toEqual(a.tags[a.default_tag ? `${arch}.${a.default_tag}` : arch]);
      }
      expect(checked).toBe(expected);
      expect(checked).toBe(dump.list_models_include_tags.filter(built).length);
    });
  });
}

describe('register()', () => {
  it('again is a no-op', () => {
    const before = listModels({ includeTags: true });
    register();
    expect(listModels({ includeTags: true })).toEqual(before);
  });
});
