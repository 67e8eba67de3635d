import { execFileSync } from 'node:child_process';
import { mkdirSync, mkdtempSync, readdirSync, rmSync, writeFileSync } from 'node:fs';
import { tmpdir } from 'node:os';
import { join, resolve } from 'node:path';
import { afterAll, describe, expect, it } from 'vitest';

const root = resolve(import.meta.dirname, '../../..');
const work = mkdtempSync(join(tmpdir(), 'zoo-tarballs-'));
afterAll(() => rmSync(work, { recursive: true, force: true }));

function pack(pkgDir: string, dest: string): string {
  execFileSync('pnpm', ['pack', '--pack-destination', dest], { cwd: join(root, pkgDir), stdio: 'pipe' });
  const name = readdirSync(dest).find((f) => f.startsWith(pkgDir.split('/').pop() === 'core' ? 'zoo-core-' : 'zoo-resnet-'));
  if (!name) throw new Error(`no tarball for ${pkgDir} in ${dest}`);
  return join(dest, name);
}

describe('selective install from packed tarballs', () => {
  it('installs only @zoo/core + @zoo/resnet outside the workspace, and import registers ResNets only', () => {
    const tarballs = join(work, 'tarballs');
    mkdirSync(tarballs);
    const core = pack('packages/core', tarballs);
    const resnet = pack('packages/resnet', tarballs);
    const app = join(work, 'app');
    mkdirSync(app);
    writeFileSync(join(app, 'package.json'), JSON.stringify({ name: 'app', private: true, type: 'module' }));
    execFileSync(
      'npm',
      ['install', '--no-audit', '--no-fund', '--loglevel=error', core, resnet, '@tensorflow/tfjs-core@4.22.0', '@tensorflow/tfjs-backend-wasm@4.22.0'],
      { cwd: app, stdio: 'pipe' },
    );
    // The published manifest names core by a peer range, not a workspace protocol.
    const manifest = JSON.parse(execFileSync('node', ['-p', 'JSON.stringify(require("./node_modules/@zoo/resnet/package.json"))'], { cwd: app }).toString());
    expect(manifest.peerDependencies['@zoo/core']).toMatch(/^\^?\d/);
    expect(JSON.stringify(manifest)).not.toContain('workspace:');
    writeFileSync(
      join(app, 'main.mjs'),
      `import '@zoo/resnet';
import * as tf from '@tensorflow/tfjs-core';
import { createModel, listModels, listModules } from '@zoo/core';
const names = listModels();
const model = await createModel('resnet18', { numClasses: 7 });
const y = model.forward(tf.zeros([1, 64, 64, 3]));
console.log(JSON.stringify({ modules: listModules(), count: names.length, names, backend: tf.getBackend(), shape: y.shape }));
`,
    );
    const out = JSON.parse(execFileSync('node', ['main.mjs'], { cwd: app }).toString().trim().split('\n').pop()!);
    expect(out.modules).toEqual(['resnet']);
    expect(out.count).toBeGreaterThan(70);
    expect(out.names).toContain('resnet50');
    expect(out.names.every((n: string) => /res|senet/.test(n))).toBe(true);
    expect(out.backend).toBe('wasm');
    expect(out.shape).toEqual([1, 7]);
  });
});
