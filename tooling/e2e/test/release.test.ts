/**
 * What a newcomer gets: every public package packed, installed with npm in an empty folder outside the workspace
 * with the README's Node install command, then the README's Node quick start run as written (pretrained weights
 * from a loopback stand-in for the hub, `classify(model, 'photo.png')`) and the installed `zoo` bin with a plugin.
 */
import { execFile, execFileSync } from 'node:child_process';
import { createHash } from 'node:crypto';
import { copyFileSync, existsSync, mkdirSync, mkdtempSync, readdirSync, readFileSync, rmSync, writeFileSync } from 'node:fs';
import { createServer, type Server } from 'node:http';
import type { AddressInfo } from 'node:net';
import { tmpdir } from 'node:os';
import { join, resolve } from 'node:path';
import { promisify } from 'node:util';
import { type ParityFixture, removeFixtureWeights, writeFixtureWeights } from '@zoo/parity';
import { afterAll, beforeAll, describe, expect, it } from 'vitest';

const root = resolve(import.meta.dirname, '../../..');
const FIXTURES = join(import.meta.dirname, 'fixtures');
const work = mkdtempSync(join(tmpdir(), 'zoo-release-'));
const app = join(work, 'app');
const readme = readFileSync(join(root, 'README.md'), 'utf8');

/** Public workspace packages (not `private`), by folder. */
const publicPackages = readdirSync(join(root, 'packages'))
  .filter((d) => existsSync(join(root, 'packages', d, 'package.json')))
  .map((d) => ({ dir: join(root, 'packages', d), manifest: JSON.parse(readFileSync(join(root, 'packages', d, 'package.json'), 'utf8')) }))
  .filter((p) => !p.manifest.private);

function pack(dir: string, dest: string): string {
  const before = new Set(readdirSync(dest));
  execFileSync('pnpm', ['pack', '--pack-destination', dest], { cwd: dir, stdio: 'pipe' });
  const made = readdirSync(dest).filter((f) => !before.has(f) && f.endsWith('.tgz'));
  if (made.length !== 1) throw new Error(`pnpm pack in ${dir} made ${made.join(', ') || 'nothing'}`);
  return join(dest, made[0]!);
}

/** The fenced block right after `<!-- e2e: name -->` in the README. */
function readmeBlock(name: string): string {
  const m = new RegExp(`<!-- e2e: ${name} -->\\n\`\`\`\\w*\\n([\\s\\S]*?)\\n\`\`\``).exec(readme);
  if (!m) throw new Error(`README has no block marked e2e: ${name}`);
  return m[1]!;
}

/** The README's Node install command: `npm i …` in the Install › Node section. */
function readmeNodeInstall(): string[] {
  const section = readme.slice(readme.indexOf('### Node'), readme.indexOf('### Browsers'));
  const line = /^npm i (@zoo\/core .*)$/m.exec(section);
  if (!line) throw new Error('README: no `npm i @zoo/core …` line under ### Node');
  return line[1]!.trim().split(/\s+/);
}

let server: Server;
let endpoint: string;
let weights: string;
const requests: string[] = [];
const gitStatus = () => execFileSync('git', ['status', '--porcelain', '--', 'packages', 'tooling'], { cwd: root }).toString();

beforeAll(async () => {
  // A stand-in for huggingface.co serving the resnet18 test weights of a parity fixture as timm/resnet18.a1_in1k.
  weights = writeFixtureWeights(JSON.parse(readFileSync(join(FIXTURES, 'resnet18.json'), 'utf8')) as ParityFixture);
  const body = readFileSync(weights);
  const etag = createHash('sha1').update(`blob ${body.byteLength}\0`).update(body).digest('hex');
  server = createServer((req, res) => {
    requests.push(`${req.method} ${req.url}`);
    if (req.url !== '/timm/resnet18.a1_in1k/resolve/main/model.safetensors') {
      res.writeHead(404, { 'X-Error-Code': 'EntryNotFound', 'X-Repo-Commit': 'a'.repeat(40) }).end();
      return;
    }
    res.writeHead(200, { 'X-Repo-Commit': 'a'.repeat(40), ETag: `"${etag}"`, 'Content-Length': String(body.byteLength) });
    res.end(req.method === 'HEAD' ? undefined : body);
  });
  await new Promise<void>((r) => server.listen(0, '127.0.0.1', r));
  endpoint = `http://127.0.0.1:${(server.address() as AddressInfo).port}`;

  const tarballs = join(work, 'tarballs');
  mkdirSync(tarballs);
  const status = gitStatus();
  const tgz = new Map<string, string>();
  for (const p of publicPackages) tgz.set(p.manifest.name, pack(p.dir, tarballs));
  tgz.set('zoo-plugin-example', pack(join(root, 'tooling/plugin-example'), tarballs));
  // Packing builds nothing into the repo (packages are packed from turbo's dist/).
  expect(gitStatus()).toBe(status);

  mkdirSync(app);
  writeFileSync(join(app, 'package.json'), JSON.stringify({ name: 'app', private: true, type: 'module' }));
  copyFileSync(join(FIXTURES, 'chelsea.png'), join(app, 'photo.png'));
  // The README's command with our tarballs for @zoo/* (not published yet), plus the other packages and the plugin.
  const readmeArgs = readmeNodeInstall().map((a) => tgz.get(a) ?? a);
  const rest = [...tgz].filter(([name]) => !readmeNodeInstall().includes(name)).map(([, file]) => file);
  execFileSync('npm', ['install', '--no-audit', '--no-fund', '--loglevel=error', ...readmeArgs, ...rest], { cwd: app, stdio: 'pipe' });
});

