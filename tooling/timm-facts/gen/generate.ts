/**
 * Writes each family's generated files from the committed timm facts (`tooling/timm-facts/{registry,kwargs,pruned}`):
 *
 * - `src/cfgs.ts`: the pretrained cfgs of the family's timm modules (`defaultCfgs`), from the registry dumps;
 * - `src/archs.ts`: the typed arch table (`archs`: name → constructor arguments), from the kwargs each timm
 *   entrypoint hands to `build_model_with_cfg`, with timm's classes mapped to our names by `$type`;
 * - `src/pruned.ts`: timm's pruned-model definitions (`PRUNED`), for families with pruned variants.
 *
 *   npx tsx tooling/timm-facts/gen/generate.ts           write every family's files
 *   npx tsx tooling/timm-facts/gen/generate.ts --check   fail (exit 1) naming each file that would change
 */
import { existsSync, readFileSync, writeFileSync } from 'node:fs';
import { dirname, join } from 'node:path';
import { fileURLToPath } from 'node:url';
import { FAMILIES, type FamilyGen, type TypeRef } from './families.ts';
import { familiesTableFile } from './families-table.ts';

const factsDir = join(dirname(fileURLToPath(import.meta.url)), '..');
const repo = join(factsDir, '../..');

interface RegistryFacts {
  timm_version: string;
  module: string;
  archs: Record<string, { default_tag: string | null; is_pretrained: boolean; tags: Record<string, Record<string, unknown>> }>;
}
interface KwargsFacts {
  timm_version: string;
  module: string;
  archs: Record<string, { model_cls: TypeRef; kwargs: Record<string, unknown>; model_cfg?: unknown } | null>;
}

const readJson = <T>(path: string): T => JSON.parse(readFileSync(path, 'utf8')) as T;
const camel = (s: string) => s.replace(/_([a-z0-9])/g, (_, c: string) => c.toUpperCase());
const same = (a: unknown, b: unknown) => JSON.stringify(a) === JSON.stringify(b);

/** A value as a TypeScript literal: single quotes, `, ` between items, `key: value` with bare identifier keys. */
export function lit(v: unknown): string {
  if (v === undefined) return 'undefined';
  if (v === null || typeof v === 'boolean' || typeof v === 'number') return String(v);
  if (typeof v === 'string') return `'${v.replace(/\\/g, '\\\\').replace(/'/g, "\\'").replace(/\n/g, '\\n')}'`;
  if (Array.isArray(v)) return `[${v.map(lit).join(', ')}]`;
  const entries = Object.entries(v as Record<string, unknown>);
  if (!entries.length) return '{}';
  return `{ ${entries.map(([k, x]) => `${/^[A-Za-z_$][\w$]*$/.test(k) ? k : lit(k)}: ${lit(x)}`).join(', ')} }`;
}

// timm's PretrainedCfg defaults: values equal to them are left out (generateDefaultCfgs fills them in).
const DEFAULTS: Record<string, unknown> = {
  custom_load: false, input_size: [3, 224, 224], fixed_input_size: false, interpolation: 'bicubic', crop_pct: 0.875,
  crop_mode: 'center', mean: [0.485, 0.456, 0.406], std: [0.229, 0.224, 0.225], num_classes: 1000,
};

/** The tag order generateDefaultCfgs gives entries in this order (first tag marked `*` when `star`). */
function tagOrder(entries: { tag: string; weights: boolean }[], star: boolean): string[] {
  const tags: string[] = [];
  let pretrained = false;
  let hasDefault = false;
  entries.forEach(({ tag, weights }, i) => {
    const priority = (weights && !tag) || (star && i === 0 && !hasDefault);
    if (priority) {
      tags.unshift(tag);
      hasDefault = true;
    } else if (weights && !pretrained) tags.unshift(tag);
    else tags.push(tag);
    if (weights) pretrained = true;
  });
  return tags;
}

