import { readFileSync } from 'node:fs';
import {
  getArchPretrainedCfgs, getDefaultTag, getDeprecatedModels, getPretrainedCfg, isModel, isModelPretrained, listModels,
  listModules, listPretrained, toTimmDict,
} from '@zoo/core';
import { describe, expect, it } from 'vitest';

/** timm's registry answers for one module, as `shared/tools/make_registry_dump.py` writes them. */
export interface RegistryDump {
  module: string;
  list_models: string[];
  list_models_include_tags: string[];
  list_models_pretrained: string[];
  deprecations: Record<string, string | null>;
  archs: Record<string, { default_tag: string; is_pretrained: boolean; tags: Record<string, Record<string, unknown>> }>;
}

/**
 * Defines the tests that the registry answers equal timm's for one module: listings (plain, tagged, pretrained;
 * natural sort), deprecations, default tags, pretrained flags, every cfg value, and that the family's `register()`
 * called again changes nothing. The family must be imported (registered) by the calling test file.
 */
export function describeRegistry(dumpPath: string, register: () => void): RegistryDump {
  const dump = JSON.parse(readFileSync(dumpPath, 'utf8')) as RegistryDump;
  const module = dump.module;

  describe(`registry answers equal timm's for module '${module}'`, () => {
    it('lists the same architectures, tags and pretrained names, naturally sorted', () => {
      expect(listModels({ module })).toEqual(dump.list_models);
      expect(listModels({ module, includeTags: true })).toEqual(dump.list_models_include_tags);
      expect(listModels({ module, pretrained: true })).toEqual(dump.list_models_pretrained);
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

    it('lists pretrained tags per architecture as timm does', () => {
      for (const arch of dump.list_models) {
        expect(listPretrained(`${arch}.*`)).toEqual(dump.list_models_pretrained.filter((n) => n.startsWith(`${arch}.`)));
      }
    });

    it('register() again is a no-op', () => {
      const before = listModels({ includeTags: true });
      register();
      expect(listModels({ includeTags: true })).toEqual(before);
    });

    it('an unknown tag is an error naming the known tags', () => {
      const arch = dump.list_models[0]!;
      expect(() => getPretrainedCfg(`${arch}.nope`)).toThrow(new RegExp(`Invalid pretrained tag 'nope' for ${arch}`));
    });
  });
  return dump;
}
