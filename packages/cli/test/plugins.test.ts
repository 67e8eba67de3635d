/** Model packages in the CLI: --plugin, discovery by the 'zoo-models' keyword, unknown names and modules. */
import { mkdirSync, mkdtempSync, readFileSync, rmSync, symlinkSync, writeFileSync } from 'node:fs';
import { tmpdir } from 'node:os';
import { join, resolve } from 'node:path';
import { familyPackages } from '@zoo/core';
import { afterAll, beforeAll, describe, expect, it } from 'vitest';
import { discoverPlugins, PLUGIN_KEYWORD, resolvePlugin } from '../src/plugins.js';
import { isOneLineError, ROOT, zoo } from './helpers.js';

const EXAMPLE = resolve(ROOT, '../../tooling/plugin-example');
const escapeRe = (s: string) => s.replace(/[.*+?^${}()|[\]\\/]/g, '\\$&');

/** The first module of core's families table still planned (no package yet), and its first architecture in timm's facts. */
function plannedExample(): { module: string; pkg: string; arch: string } {
  const entry = Object.entries(familyPackages()).find(([, f]) => f.planned);
  if (!entry) throw new Error('every family of the table is built: these tests need another example of a planned one');
  const [module, { pkg }] = entry;
  const facts = JSON.parse(readFileSync(resolve(ROOT, '../../tooling/timm-facts/registry', `${module}.json`), 'utf8')) as { list_models: string[] };
  return { module, pkg, arch: facts.list_models[0]! };
}
const planned = plannedExample();
let app: string;
let bare: string;

beforeAll(() => {
  // an app folder with the example plugin installed (as a package manager links it), and one with no plugin
  app = mkdtempSync(join(tmpdir(), 'zoo-cli-plugin-'));
  mkdirSync(join(app, 'node_modules'));
  symlinkSync(EXAMPLE, join(app, 'node_modules/zoo-plugin-example'), 'dir');
  // a package without the keyword is not loaded
  mkdirSync(join(app, 'node_modules/not-a-plugin'));
  writeFileSync(join(app, 'node_modules/not-a-plugin/package.json'), JSON.stringify({ name: 'not-a-plugin', keywords: ['zoo'], main: 'throws.js' }));
  writeFileSync(join(app, 'node_modules/not-a-plugin/throws.js'), 'throw new Error("must not be imported")');
  bare = mkdtempSync(join(tmpdir(), 'zoo-cli-bare-'));
});
afterAll(() => {
  rmSync(app, { recursive: true, force: true });
  rmSync(bare, { recursive: true, force: true });
});

describe('plugins', () => {
  it(`discovers installed packages with the '${PLUGIN_KEYWORD}' keyword`, async () => {
    expect(discoverPlugins(app)).toEqual(['zoo-plugin-example']);
    const r = await zoo(['info', 'example_tinynet', '--json'], {}, app);
    expect(r.code, r.stderr).toBe(0);
    const info = JSON.parse(r.stdout);
    expect(info.module).toBe('zoo_plugin_example');
    expect(info.num_classes).toBe(10);
    const list = await zoo(['list', '--module', 'zoo_plugin_example'], {}, app);
    expect(list.stdout.trim().split('\n')).toEqual(['example_tinynet']);
  });

  it('--plugin loads a package by name or path, before or after the command', async () => {
    const off = { ZOO_NO_PLUGIN_DISCOVERY: '1' };
    const missing = await zoo(['info', 'example_tinynet'], off, app);
    expect(missing.code).toBe(1);
    expect(missing.stderr).toMatch(/Unknown model 'example_tinynet'/);
    const byName = await zoo(['--plugin', 'zoo-plugin-example', 'list', 'example_*'], off, app);
    expect(byName.code, byName.stderr).toBe(0);
    expect(byName.stdout.trim()).toBe('example_tinynet');
    const byPath = await zoo(['list', 'example_*', `--plugin=${EXAMPLE}`], off, bare);
    expect(byPath.code, byPath.stderr).toBe(0);
    expect(byPath.stdout.trim()).toBe('example_tinynet');
    expect(resolvePlugin('zoo-plugin-example', app)).toMatch(/plugin-example\/(src\/index\.ts|dist\/index\.js)$/);
  });

  it('a --plugin that is not installed is one clear line, exit 1; a bare --plugin is a usage error', async () => {
    const r = await zoo(['--plugin', 'zoo-nope', 'list'], {}, bare);
    expect(r.code).toBe(1);
    expect(isOneLineError(r), r.stderr).toBe(true);
    expect(r.stderr).toMatch(/plugin 'zoo-nope' is not installed: no node_modules\/zoo-nope from .* up \(npm i zoo-nope\)/);
    const u = await zoo(['list', '--plugin'], {}, bare);
    expect(u.code).toBe(2);
    expect(u.stderr).toMatch(/--plugin needs a package name or a path/);
  });
});

describe('unknown names and modules', () => {
  it('an unknown name of a family not installed names its package and points to zoo list', async () => {
    // every built family is installed in the workspace, so a planned one shows the hint (core's test covers 'npm i @zoo/vit')
    const r = await zoo(['info', planned.arch], {}, bare);
    expect(r.code).toBe(1);
    expect(isOneLineError(r), r.stderr).toBe(true);
    expect(r.stderr).toMatch(
      new RegExp(`Unknown model '${escapeRe(planned.arch)}'\\. It is a model of timm's ${planned.module}, which the planned package ${escapeRe(planned.pkg)} will register \\(not built yet\\)\\. Run \`zoo list\` for the installed models\\.`),
    );
    const typo = await zoo(['info', 'resnt18'], {}, bare);
    expect(typo.stderr).toMatch(/Did you mean: resnet18.*Run `zoo list`/);
  });

  it('--module of a module nobody registered is an error listing the known modules', async () => {
    const r = await zoo(['list', '--module', 'nope'], {}, bare);
    expect(r.code).toBe(1);
    expect(isOneLineError(r), r.stderr).toBe(true);
    expect(r.stderr).toMatch(/unknown module 'nope'; modules: .*\bresnet\b/);
    const notBuilt = await zoo(['list', '--module', planned.module], {}, bare);
    expect(notBuilt.stderr).toMatch(
      new RegExp(`unknown module '${planned.module}' \\(timm's ${planned.module} will be registered by the planned package ${escapeRe(planned.pkg)}, not built yet\\)`),
    );
    const ok = await zoo(['list', '--module', 'resnet'], {}, bare);
    expect(ok.code).toBe(0);
    expect(ok.stdout).toMatch(/^resnet18$/m);
  });
});
