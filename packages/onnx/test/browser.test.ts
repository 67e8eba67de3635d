/**
 * An exported resnet18 (the parity fixture's hashed weights) on onnxruntime-web in Debian's headless Chromium
 * (playwright-core, never a downloaded browser), served from a loopback server: wasm always, WebGPU where the page
 * gets an adapter. Bar: 1e-3·max(1, max_abs) of timm's logits (the browser suites' bar).
 */
import { readFileSync } from 'node:fs';
import { createServer, type Server } from 'node:http';
import type { AddressInfo } from 'node:net';
import { mkdtempSync, rmSync } from 'node:fs';
import { tmpdir } from 'node:os';
import { dirname, extname, join, normalize } from 'node:path';
import { createRequire } from 'node:module';
import { setBackend } from '@zoo/core';
import { type BrowserContext, chromium, type Page } from 'playwright-core';
import { afterAll, beforeAll, describe, expect, it } from 'vitest';
import '@zoo/resnet';
import { exportOnnx } from '../src/index.js';
import { compareAll, fixture, fixtureInputNchw, fixtureModel, fixtureRecords } from './helpers.js';

const CHROMIUM = process.env.ZOO_CHROMIUM ?? '/usr/bin/chromium';
// onnxruntime-web's `dist` folder (its exports do not list package.json; the wasm entry lives in dist).
const ORT_DIST = dirname(createRequire(import.meta.url).resolve('onnxruntime-web/wasm'));
const f = fixture(join(import.meta.dirname, 'fixtures'), 'resnet18');

const PAGE = `<!doctype html><html><head><meta charset="utf-8"><title>@zoo/onnx in the browser</title></head><body>
<script type="module">
import * as ort from '/ort/ort.all.min.mjs';
ort.env.wasm.wasmPaths = '/ort/';
ort.env.wasm.numThreads = 1;
window.hasAdapter = async () => !!(navigator.gpu && (await navigator.gpu.requestAdapter()));
window.runOnnx = async (ep) => {
  const model = new Uint8Array(await (await fetch('/model.onnx')).arrayBuffer());
  const input = new Float32Array(await (await fetch('/input.bin')).arrayBuffer());
  const session = await ort.InferenceSession.create(model, { executionProviders: [ep] });
  const out = await session.run({ input0: new ort.Tensor('float32', input, ${JSON.stringify(f.input.shape)}) });
  const y = out.output0;
  const r = { dims: [...y.dims], data: Array.from(y.data) };
  await session.release();
  return r;
};
window.ready = true;
</script></body></html>`;

const TYPES: Record<string, string> = { '.mjs': 'text/javascript', '.js': 'text/javascript', '.wasm': 'application/wasm' };

let server: Server;
let url: string;
let context: BrowserContext;
let page: Page;
let profile: string;
const logs: string[] = [];

beforeAll(async () => {
  expect((await setBackend('wasm')).backend).toBe('wasm');
  // Launch first: no browser is a failure, not a skip.
  profile = mkdtempSync(join(tmpdir(), 'zoo-onnx-chromium-'));
  context = await chromium.launchPersistentContext(profile, {
    executablePath: CHROMIUM,
    headless: true,
    args: ['--headless=new', '--no-sandbox', '--disable-quic', '--no-first-run', '--disable-background-networking', '--disable-component-update', '--enable-unsafe-webgpu'],
  });
  page = context.pages()[0] ?? (await context.newPage());
  page.on('console', (m) => logs.push(`[${m.type()}] ${m.text()}`));
  page.on('pageerror', (e) => logs.push(`[pageerror] ${e.message}`));
  const model = await fixtureModel(f);
  const onnx = await exportOnnx(model);
  model.dispose();
  const input = fixtureInputNchw(f);
  server = createServer((req, res) => {
    const path = decodeURIComponent((req.url ?? '/').split('?')[0]!);
    const send = (body: Uint8Array | string, type: string) => {
      res.writeHead(200, { 'content-type': type });
      res.end(body);
    };
    if (path === '/') return send(PAGE, 'text/html');
    if (path === '/model.onnx') return send(onnx, 'application/octet-stream');
    if (path === '/input.bin') return send(new Uint8Array(input.buffer), 'application/octet-stream');
    if (path.startsWith('/ort/')) {
      const file = normalize(join(ORT_DIST, path.slice(5)));
      if (file.startsWith(ORT_DIST)) {
        try {
          return send(readFileSync(file), TYPES[extname(file)] ?? 'application/octet-stream');
        } catch {
          // fall through to 404
        }
      }
    }
    res.writeHead(404);
    res.end();
  });
  await new Promise<void>((r) => server.listen(0, '127.0.0.1', r));
  url = `http://127.0.0.1:${(server.address() as AddressInfo).port}/`;
  await page.goto(url);
  await page.waitForFunction(() => (window as unknown as { ready?: boolean }).ready === true);
});

afterAll(async () => {
  await context?.close();
  if (profile) rmSync(profile, { recursive: true, force: true });
  await new Promise((r) => server?.close(r));
});

async function run(ep: string): Promise<{ dims: number[]; data: number[] }> {
  try {
    return await page.evaluate((e) => (window as unknown as { runOnnx: (e: string) => Promise<{ dims: number[]; data: number[] }> }).runOnnx(e), ep);
  } catch (e) {
    throw new Error(`${(e as Error).message}\n${logs.slice(-20).join('\n')}`);
  }
}

describe('an exported resnet18 on onnxruntime-web in Chromium', () => {
  it('wasm matches timm at 1e-3·max(1, max_abs)', async () => {
    const r = await run('wasm');
    const [c] = compareAll([{ dims: r.dims, data: Float32Array.from(r.data) }], fixtureRecords(f), 1e-3);
    console.log(`resnet18 on onnxruntime-web wasm: ${c!.message}`);
    expect(c!.ok, c!.message).toBe(true);
  });

  it('webgpu matches timm at 1e-3·max(1, max_abs) where the page has an adapter', async () => {
    const adapter = await page.evaluate(() => (window as unknown as { hasAdapter: () => Promise<boolean> }).hasAdapter());
    if (!adapter) {
      console.log('no WebGPU adapter in this Chromium: webgpu not run');
      expect(adapter).toBe(false);
      return;
    }
    const r = await run('webgpu');
    const [c] = compareAll([{ dims: r.dims, data: Float32Array.from(r.data) }], fixtureRecords(f), 1e-3);
    console.log(`resnet18 on onnxruntime-web webgpu: ${c!.message}`);
    expect(c!.ok, c!.message).toBe(true);
  });
});
