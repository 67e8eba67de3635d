/**
 * The demo in real headless Chromium, served from a loopback server (COOP/COEP set): timm parity fixtures on webgpu,
 * webgl and wasm, and the demo flow end to end (model, weights from a loopback hub, classify chelsea.png) against
 * what Node computes for the same weights and image.
 */
import { mkdirSync, writeFileSync } from 'node:fs';
import { readFile } from 'node:fs/promises';
import { fileURLToPath } from 'node:url';
import { classify, createModel, hubFiles, readCheckpoint, resolveDataConfig, setBackend, type VisionModel, writeSafetensors } from '@zoo/core';
import { createNodeTransform } from '@zoo/core/node';
import { tfjsWasmWorkerSource } from '@zoo/core/vite';
import '@zoo/resnet';
import { fixtureStateDict, type ParityFixture } from '@zoo/parity/pure';
import sharp from 'sharp';
import { createServer } from 'vite';
import { afterAll, beforeAll, describe, expect, it } from 'vitest';
import { type HubServer, startHubServer } from '../../core/test/hub/hub-server.js';
import type { ParityRun } from '../src/parity-page.js';
import { type Browser, launchChromium } from './helpers/browser.js';
import { buildDemo, DEMO_DIR } from './helpers/build.js';
import { type DemoServer, startDemoServer } from './helpers/server.js';

const OUT = `${DEMO_DIR}test-output`;
const DIST = `${OUT}/dist`;
const RESNET_FIXTURES = fileURLToPath(new URL('../../resnet/test/fixtures/', import.meta.url));
const CHELSEA = fileURLToPath(new URL('./fixtures/chelsea.png', import.meta.url));
const COMMIT = 'c0ffee0000000000000000000000000000000042';

let browser: Browser;
let server: DemoServer;
let hub: HubServer;
const timings: Record<string, number> = {};

beforeAll(async () => {
  mkdirSync(OUT, { recursive: true });
  let t = Date.now();
  // Launch first: no browser is a failure, not a skip.
  browser = await launchChromium();
  timings.launch = Date.now() - t;
  t = Date.now();
  await buildDemo(DIST);
  timings.build = Date.now() - t;
  hub = await startHubServer();
  server = await startDemoServer({ root: DIST, mounts: { '/fixtures/resnet/': RESNET_FIXTURES }, hub });
});

afterAll(async () => {
  await browser?.close();
  await server?.close();
  await hub?.close();
  console.log(`browser test timings (ms): ${JSON.stringify(timings)}`);
});

describe('parity in Chromium', () => {
  const cases: [backend: 'webgpu' | 'webgl' | 'wasm', fixture: string][] = [
    ['wasm', 'resnet18'],
    ['webgl', 'resnet18'],
    // WebGPU here is SwiftShader (software): a smaller fixture.
    ['webgpu', 'resnet10t_176'],
  ];
  for (const [backend, fixture] of cases) {
    it(`${fixture} on ${backend} matches timm at 1e-3 * max(1, max_abs)`, async () => {
      const { page, logs } = browser;
      await page.goto(`${server.url}/parity.html`);
      await page.waitForFunction(() => typeof window.zooParity === 'function');
      const t = Date.now();
      let r: ParityRun;
      try {
        r = await page.evaluate(([f, b]) => window.zooParity(`/fixtures/resnet/${f}.json`, b as 'wasm'), [fixture, backend] as const);
      } catch (e) {
        throw new Error(`${(e as Error).message}\n${logs.slice(-20).join('\n')}`);
      }
      timings[`parity ${fixture} ${backend}`] = Date.now() - t;
      console.log(`${fixture} on ${r.backend} (${r.reason}) build ${r.ms.build.toFixed(0)} ms, forward + compare ${r.ms.forward.toFixed(0)} ms: ${r.results.map((x) => x.message).join('; ')}`);
      expect(r.backend).toBe(backend);
      if (backend === 'wasm') {
        // The page is cross-origin isolated: tfjs loads its threaded SIMD binary (a bundled `?url` asset).
        expect(r.reason).toMatch(/threaded SIMD binary \(cross-origin isolated\)/);
        expect(server.requests.some((p) => /\/assets\/tfjs-backend-wasm-threaded-simd-[\w-]+\.wasm$/.test(p))).toBe(true);
      }
      expect(r.results.map((x) => x.name)).toEqual(['forward_features', 'logits', 'pre_logits']);
      for (const x of r.results) expect(x.ok, x.message).toBe(true);
    });
  }
});