afterAll(async () => {
  removeFixtureWeights(weights);
  rmSync(work, { recursive: true, force: true });
  await new Promise<void>((r) => server?.close(() => r()));
});

const hubEnv = () => ({ ...process.env, HF_ENDPOINT: endpoint, HF_HUB_CACHE: join(work, 'hub-cache'), HF_HUB_OFFLINE: '', HF_TOKEN: '', ZOO_NUM_THREADS: '1' });
// Asynchronous: the loopback hub lives in this process and must keep answering while a child runs.
const run = promisify(execFile);
const zooBin = async (args: string[], env: NodeJS.ProcessEnv = hubEnv()) => (await run(join(app, 'node_modules/.bin/zoo'), args, { cwd: app, env })).stdout;

describe('release: packed public packages installed outside the workspace', () => {
  it('every public package packs with dist, types and ranges (no workspace: protocol), and installs once', () => {
    expect(publicPackages.map((p) => p.manifest.name).sort()).toEqual([
      '@zoo/beit', '@zoo/byobnet', '@zoo/cli', '@zoo/convnext', '@zoo/core', '@zoo/cspnet', '@zoo/densenet', '@zoo/dla',
      '@zoo/efficientnet', '@zoo/efficientvit', '@zoo/eva', '@zoo/fastvit', '@zoo/ghostnet', '@zoo/hgnet', '@zoo/hiera', '@zoo/hrnet',
      '@zoo/inception', '@zoo/levit', '@zoo/maxxvit', '@zoo/metaformer', '@zoo/mlp-mixer', '@zoo/mobilevit', '@zoo/nfnet', '@zoo/onnx',
      '@zoo/pvt', '@zoo/regnet', '@zoo/repvit', '@zoo/resnet', '@zoo/resnetv2', '@zoo/rexnet', '@zoo/swin', '@zoo/testing', '@zoo/tiny-vit',
      '@zoo/train', '@zoo/vgg', '@zoo/vit', '@zoo/vit-hybrid', '@zoo/vit-relpos', '@zoo/xception', '@zoo/xcit',
    ]);
    for (const p of publicPackages) {
      const dir = join(app, 'node_modules', p.manifest.name);
      const text = readFileSync(join(dir, 'package.json'), 'utf8');
      expect(text, p.manifest.name).not.toContain('workspace:');
      const m = JSON.parse(text);
      expect(existsSync(join(dir, m.main)), `${p.manifest.name} ${m.main}`).toBe(true);
      expect(existsSync(join(dir, m.types)), `${p.manifest.name} ${m.types}`).toBe(true);
      // one copy of each: no package brings its own core, tfjs or sharp
      for (const dep of ['@zoo/core', '@tensorflow/tfjs-core', 'sharp']) expect(existsSync(join(dir, 'node_modules', dep)), `${p.manifest.name} → ${dep}`).toBe(false);
    }
    const cli = JSON.parse(readFileSync(join(app, 'node_modules/@zoo/cli/package.json'), 'utf8'));
    for (const [name, range] of Object.entries(cli.dependencies as Record<string, string>)) expect(range, name).toMatch(/^\^/);
    // the Node entry is what Node resolves @zoo/core to
    const resolved = execFileSync('node', ['--input-type=module', '-e', "console.log(import.meta.resolve('@zoo/core'))"], { cwd: app }).toString().trim();
    expect(resolved).toMatch(/node_modules\/@zoo\/core\/dist\/index\.node\.js$/);
  });

  it("runs the README's Node quick start as written: pretrained weights, warmup, classify(model, 'photo.png')", async () => {
    writeFileSync(join(app, 'quickstart.mjs'), readmeBlock('node-quickstart'));
    const out = (await run('node', ['quickstart.mjs'], { cwd: app, env: hubEnv() })).stdout;
    expect(requests).toContain('GET /timm/resnet18.a1_in1k/resolve/main/model.safetensors');
    const rows = [...out.matchAll(/index: (\d+),\s+label: '([^']*)',\s+probability: ([\d.e-]+)/g)];
    expect(rows).toHaveLength(5);
    // the same answer as the installed CLI on the same image and weights
    const cli = JSON.parse(await zooBin(['predict', 'resnet18.a1_in1k', 'photo.png', '--json']));
    expect(rows.map((r) => Number(r[1]))).toEqual(cli[0].top.map((t: { index: number }) => t.index));
    expect(rows.map((r) => r[2])).toEqual(cli[0].top.map((t: { label: string }) => t.label));
  });

  it('the installed zoo bin loads the optional families and a plugin package (discovered, or with --plugin)', async () => {
    expect((await zooBin(['list', 'vit_tiny_patch16_224'])).trim()).toBe('vit_tiny_patch16_224');
    const info = JSON.parse(await zooBin(['info', 'example_tinynet', '--json']));
    expect(info.module).toBe('zoo_plugin_example');
    const off = { ...hubEnv(), ZOO_NO_PLUGIN_DISCOVERY: '1' };
    expect((await zooBin(['--plugin', 'zoo-plugin-example', 'list', 'example_*'], off)).trim()).toBe('example_tinynet');
    const err = await zooBin(['info', 'example_tinynet'], off).then(
      () => '',
      (e: { stderr?: string }) => String(e.stderr),
    );
    expect(err).toMatch(/Unknown model 'example_tinynet'.*zoo list/);
  });
});
