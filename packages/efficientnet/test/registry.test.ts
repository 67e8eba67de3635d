import { readFileSync } from 'node:fs';
import { join } from 'node:path';
import {
  getArchName, getArchPretrainedCfgs, getDefaultTag, getDeprecatedModels, getPretrainedCfg, isModel, isModelPretrained,
  listModels, listModules, toTimmDict,
} from '@zoo/core';
import { describe, expect, it } from 'vitest';
import { EFFICIENTNET_LEFT_OUT, MOBILENETV3_LEFT_OUT, register } from '@zoo/efficientnet';

interface Dump {
  module: string;
  list_models: string[];
  list_models_include_tags: string[];
  list_models_pretrained: string[];
  deprecations: Record<string, string | null>;
  archs: Record<string, { default_tag: string; is_pretrained: boolean; tags: Record<string, Record<string, unknown>> }>;
}

const load = (m: string) => JSON.parse(readFileSync(join(import.meta.dirname, `fixtures/registry/${m}.json`), 'utf8')) as Dump;

const MODULES: [string, string[]][] = [['efficientnet', EFFICIENTNET_LEFT_OUT], ['mobilenetv3', MOBILENETV3_LEFT_OUT]];

for (const [module, leftOut] of MODULES) {
  const dump = load(module);
  const built = (name: string) => !leftOut.includes(getArchNameSafe(name));
  describe(`registry answers equal timm's for module '${module}' (less the architectures left out)`, () => {
    it('leaves out only architectures timm has', () => {
      for (const a of leftOut) expect(dump.list_models).toContain(a);
      for (const a of leftOut) expect(isModel(a)).toBe(false);
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
      for (const [arch, a] of Object.entries(dump.archs)) {
        if (leftOut.includes(arch)) continue;
        expect(getDefaultTag(arch), arch).toBe(a.default_tag);
        expect(isModelPretrained(arch), arch).toBe(a.is_pretrained);
        expect(Object.keys(getArchPretrainedCfgs(arch))).toEqual(Object.keys(a.tags));
        for (const [name, cfg] of Object.entries(a.tags)) {
          expect(dropUndefined(toTimmDict(getPretrainedCfg(name)!)), name).toEqual(cfg);
          checked++;
        }
        expect(dropUndefined(toTimmDict(getPretrainedCfg(arch)!))).toEqual(a.tags[a.default_tag ? `${arch}.${a.default_tag}` : arch]);
      }
      expect(checked).toBe(dump.list_models_include_tags.filter(built).length);
    });
  });
}

describe('registration', () => {
  it('register() again is a no-op', () => {
    const before = listModels({ includeTags: true });
    register();
    expect(listModels({ includeTags: true })).toEqual(before);
  });
});

function getArchNameSafe(name: string): string {
  try {
    return getArchName(name);
  } catch {
    return name.split('.')[0]!;
  }
}

function dropUndefined(d: Record<string, unknown>): Record<string, unknown> {
  return Object.fromEntries(Object.entries(d).filter(([, v]) => v !== undefined));
}