describe("setBackend('auto') in Chromium", () => {
  it('skips software GPU renderers (here SwiftShader WebGPU and WebGL) and picks wasm, saying what it skipped', async () => {
    const { page } = browser;
    await page.goto(`${server.url}/parity.html`);
    await page.waitForFunction(() => typeof window.zooBackend === 'function');
    const renderer = await page.evaluate(() => {
      const gl = document.createElement('canvas').getContext('webgl2');
      const ext = gl?.getExtension('WEBGL_debug_renderer_info');
      return gl && ext ? String(gl.getParameter(ext.UNMASKED_RENDERER_WEBGL)) : '';
    });
    const info = await page.evaluate(() => window.zooBackend('auto'));
    console.log(`auto: ${JSON.stringify(info)} (WebGL renderer: ${renderer})`);
    expect(info.reason).toMatch(new RegExp(`^auto: ${info.backend}`));
    if (/swiftshader|llvmpipe/i.test(renderer)) {
      // this machine has no GPU: both GPU backends would run in software, 20-40x slower than wasm
      expect(info.backend).toBe('wasm');
      expect(info.reason).toMatch(/webgl: software WebGL renderer \(.*(SwiftShader|llvmpipe).*\) skipped \(allowSoftwareWebGL: true to use it\)/i);
    } else expect(['webgpu', 'webgl']).toContain(info.backend);
    if (info.backend !== 'webgpu') expect(info.reason).toMatch(/skipped webgpu: (software WebGPU adapter|no WebGPU adapter|navigator.gpu is missing)/);
    await expect(page.evaluate(() => window.zooBackend('nope' as 'auto'))).rejects.toThrow(/unknown backend 'nope'/);
  });
});

describe('a minified production build (COOP/COEP)', () => {
  it('reaches a working wasm backend within 20 s (threaded, or the single-threaded fallback with the reason)', async () => {
    const dist = `${OUT}/dist-minified`;
    await buildDemo(dist, { minify: true });
    const min = await startDemoServer({ root: dist, mounts: { '/fixtures/resnet/': RESNET_FIXTURES } });
    try {
      const { page, logs } = browser;
      await page.goto(`${min.url}/parity.html`);
      await page.waitForFunction(() => typeof window.zooParity === 'function');
      expect(await page.evaluate(() => crossOriginIsolated)).toBe(true);
      const t = Date.now();
      const r = await page.evaluate(() => window.zooParity('/fixtures/resnet/resnet10t_176.json', 'wasm'));
      const ms = Date.now() - t;
      timings['minified: parity resnet10t_176 wasm'] = ms;
      console.log(`minified build, wasm: ${r.reason} (${ms} ms); console: ${logs.filter((l) => /error/i.test(l)).slice(-3).join(' | ')}`);
      expect(ms).toBeLessThanOrEqual(20_000);
      expect(r.backend).toBe('wasm');
      expect(r.reason).toMatch(/threaded SIMD binary \(cross-origin isolated\)|threaded wasm did not start within \d+ ms, so the single-threaded binary runs: .*minifier/);
      for (const x of r.results) expect(x.ok, x.message).toBe(true);
    } finally {
      await min.close();
    }
  });

  it("with @zoo/core/vite's tfjsWasmWorkerSource() the minified build keeps wasm threads", async () => {
    const dist = `${OUT}/dist-minified-plugin`;
    await buildDemo(dist, { minify: true }, [tfjsWasmWorkerSource()]);
    const min = await startDemoServer({ root: dist, mounts: { '/fixtures/resnet/': RESNET_FIXTURES } });
    try {
      const { page } = browser;
      await page.goto(`${min.url}/parity.html`);
      await page.waitForFunction(() => typeof window.zooParity === 'function');
      const t = Date.now();
      const r = await page.evaluate(() => window.zooParity('/fixtures/resnet/resnet10t_176.json', 'wasm'));
      timings['minified + plugin: parity resnet10t_176 wasm'] = Date.now() - t;
      console.log(`minified build with tfjsWasmWorkerSource, wasm: ${r.reason}`);
      expect(r.reason).toMatch(/threaded SIMD binary \(cross-origin isolated\)/);
      expect(r.reason).not.toMatch(/did not start/);
      for (const x of r.results) expect(x.ok, x.message).toBe(true);
    } finally {
      await min.close();
    }
  });
});