function cfgsFile(fam: FamilyGen): string {
  const entries: [string, Record<string, unknown>][] = [];
  const versions = new Set<string>();
  for (const module of fam.modules) {
    const reg = readJson<RegistryFacts>(join(factsDir, 'registry', `${module}.json`));
    versions.add(reg.timm_version);
    for (const [arch, a] of Object.entries(reg.archs)) {
      // The dump lists tags in timm's priority order (default first): write them so, starring the first tag
      // where generateDefaultCfgs' own rules would put another first.
      const list = Object.entries(a.tags).map(([nameTag, cfg]) => {
        const tag = nameTag === arch ? '' : nameTag.slice(arch.length + 1);
        return { nameTag, tag, cfg, weights: Boolean(cfg.url || cfg.file || cfg.hf_hub_id) };
      });
      const want = list.map((e) => e.tag);
      const star = !same(tagOrder(list, false), want);
      if (star && !same(tagOrder(list, true), want)) throw new Error(`${arch}: timm's tag order cannot be written as a cfg table`);
      list.forEach((e, i) => {
        const v: Record<string, unknown> = {};
        for (const [k, val] of Object.entries(e.cfg)) {
          if (k === 'architecture' || k === 'tag') continue;
          if (k in DEFAULTS && same(DEFAULTS[k], val)) continue;
          v[k] = k === 'hf_hub_id' && val === `timm/${e.nameTag}` ? 'timm/' : val;
        }
        for (const k of Object.keys(DEFAULTS)) if (!(k in e.cfg)) v[k] = null;
        entries.push([`${e.nameTag}${star && i === 0 ? '*' : ''}`, v]);
      });
    }
  }
  // Fields most entries share go into one base object, so the table reads like timm's `_cfg(...)` calls.
  const counts = new Map<string, Map<string, number>>();
  for (const [, v] of entries) {
    for (const [k, val] of Object.entries(v)) {
      const m = counts.get(k) ?? new Map<string, number>();
      m.set(JSON.stringify(val), (m.get(JSON.stringify(val)) ?? 0) + 1);
      counts.set(k, m);
    }
  }
  const base: Record<string, unknown> = {};
  for (const [k, m] of counts) {
    const [best, n] = [...m.entries()].sort((a, b) => b[1] - a[1])[0]!;
    if (n > entries.length / 2 && k !== 'url') base[k] = JSON.parse(best);
  }
  const obj = (o: Record<string, unknown>) => Object.entries(o).map(([k, val]) => `${camel(k)}: ${lit(val)}`).join(', ');
  const lines = [
    `// Pretrained cfgs of timm's ${fam.modules.join(' and ')} module${fam.modules.length > 1 ? 's' : ''} (timm ${[...versions].join(', ')}), each`,
    `// architecture's tags in timm's priority order. Generated by tooling/timm-facts/gen/generate.ts from`,
    `// tooling/timm-facts/registry/; do not edit (refresh the facts, then regenerate).`,
    `import { generateDefaultCfgs, type PretrainedCfg } from '@zoo/core';`,
    '',
    `const base: PretrainedCfg = { ${obj(base)} };`,
    `const cfg = (c: PretrainedCfg = {}): PretrainedCfg => ({ ...base, ...c });`,
    '',
    `export const defaultCfgs = generateDefaultCfgs({`,
  ];
  for (const [key, v] of entries) {
    const o: Record<string, unknown> = {};
    for (const [k, val] of Object.entries(v)) if (!same(base[k], val)) o[k] = val;
    // A field the base sets but this cfg leaves at timm's default: spell the default out.
    for (const k of Object.keys(base)) if (!(k in v)) o[k] = k in DEFAULTS ? DEFAULTS[k] : undefined;
    lines.push(`  ${lit(key)}: cfg(${Object.keys(o).length ? `{ ${obj(o)} }` : ''}),`);
  }
  lines.push('});', '');
  return lines.join('\n');
}

/** A kwarg value as our argument: keys camelCased, timm's classes / partials mapped by the family's `types`. */
function mapValue(fam: FamilyGen, v: unknown, where: string): unknown {
  if (Array.isArray(v)) return v.map((x, i) => mapValue(fam, x, `${where}[${i}]`));
  if (v && typeof v === 'object') {
    const o = v as Record<string, unknown>;
    if (typeof o.$type === 'string') {
      const map = fam.archs!.types?.[o.$type];
      if (!map) throw new Error(`${where}: no mapping for timm's ${o.$type} in tooling/timm-facts/gen/families.ts (${fam.dir})`);
      return map(o as unknown as TypeRef, (x) => mapValue(fam, x, `${where}.${o.$type}`));
    }
    return Object.fromEntries(Object.entries(o).map(([k, x]) => [camel(k), mapValue(fam, x, `${where}.${k}`)]));
  }
  return v;
}

