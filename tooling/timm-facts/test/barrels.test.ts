/**
 * What every family package's entry exports: the same role names (`MODULES`, `register`, `defaultCfgs`, and timm's
 * per-module `checkpointFilterFn` where the module has one), and otherwise names of its own. A class or function
 * exported under a name that core, or another family, exports for something else is an error: a user importing
 * both would hold two different things called the same.
 */
import { readdirSync, readFileSync } from 'node:fs';
import { dirname, join } from 'node:path';
import { fileURLToPath } from 'node:url';
import * as core from '@zoo/core';
import { describe, expect, it } from 'vitest';

const repo = join(dirname(fileURLToPath(import.meta.url)), '../../..');
const pkg = JSON.parse(readFileSync(join(repo, 'tooling/timm-facts/package.json'), 'utf8')) as { devDependencies: Record<string, string> };

/** The same names in every family, each the family's own value (timm's modules each have one). */
const ROLES = new Set(['MODULES', 'register', 'defaultCfgs', 'checkpointFilterFn']);

const families: [string, Record<string, unknown>][] = [];
for (const dir of readdirSync(join(repo, 'packages')).sort()) {
  const p = JSON.parse(readFileSync(join(repo, 'packages', dir, 'package.json'), 'utf8')) as { name: string; exports?: Record<string, unknown> };
  if (p.exports?.['./models'] && p.name in pkg.devDependencies) families.push([p.name, (await import(p.name)) as Record<string, unknown>]);
}

describe('family entries', () => {
  it('are all here', () => {
    expect(families.length).toBeGreaterThanOrEqual(34);
  });

  for (const [name, mod] of families) {
    it(`${name} exports MODULES (registered timm modules), register and defaultCfgs`, () => {
      expect(typeof mod.register).toBe('function');
      expect(Object.keys(mod.defaultCfgs as object).length).toBeGreaterThan(0);
      const modules = mod.MODULES as readonly string[];
      expect(modules.length).toBeGreaterThan(0);
      for (const m of modules) expect(core.listModules()).toContain(m);
    });
  }

  it('export no name that core or another family exports for something else', () => {
    const clashes: string[] = [];
    const seen = new Map<string, [string, unknown]>();
    for (const [name, mod] of families) {
      for (const [key, value] of Object.entries(mod)) {
        if (ROLES.has(key)) continue;
        if (key in core && (core as Record<string, unknown>)[key] !== value) clashes.push(`${name}: ${key} (core has another)`);
        const first = seen.get(key);
        if (first && first[1] !== value) clashes.push(`${name}: ${key} (${first[0]} has another)`);
        else if (!first) seen.set(key, [name, value]);
      }
    }
    expect(clashes).toEqual([]);
  });
});