describe('checkpointPath as a relative URL', () => {
  it("is fetched relative to the page's base URI (a <base> element included), not refused for want of a file system", async () => {
    const f = JSON.parse(await readFile(`${RESNET_FIXTURES}resnet18.json`, 'utf8')) as ParityFixture;
    const dir = `${OUT}/relative-weights/`;
    mkdirSync(dir, { recursive: true });
    writeFileSync(`${dir}resnet18.safetensors`, writeSafetensors(fixtureStateDict(f)));
    const s = await startDemoServer({ root: DIST, mounts: { '/deep/': dir } });
    try {
      const { page } = browser;
      await page.goto(`${s.url}/parity.html`);
      await page.waitForFunction(() => typeof window.zooCheckpoint === 'function');
      await page.evaluate(() => {
        const base = document.createElement('base');
        base.href = '/deep/';
        document.head.prepend(base);
      });
      const params = await page.evaluate(() => window.zooCheckpoint('resnet18', 'resnet18.safetensors'));
      const local = await createModel('resnet18');
      expect(params).toBe(local.numParams());
      local.dispose();
      expect(s.requests).toContain('/deep/resnet18.safetensors');
    } finally {
      await s.close();
    }
  });
});

describe('vite dev server', () => {
  it('serves the parity page (COOP/COEP set: threaded wasm) and it matches timm', async () => {
    const dev = await createServer({ root: DEMO_DIR, configFile: `${DEMO_DIR}vite.config.ts`, logLevel: 'error', server: { port: 0, host: '127.0.0.1' } });
    try {
      await dev.listen();
      const base = dev.resolvedUrls!.local[0]!.replace(/\/$/, '');
      const { page } = browser;
      const t = Date.now();
      await page.goto(`${base}/parity.html`);
      await page.waitForFunction(() => typeof window.zooParity === 'function', null, { timeout: 120_000 });
      const r = await page.evaluate((url) => window.zooParity(url, 'wasm'), `/@fs${RESNET_FIXTURES}resnet10t_176.json`);
      timings['vite dev: parity resnet10t_176 wasm'] = Date.now() - t;
      expect(r.reason).toMatch(/threaded SIMD binary \(cross-origin isolated\)/);
      for (const x of r.results) expect(x.ok, x.message).toBe(true);
    } finally {
      await dev.close();
    }
  });
});

describe('wasm without COOP/COEP', () => {
  it('runs the single-threaded SIMD binary and says why', async () => {
    const plain = await startDemoServer({ root: DIST, mounts: { '/fixtures/resnet/': RESNET_FIXTURES }, isolate: false });
    try {
      const { page } = browser;
      await page.goto(`${plain.url}/parity.html`);
      await page.waitForFunction(() => typeof window.zooParity === 'function');
      expect(await page.evaluate(() => crossOriginIsolated)).toBe(false);
      const t = Date.now();
      const r = await page.evaluate(() => window.zooParity('/fixtures/resnet/resnet10t_176.json', 'wasm'));
      timings['parity resnet10t_176 wasm (not isolated)'] = Date.now() - t;
      console.log(`resnet10t_176 on wasm, not isolated: ${r.reason}; ${r.results.map((x) => x.message).join('; ')}`);
      expect(r.threads).toBe(1);
      expect(r.reason).toMatch(/single-threaded SIMD binary: .*not cross-origin isolated/);
      expect(plain.requests.some((p) => /\/assets\/tfjs-backend-wasm-simd-[\w-]+\.wasm$/.test(p))).toBe(true);
      expect(plain.requests.some((p) => p.includes('threaded'))).toBe(false);
      for (const x of r.results) expect(x.ok, x.message).toBe(true);
    } finally {
      await plain.close();
    }
  });
});

