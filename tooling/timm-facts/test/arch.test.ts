/**
 * Every registered architecture of every family, built without weights (parameters are created lazily, so nothing
 * is allocated), against timm's arch dump (`arch/<module>.json.gz`): state-dict keys in order with their shapes,
 * learnable parameter count, num_features, head_hidden_size, num_classes, and the features_only feature_info
 * (channels, reductions, module names, wrapper class).
 *
 * Generic: every family this package depends on is imported, and every timm module that has an arch dump and
 * registered architectures is checked. A family package that is not a dependency here fails the last test.
 */
import { readdirSync, readFileSync } from 'node:fs';
import { dirname, join } from 'node:path';
import { fileURLToPath } from 'node:url';
import { gunzipSync } from 'node:zlib';
import { createModel, type FeatureModel, listModels, listModules, setBackend, type VisionModel } from '@zoo/core';
import { beforeAll, describe, expect, it } from 'vitest';

interface ArchFacts {
  keys: [string, number[]][];
  params: number;
  num_features: number | null;
  head_hidden_size: number | null;
  num_classes: number | null;
  feature_info?: { channels: number[]; reduction: number[]; module: string[]; cls: string };
  error?: string;
  features_error?: string;
}
interface ModuleFacts {
  timm_version: string;
  module: string;
  archs: Record<string, ArchFacts>;
  skipped: string[];
}

const here = dirname(fileURLToPath(import.meta.url));
const root = join(here, '..');
const repo = join(root, '../..');
const pkg = JSON.parse(readFileSync(join(root, 'package.json'), 'utf8')) as { devDependencies: Record<string, string> };

/** A workspace package is a model family when it exports `./models` (the classes without registration). */
function isFamily(dir: string): string | null {
  const p = JSON.parse(readFileSync(join(dir, 'package.json'), 'utf8')) as { name: string; exports?: Record<string, unknown> };
  return p.exports?.['./models'] ? p.name : null;
}
const families = readdirSync(join(repo, 'packages'))
  .map((d) => isFamily(join(repo, 'packages', d)))
  .filter((n): n is string => n !== null);

const factsDir = join(root, 'arch');
const facts = new Map<string, ModuleFacts>();
for (const f of readdirSync(factsDir).filter((f) => f.endsWith('.json.gz')).sort()) {
  const m = JSON.parse(gunzipSync(readFileSync(join(factsDir, f))).toString('utf8')) as ModuleFacts;
  facts.set(m.module, m);
}

// Registration is a side effect of each family's entry point.
for (const name of families) if (name in pkg.devDependencies) await import(name);
const modules = [...facts.keys()].filter((m) => listModules().includes(m));

/** What our model says about the facts timm's dump holds, in the dump's own form. */
function describeModel(m: VisionModel): Omit<ArchFacts, 'feature_info'> {
  return {
    keys: m.namedParams().map(([k, p]) => [k, [...p.shape]]),
    params: m.numParams(),
    num_features: m.numFeatures,
    head_hidden_size: m.headHiddenSize,
    num_classes: m.numClasses,
  };
}

function describeFeatures(f: FeatureModel): NonNullable<ArchFacts['feature_info']> {
  return { channels: f.featureInfo.channels(), reduction: f.featureInfo.reduction(), module: f.featureInfo.moduleName(), cls: f.constructor.name };
}

beforeAll(async () => {
  await setBackend('wasm');
});

describe("every registered architecture has timm's structure", () => {
  it('covers every family package and at least the families present today', () => {
    const missing = families.filter((n) => !(n in pkg.devDependencies));
    expect(missing, 'family packages to add to tooling/timm-facts/package.json devDependencies').toEqual([]);
    expect(modules.length).toBeGreaterThanOrEqual(10);
  });

  for (const module of modules) {
    const mf = facts.get(module)!;
    describe(module, () => {
      it("registers every architecture of timm's dump (giant ones aside)", () => {
        const ours = listModels({ module });
        const theirs = Object.keys(mf.archs);
        expect(theirs.filter((a) => !ours.includes(a)), 'in timm, not registered').toEqual([]);
        expect(ours.filter((a) => !theirs.includes(a) && !mf.skipped.includes(a)), 'registered, not in timm').toEqual([]);
      });

      for (const [arch, want] of Object.entries(mf.archs)) {
        if (want.error || want.features_error) {
          it.fails(`${arch} (timm cannot build it either: ${want.error ?? want.features_error})`, async () => {
            (await createModel(arch)).dispose();
            (await createModel(arch, { featuresOnly: true })).dispose();
          });
          continue;
        }
        it(arch, async () => {
          const m = await createModel(arch);
          try {
            expect(describeModel(m)).toEqual({
              keys: want.keys, params: want.params, num_features: want.num_features,
              head_hidden_size: want.head_hidden_size, num_classes: want.num_classes,
            });
          } finally {
            m.dispose();
          }
          const f = await createModel(arch, { featuresOnly: true });
          try {
            expect(describeFeatures(f)).toEqual(want.feature_info);
          } finally {
            f.dispose();
          }
        });
      }
    });
  }
});
