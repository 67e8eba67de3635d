/**
 * Bundling: a Vite (Rolldown) build of an entry that imports only `@zoo/core` + `@zoo/resnet` holds no code of the
 * other families, and an entry that imports a family only for its side effect still registers it (the bundle, run
 * in Node, lists the family's models), and the parity helpers the demo's parity page shares with the Node suites
 * (`@zoo/parity/pure`) bundle without any Node-only code.
 */
import { execFile } from 'node:child_process';
import { mkdirSync, readdirSync, readFileSync, writeFileSync } from 'node:fs';
import { join } from 'node:path';
import { promisify } from 'node:util';
import { build, defaultClientConditions } from 'vite';
import { afterAll, describe, expect, it } from 'vitest';
import { DEMO_DIR } from './helpers/build.js';

const run = promisify(execFile);
const OUT = join(DEMO_DIR, 'test-output', 'bundle');
const timings: Record<string, number> = {};

/** Bundles `source` for the browser (tfjs left external, not minified) and returns the JS of every chunk. */
async function bundle(name: string, source: string): Promise<{ code: string; entry: string }> {
  const dir = join(OUT, name);
  mkdirSync(dir, { recursive: true });
  const entry = join(dir, 'entry.js');
  writeFileSync(entry, source);
  const t = Date.now();
  await build({
    configFile: false,
    root: dir,
    logLevel: 'silent',
    resolve: { conditions: ['@zoo/source', ...defaultClientConditions] },
    build: {
      outDir: join(dir, 'dist'),
      emptyOutDir: true,
      minify: false,
      lib: { entry, formats: ['es'], fileName: 'bundle' },
      rolldownOptions: { external: [/^@tensorflow\//] },
    },
  });
  timings[name] = Date.now() - t;
  const files = readdirSync(join(dir, 'dist'), { recursive: true }).map(String).filter((f) => f.endsWith('.js'));
  const code = files.map((f) => readFileSync(join(dir, 'dist', f), 'utf8')).join('\n');
  return { code, entry: join(dir, 'dist', files.find((f) => f.startsWith('bundle'))!) };
}

/** Runs the bundle in Node (tfjs resolved from this package's node_modules) and returns what it exports as `models`. */
async function listedBy(file: string): Promise<string[]> {
  const { stdout } = await run(process.execPath, ['--input-type=module', '-e', `const m = await import(${JSON.stringify(file)}); console.log(JSON.stringify(m.models));`], { cwd: DEMO_DIR });
  return JSON.parse(stdout.trim().split('\n').pop()!) as string[];
}

/** Whether the code defines class `name` (`class X` or, as Rolldown emits it, `var X = class`). */
const hasClass = (code: string, name: string) => new RegExp(`\\bclass ${name}\\b|\\b${name} = class\\b`).test(code);

const OTHER_CLASSES = ['EfficientNet', 'MobileNetV3', 'InvertedResidual', 'VisionTransformer'];
// Pretrained tags (cfg keys), not bare names: core's table of which package registers which name prefix
// (registry/families-table.ts, for "install @zoo/vit" hints) holds some bare names by design.
const OTHER_NAMES = ["'efficientnet_b0'", '"efficientnet_b0"', 'mobilenetv3_large_100', 'vit_base_patch16_224.augreg2_in21k_ft_in1k'];

afterAll(() => console.log(`bundle build timings (ms): ${JSON.stringify(timings)}`));

describe('bundling with Vite', () => {
  it('core + resnet: no code of another family, and resnet registers', async () => {
    const { code, entry } = await bundle('core-resnet', "import { listModels } from '@zoo/core';\nimport '@zoo/resnet';\nexport const models = listModels();\n");
    expect(hasClass(code, 'ResNet')).toBe(true);
    expect(hasClass(code, 'Bottleneck')).toBe(true);
    for (const c of OTHER_CLASSES) expect(hasClass(code, c), `bundle defines class ${c}`).toBe(false);
    for (const n of OTHER_NAMES) expect(code.includes(n), `bundle contains ${n}`).toBe(false);
    const models = await listedBy(entry);
    expect(models).toContain('resnet18');
    expect(models).toContain('resnet50d');
    expect(models.some((m) => m.startsWith('efficientnet') || m.startsWith('vit_'))).toBe(false);
  });

  it('a family imported only for its side effect is still registered', async () => {
    const { code, entry } = await bundle('side-effect', "import '@zoo/efficientnet';\nimport { listModels } from '@zoo/core';\nexport const models = listModels();\n");
    expect(hasClass(code, 'EfficientNet')).toBe(true);
    expect(hasClass(code, 'ResNet')).toBe(false);
    const models = await listedBy(entry);
    expect(models).toContain('efficientnet_b0');
    expect(models).toContain('mobilenetv3_large_100');
    expect(models.some((m) => m.startsWith('resnet'))).toBe(false);
  });

  it('@zoo/parity/pure (the parity page helpers) bundles with no Node-only code', async () => {
    const { code } = await bundle('parity-pure', "export { compareData, fixtureInput, fixtureStateDict, hashFill, torchLayout } from '@zoo/parity/pure';\n");
    expect(code).toMatch(/function hashFill\b/);
    expect(code).toMatch(/function compareData\b/);
    // No Node built-in (`node:fs`, `fs`, ...), no Node global, no file writing: what `@zoo/parity`'s index adds.
    const nodeImports = [...code.matchAll(/(?:from|import\(|require\()\s*["'](node:[^"']+|fs|os|path|crypto|zlib|url)["']/g)].map((m) => m[1]);
    expect(nodeImports).toEqual([]);
    for (const s of ['Buffer.', 'process.', 'mkdtempSync', 'writeFileSync', '__vite-browser-external']) expect(code.includes(s), `bundle contains ${s}`).toBe(false);
  });
});
