import { execFileSync } from 'node:child_process';
import { existsSync, mkdirSync, mkdtempSync, readdirSync, rmSync, writeFileSync } from 'node:fs';
import { tmpdir } from 'node:os';
import { join, resolve } from 'node:path';
import { afterAll, beforeAll, describe, expect, it } from 'vitest';

// A third-party model package (tooling/plugin-example) installed as users install it: packed tarballs of
// @zoo/core, the plugin (which names core only by a peer range), @zoo/testing and @zoo/resnet, installed with npm
// in a fresh folder outside the workspace.
const root = resolve(import.meta.dirname, '../../..');
const work = mkdtempSync(join(tmpdir(), 'zoo-plugin-'));
const app = join(work, 'app');
afterAll(() => rmSync(work, { recursive: true, force: true }));

function pack(pkgDir: string, dest: string, prefix: string): string {
  const dir = join(root, pkgDir);
  // Packages are packed from dist/; build the ones turbo may not have built for this run.
  if (!existsSync(join(dir, 'dist/index.js'))) execFileSync('pnpm', ['run', 'build'], { cwd: dir, stdio: 'pipe' });
  execFileSync('pnpm', ['pack', '--pack-destination', dest], { cwd: dir, stdio: 'pipe' });
  const name = readdirSync(dest).find((f) => f.startsWith(prefix) && f.endsWith('.tgz'));
  if (!name) throw new Error(`no tarball for ${pkgDir} in ${dest}`);
  return join(dest, name);
}

const run = (file: string) => execFileSync('node', [file], { cwd: app, stdio: 'pipe' }).toString().trim().split('\n').pop()!;

describe('zoo-plugin-example installed from tarballs outside the workspace', () => {
  beforeAll(() => {
    const tarballs = join(work, 'tarballs');
    mkdirSync(tarballs);
    const tgz = [
      pack('packages/core', tarballs, 'zoo-core-'),
      pack('packages/resnet', tarballs, 'zoo-resnet-'),
      pack('packages/testing', tarballs, 'zoo-testing-'),
      pack('tooling/plugin-example', tarballs, 'zoo-plugin-example-'),
    ];
    mkdirSync(app);
    writeFileSync(join(app, 'package.json'), JSON.stringify({ name: 'app', private: true, type: 'module' }));
    execFileSync(
      'npm',
      ['install', '--no-audit', '--no-fund', '--loglevel=error', ...tgz, '@tensorflow/tfjs-core@4.22.0', '@tensorflow/tfjs-backend-wasm@4.22.0', 'vitest@4.1.12'],
      { cwd: app, stdio: 'pipe' },
    );
  });

  it('publishes a manifest that names @zoo/core by a peer range only', () => {
    const manifest = JSON.parse(execFileSync('node', ['-p', 'JSON.stringify(require("./node_modules/zoo-plugin-example/package.json"))'], { cwd: app }).toString());
    expect(manifest.peerDependencies['@zoo/core']).toMatch(/^\^\d/);
    expect(manifest.dependencies?.['@zoo/core']).toBeUndefined();
    expect(JSON.stringify(manifest)).not.toContain('workspace:');
    // One @zoo/core in the tree: the plugin shares the app's registry.
    expect(existsSync(join(app, 'node_modules/zoo-plugin-example/node_modules/@zoo/core'))).toBe(false);
  });

  it('importing the plugin registers its model, and createModel builds it', () => {
    writeFileSync(
      join(app, 'main.mjs'),
      `import 'zoo-plugin-example';
import * as tf from '@tensorflow/tfjs-core';
import { createModel, getPretrainedCfg, listModels, listModules } from '@zoo/core';
const model = await createModel('example_tinynet', { numClasses: 4 });
const y = model.forward(tf.zeros([2, 32, 32, 3]));
console.log(JSON.stringify({ modules: listModules(), names: listModels(), tags: listModels({ includeTags: true }), shape: y.shape,
  cls: model.constructor.name, firstConv: getPretrainedCfg('example_tinynet').firstConv }));
`,
    );
    const out = JSON.parse(run('main.mjs'));
    expect(out.modules).toEqual(['zoo_plugin_example']);
    expect(out.names).toEqual(['example_tinynet']);
    expect(out.tags).toEqual(['example_tinynet.untrained']);
    expect(out.shape).toEqual([2, 4]);
    expect(out.cls).toBe('TinyNet');
    expect(out.firstConv).toBe('stages.0.conv');
  });

  it('@zoo/testing passes on it (vitest in the installed folder)', () => {
    writeFileSync(
      join(app, 'conformance.test.mjs'),
      `import 'zoo-plugin-example';
import { describeModelConformance } from '@zoo/testing';
await describeModelConformance(['example_tinynet'], { title: 'plugin conformance' });
`,
    );
    const env: NodeJS.ProcessEnv = { ...process.env, NO_COLOR: '1' };
    delete env.FORCE_COLOR;
    delete env.VITEST;
    const out = execFileSync(join(app, 'node_modules/.bin/vitest'), ['run', '--reporter=verbose'], { cwd: app, stdio: 'pipe', env }).toString();
    for (const check of ['forward', 'forwardFeatures', 'forwardIntermediates', 'cfg', 'featuresOnly', 'pretrainedAdapt', 'classifier', 'dispose']) {
      expect(out).toMatch(new RegExp(`✓ .*example_tinynet > ${check}\\b`));
    }
    expect(out).toMatch(/Tests\s+9 passed \(9\)/);
  });

  it('a name clash with a built-in is a clear error', () => {
    writeFileSync(
      join(app, 'clash.mjs'),
      `import '@zoo/resnet';
import { registerTinyNet } from 'zoo-plugin-example';
import { createModel } from '@zoo/core';
let message = '';
try { registerTinyNet('resnet18'); } catch (e) { message = e.message; }
const m = await createModel('resnet18');
console.log(JSON.stringify({ message, cls: m.constructor.name }));
`,
    );
    const out = JSON.parse(run('clash.mjs'));
    expect(out.message).toMatch(/Model 'resnet18' is already registered by module 'resnet'; refusing to replace it with one from 'zoo_plugin_example'/);
    expect(out.message).toMatch(/override: true/);
    // The built-in is untouched.
    expect(out.cls).toBe('ResNet');
  });
});
