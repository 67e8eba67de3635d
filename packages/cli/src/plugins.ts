/**
 * Model packages the CLI loads besides the official families: named with `--plugin <pkg>` (repeatable), or found in
 * the `node_modules` folders from the working directory up whose package.json lists the keyword `zoo-models`
 * (docs/plugins.md). Resolved from the working directory, as the user's own code would import them.
 */
import { existsSync, readdirSync, readFileSync, statSync } from 'node:fs';
import { dirname, isAbsolute, join, resolve } from 'node:path';
import { pathToFileURL } from 'node:url';
import { packageRoot, pickExport } from '@zoo/core/node';

/** The package.json keyword that makes an installed package a zoo model package. */
export const PLUGIN_KEYWORD = 'zoo-models';

export class PluginError extends Error {}

interface Manifest {
  name?: string;
  keywords?: unknown;
  exports?: unknown;
  module?: string;
  main?: string;
}

function readManifest(dir: string): Manifest | undefined {
  try {
    return JSON.parse(readFileSync(join(dir, 'package.json'), 'utf8')) as Manifest;
  } catch {
    return undefined;
  }
}

/** Node's export conditions for `import`, with the workspace's source condition first where Node was given it. */
function conditions(): string[] {
  const given = process.execArgv.flatMap((a, i, all) => (a.startsWith('--conditions=') ? [a.slice(13)] : a === '--conditions' || a === '-C' ? [all[i + 1] ?? ''] : []));
  return [...given, 'node', 'import', 'default'];
}

/** The file `import '<package dir>'` loads: `exports['.']`, else `module` / `main`, else index.js. */
function entryOf(dir: string, m: Manifest): string {
  let exp = m.exports;
  if (exp && typeof exp === 'object' && !Array.isArray(exp) && Object.keys(exp).some((k) => k.startsWith('.'))) exp = (exp as Record<string, unknown>)['.'];
  const rel = (exp !== undefined ? pickExport(exp, conditions()) : undefined) ?? m.module ?? m.main ?? 'index.js';
  return resolve(dir, rel);
}

/** Where `--plugin <spec>` points: a package name, or a path (relative to `cwd`) to a package folder or a file. */
export function resolvePlugin(spec: string, cwd: string): string {
  if (spec.startsWith('.') || isAbsolute(spec)) {
    const p = resolve(cwd, spec);
    if (!existsSync(p)) throw new PluginError(`plugin '${spec}' not found: no file or folder ${p}`);
    if (statSync(p).isDirectory()) {
      const m = readManifest(p);
      if (!m) throw new PluginError(`plugin '${spec}': ${p} has no package.json`);
      return entryOf(p, m);
    }
    return p;
  }
  const [scopeOrName, maybeName] = spec.split('/');
  const name = spec.startsWith('@') ? `${scopeOrName}/${maybeName}` : scopeOrName!;
  const dir = packageRoot(name, resolve(cwd));
  if (!dir) throw new PluginError(`plugin '${spec}' is not installed: no node_modules/${name} from ${cwd} up (npm i ${name})`);
  const m = readManifest(dir)!;
  const sub = spec.slice(name.length);
  if (sub) {
    const exp = m.exports && typeof m.exports === 'object' ? (m.exports as Record<string, unknown>)[`.${sub}`] : undefined;
    const rel = exp === undefined ? `.${sub}` : pickExport(exp, conditions());
    if (!rel) throw new PluginError(`plugin '${spec}': ${name} exports no '.${sub}' for import`);
    return resolve(dir, rel);
  }
  return entryOf(dir, m);
}

/** Installed packages, from `cwd` up, whose package.json has the keyword `zoo-models` (nearest folder wins a name). */
export function discoverPlugins(cwd: string): string[] {
  const found = new Map<string, string>();
  const consider = (dir: string) => {
    const m = readManifest(dir);
    if (!m?.name || found.has(m.name)) return;
    if (Array.isArray(m.keywords) && m.keywords.includes(PLUGIN_KEYWORD)) found.set(m.name, dir);
  };
  for (let d = resolve(cwd); ; d = dirname(d)) {
    const nm = join(d, 'node_modules');
    let names: string[] = [];
    try {
      names = readdirSync(nm);
    } catch {
      // no node_modules here
    }
    for (const n of names) {
      if (n.startsWith('.')) continue;
      if (n.startsWith('@')) {
        let scoped: string[] = [];
        try {
          scoped = readdirSync(join(nm, n));
        } catch {
          continue;
        }
        for (const s of scoped) consider(join(nm, n, s));
      } else consider(join(nm, n));
    }
    if (dirname(d) === d) break;
  }
  return [...found.keys()].sort();
}

/** Imports a plugin's entry file (registering its models). */
export async function importPlugin(spec: string, cwd: string): Promise<void> {
  const file = resolvePlugin(spec, cwd);
  try {
    await import(pathToFileURL(file).href);
  } catch (e) {
    throw new PluginError(`plugin '${spec}' failed to load (${file}): ${e instanceof Error ? e.message : String(e)}`);
  }
}