describe('demo flow in Chromium', () => {
  let expected: { index: number; label: string; probability: number }[];

  beforeAll(async () => {
    // The weights: resnet18's parity-fixture weights, published on the loopback hub in timm's format.
    await setBackend('wasm');
    const f = JSON.parse(await readFile(`${RESNET_FIXTURES}resnet18.json`, 'utf8')) as ParityFixture;
    const src = await createModel('resnet18', { checkpointPath: fixtureStateDict(f) });
    const files = hubFiles(src);
    src.dispose();
    hub.addRepo('timm/resnet18.a1_in1k', { commit: COMMIT, files: { 'config.json': files['config.json'], 'model.safetensors': { content: files['model.safetensors'], lfs: true } } });
    // Node: the same bytes, core's classify + createNodeTransform.
    const model = (await createModel('resnet18', { pretrained: true, pretrainedCfgOverlay: { stateDict: await readCheckpoint(files['model.safetensors']) } })) as VisionModel;
    [expected] = (await classify(model, CHELSEA, { transform: createNodeTransform(resolveDataConfig({ model })) })) as [typeof expected];
    model.dispose();
  });

  it('select model, load weights from the hub, classify chelsea.png: top-1 equals Node', async () => {
    const { page, logs } = browser;
    await page.goto(`${server.url}/`);
    await page.waitForSelector('#status[data-state=idle]');
    expect(await page.evaluate(() => crossOriginIsolated)).toBe(true);
    await page.fill('#model', 'resnet18');
    await page.selectOption('#backend', 'wasm');
    await page.check('input[name=weights][value=hub]');
    await page.fill('#hub-endpoint', `${server.url}/hub`);
    await page.fill('#hub-repo', '');
    await page.setInputFiles('#image-file', CHELSEA);
    const t = Date.now();
    await page.click('#run');
    await page.waitForSelector('#status[data-state=done], #status[data-state=error]');
    timings['demo classify (wasm)'] = Date.now() - t;
    const status = await page.textContent('#status');
    expect(status, `${status}\n${logs.slice(-20).join('\n')}`).toBe('done');

    const rows = await page.$$eval('#top5 tr', (trs) =>
      trs.map((tr) => ({ index: Number((tr as HTMLElement).dataset.index), label: (tr as HTMLElement).dataset.label!, probability: Number((tr as HTMLElement).dataset.probability) })),
    );
    console.log(`Node top-5: ${JSON.stringify(expected)}\npage top-5: ${JSON.stringify(rows)}`);
    expect(rows).toHaveLength(5);
    expect(rows[0]!.index).toBe(expected[0]!.index);
    expect(rows[0]!.label).toBe(expected[0]!.label);
    expect(await page.textContent('#top5 tr:first-child .label')).toBe(expected[0]!.label);
    for (let i = 0; i < 5; i++) expect(Math.abs(rows[i]!.probability - expected[i]!.probability)).toBeLessThan(1e-3);

    // Weights came over the loopback hub (resolve → LFS redirect → CDN), through the page's configurable endpoint.
    expect(hub.count({ server: 'hub', file: 'model.safetensors' })).toBeGreaterThanOrEqual(1);
    expect(hub.count({ server: 'cdn' })).toBeGreaterThanOrEqual(1);

    const backend = await page.getAttribute('#backend-info', 'data-backend');
    expect(backend).toBe('wasm');
    const last = await page.evaluate(() => window.zooDemo.last!);
    console.log(`backend: ${JSON.stringify(last.backend)}; stages: ${last.timings.map(([s, ms]) => `${s} ${ms.toFixed(0)} ms`).join(', ')}`);
    expect(last.backend.threads).toBeGreaterThanOrEqual(1);
    expect(last.backend.reason).toMatch(/threaded SIMD binary \(cross-origin isolated\)/);
    expect(await page.textContent('#backend-info')).toContain('cross-origin isolated yes');
    expect(last.timings.map(([s]) => s)).toEqual(expect.arrayContaining(['weights', 'build', 'decode + preprocess', 'forward', 'top-5', 'feature maps']));
    expect(await page.$$eval('#timings tr', (trs) => trs.length)).toBe(last.timings.length);
    // Feature maps of the featuresOnly model: 5 stages, drawn as canvases.
    expect(last.featureShapes.map((s) => s[3])).toEqual([64, 64, 128, 256, 512]);
    expect(await page.$$eval('#features canvas', (cs) => cs.length)).toBe(5 * 8);
    await page.screenshot({ path: `${OUT}/demo.png`, fullPage: true });
  });

  it('weights from a file the user picks give the same top-5', async () => {
    const { page, logs } = browser;
    const file = `${OUT}/resnet18-fixture.safetensors`;
    writeFileSync(file, hub.file('timm/resnet18.a1_in1k', 'model.safetensors').content);
    await page.check('input[name=weights][value=file]');
    await page.setInputFiles('#weights-file', file);
    await page.uncheck('#show-features');
    await page.click('#run');
    await page.waitForSelector('#status[data-state=done], #status[data-state=error]');
    const status = await page.textContent('#status');
    expect(status, `${status}\n${logs.slice(-20).join('\n')}`).toBe('done');
    const last = await page.evaluate(() => window.zooDemo.last!);
    expect(last.top5.map((r) => r.index)).toEqual(expected.map((r) => r.index));
    expect(last.featureShapes).toEqual([]);
    expect(await page.$$eval('#features canvas', (cs) => cs.length)).toBe(0);
  });
});