function archsFile(fam: FamilyGen): string {
  const a = fam.archs!;
  const lines: string[] = [];
  const versions = new Set<string>();
  const rows: string[] = [];
  const modules = a.modules ?? fam.modules;
  const moduleNames = new Map(modules.map((m) => [m, [] as string[]]));
  for (const module of modules) {
    const facts = readJson<KwargsFacts>(join(factsDir, 'kwargs', `${module}.json`));
    versions.add(facts.timm_version);
    for (const [arch, e] of Object.entries(facts.archs)) {
      if (!e) throw new Error(`${module}/${arch}: timm's entrypoint never reached build_model_with_cfg`);
      if (!a.modelClasses.includes(e.model_cls.$type)) throw new Error(`${arch}: model class ${e.model_cls.$type} is not one of ${a.modelClasses.join(', ')}`);
      const args: Record<string, unknown> = {};
      for (const [k, v] of Object.entries(e.kwargs)) {
        const write = a.kwargs?.[k];
        if (write) Object.assign(args, write(v, arch));
        else args[camel(k)] = mapValue(fam, v, `${arch}.${k}`);
      }
      Object.assign(args, a.modelClassArgs?.[e.model_cls.$type]);
      if (a.modelCfgArg) args[a.modelCfgArg] = mapValue(fam, e.model_cfg, `${arch}.model_cfg`);
      rows.push(`  ${lit(arch)}: ${lit(args)},`);
      moduleNames.get(module)!.push(arch);
    }
  }
  const deprecated: string[] = [];
  for (const module of modules) {
    const reg = readJson<{ deprecations: Record<string, string | null> }>(join(factsDir, 'registry', `${module}.json`));
    for (const [from, to] of Object.entries(reg.deprecations)) {
      deprecated.push(`  ${from}: ${lit(to)},`);
      moduleNames.get(module)!.push(from);
    }
  }
  lines.push(
    `// Every architecture of timm's ${modules.join(' and ')} module${modules.length > 1 ? 's' : ''} (timm ${[...versions].join(', ')}): the arguments its`,
    `// entrypoint gives the model class (in timm's listing order), and timm's deprecated names. Generated by`,
    `// tooling/timm-facts/gen/generate.ts from tooling/timm-facts/{kwargs,registry}/; do not edit (refresh the facts,`,
    `// then regenerate).`,
    `import type { ${a.argsType} } from '${a.argsFrom}';`,
    '',
    `export const archs: Readonly<Record<string, ${a.argsType}${a.extraArgs ? ` & ${a.extraArgs}` : ''}>> = {`,
    ...rows,
    '};',
    '',
    `/** timm's deprecated architecture names → their current \`arch.tag\` (null: removed). */`,
    `export const deprecations: Readonly<Record<string, string | null>> = {`,
    ...deprecated,
    '};',
    '',
  );
  if (modules.length > 1) {
    lines.push(
      `/** The timm module of each architecture and deprecated name above. */`,
      `export const moduleNames: Readonly<Record<string, readonly string[]>> = {`,
      ...modules.map((m) => `  ${m}: ${lit(moduleNames.get(m))},`),
      '};',
      '',
    );
  }
  return lines.join('\n');
}

function prunedFile(fam: FamilyGen): string {
  const lines = [
    `// timm's pruned-model definitions (layer shapes after pruning, from timm's _pruned folder). Generated by`,
    `// tooling/timm-facts/gen/generate.ts from tooling/timm-facts/pruned/; do not edit.`,
    `export const PRUNED: Readonly<Record<string, string>> = {`,
  ];
  for (const module of fam.modules) {
    const path = join(factsDir, 'pruned', `${module}.json`);
    if (!existsSync(path)) continue;
    for (const [arch, text] of Object.entries(readJson<{ archs: Record<string, string> }>(path).archs)) lines.push(`  ${arch}: ${JSON.stringify(text)},`);
  }
  lines.push('};', '');
  return lines.join('\n');
}

/** Every generated file: path → content. */
export function generateAll(): Map<string, string> {
  const out = new Map<string, string>();
  for (const fam of FAMILIES) {
    out.set(join(repo, fam.dir, 'src/cfgs.ts'), cfgsFile(fam));
    if (fam.archs) out.set(join(repo, fam.dir, 'src/archs.ts'), archsFile(fam));
    if (fam.pruned) out.set(join(repo, fam.dir, 'src/pruned.ts'), prunedFile(fam));
  }
  out.set(join(repo, 'packages/core/src/registry/families-table.ts'), familiesTableFile(join(factsDir, 'registry')));
  return out;
}

function main(): void {
  const check = process.argv.includes('--check');
  const stale: string[] = [];
  for (const [path, text] of generateAll()) {
    const now = existsSync(path) ? readFileSync(path, 'utf8') : null;
    if (now === text) continue;
    if (check) stale.push(path.slice(repo.length + 1));
    else {
      writeFileSync(path, text);
      console.log(`wrote ${path.slice(repo.length + 1)}`);
    }
  }
  if (stale.length) {
    console.error(`generated files differ from the facts (run npx tsx tooling/timm-facts/gen/generate.ts):\n  ${stale.join('\n  ')}`);
    process.exit(1);
  }
}

if (process.argv[1] && fileURLToPath(import.meta.url) === process.argv[1]) main();