describe('teach it your classes (Chromium)', () => {
  // Two classes of real PNGs: red-dominant and blue-dominant noise images (seeded), 4 to learn from per class and one
  // held out per class.
  const png = async (file: string, rgb: [number, number, number], seed: number) => {
    let s = seed;
    const rand = () => {
      s = (s * 1103515245 + 12345) % 2 ** 31;
      return s / 2 ** 31;
    };
    const data = Buffer.alloc(48 * 48 * 3);
    for (let i = 0; i < data.length; i++) data[i] = Math.max(0, Math.min(255, Math.round(rgb[i % 3]! + (rand() - 0.5) * 120)));
    await sharp(data, { raw: { width: 48, height: 48, channels: 3 } }).png().toFile(file);
    return file;
  };
  const dir = `${OUT}/teach`;
  const red: string[] = [];
  const blue: string[] = [];

  beforeAll(async () => {
    mkdirSync(dir, { recursive: true });
    for (let i = 0; i < 5; i++) {
      red.push(await png(`${dir}/red${i}.png`, [200, 60, 50], 1 + i));
      blue.push(await png(`${dir}/blue${i}.png`, [40, 70, 210], 101 + i));
    }
  });

  it('fine-tunes a new 2-class head in the page; the training images and held-out ones are then classified by it', async () => {
    const { page, logs } = browser;
    await page.goto(`${server.url}/`);
    await page.waitForSelector('#status[data-state=idle]');
    await page.fill('#model', 'resnet10t');
    await page.selectOption('#backend', 'wasm');
    await page.check('input[name=weights][value=none]');
    await page.uncheck('#show-features');
    const names = page.locator('.teach-name');
    await names.nth(0).fill('red things');
    await names.nth(1).fill('blue things');
    const inputs = page.locator('.teach-files');
    await inputs.nth(0).setInputFiles(red.slice(0, 4));
    await inputs.nth(1).setInputFiles(blue.slice(0, 4));
    await page.fill('#teach-steps', '12');
    await page.fill('#teach-size', '64');
    const t = Date.now();
    await page.click('#teach-run');
    await page.waitForSelector('#teach-status[data-state=done], #teach-status[data-state=error]', { timeout: 240_000 });
    timings['demo teach (wasm)'] = Date.now() - t;
    const status = await page.textContent('#teach-status');
    expect(status, `${status}\n${logs.slice(-20).join('\n')}`).toMatch(/^done: 2 classes, 8 images/);
    const r = await page.evaluate(() => window.zooDemo.teach!);
    console.log(`teach: losses ${r.losses.map((l) => l.toFixed(3)).join(' ')}; before ${r.before.join('')} after ${r.after.join('')} (targets ${r.targets.join('')}); ${r.ms.toFixed(0)} ms`);
    expect(r.classes).toEqual(['red things', 'blue things']);
    expect(r.trained).toEqual(['fc']);
    expect(r.targets).toEqual([0, 0, 0, 0, 1, 1, 1, 1]);
    expect(r.after).toEqual(r.targets);
    expect(r.losses[r.losses.length - 1]!).toBeLessThan(r.losses[0]! / 2);

    // Classify with the new head: the held-out images, by the class names given
    for (const [file, label] of [[red[4]!, 'red things'], [blue[4]!, 'blue things']] as const) {
      await page.setInputFiles('#image-file', file);
      await page.click('#run');
      await page.waitForSelector('#status[data-state=done], #status[data-state=error]');
      expect(await page.textContent('#status')).toBe('done');
      const last = await page.evaluate(() => window.zooDemo.last!);
      expect(last.top5.map((x) => x.label)).toEqual([label, label === 'red things' ? 'blue things' : 'red things']);
    }
  });
});
