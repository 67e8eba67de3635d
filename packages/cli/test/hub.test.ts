/** The pretrained path: `zoo predict` without --weights downloads from HF_ENDPOINT (a loopback stand-in) with progress on stderr. */
import { createHash } from 'node:crypto';
import { mkdtempSync, readFileSync, rmSync } from 'node:fs';
import { createServer, type Server } from 'node:http';
import type { AddressInfo } from 'node:net';
import { tmpdir } from 'node:os';
import { join } from 'node:path';
import { type ParityFixture, removeFixtureWeights, writeFixtureWeights } from '@zoo/parity';
import { afterAll, beforeAll, describe, expect, it } from 'vitest';
import { FIXTURES, isOneLineError, zoo } from './helpers.js';

const COMMIT = 'a'.repeat(40);
let server: Server;
let endpoint: string;
let weights: string;
const requests: string[] = [];

beforeAll(async () => {
  weights = writeFixtureWeights(JSON.parse(readFileSync(join(FIXTURES, 'resnet18.json'), 'utf8')) as ParityFixture);
  const body = readFileSync(weights);
  const etag = createHash('sha1').update(`blob ${body.byteLength}\0`).update(body).digest('hex');
  server = createServer((req, res) => {
    requests.push(`${req.method} ${req.url}`);
    if (req.url !== '/timm/resnet18.a1_in1k/resolve/main/model.safetensors') {
      res.writeHead(404, { 'X-Error-Code': 'EntryNotFound', 'X-Error-Message': 'Entry not found', 'X-Repo-Commit': COMMIT }).end();
      return;
    }
    res.writeHead(200, { 'X-Repo-Commit': COMMIT, ETag: `"${etag}"`, 'Content-Length': String(body.byteLength) });
    if (req.method === 'HEAD') {
      res.end();
      return;
    }
    for (let o = 0; o < body.byteLength; o += 1 << 20) res.write(body.subarray(o, o + (1 << 20)));
    res.end();
  });
  await new Promise<void>((r) => server.listen(0, '127.0.0.1', r));
  endpoint = `http://127.0.0.1:${(server.address() as AddressInfo).port}`;
});

const made: string[] = [];
function tmp(): string {
  const dir = mkdtempSync(join(tmpdir(), 'zoo-cli-hub-'));
  made.push(dir);
  return dir;
}
afterAll(async () => {
  for (const dir of made) rmSync(dir, { recursive: true, force: true });
  removeFixtureWeights(weights);
  await new Promise<void>((r) => server.close(() => r()));
});

describe('pretrained download', () => {
  it('downloads model.safetensors with progress on stderr, then predicts as with --weights', async () => {
    const cache = tmp();
    const env = { HF_ENDPOINT: endpoint, HF_HUB_CACHE: cache, HF_HUB_OFFLINE: '', HF_TOKEN: '' };
    const r = await zoo(['predict', 'resnet18', 'test/fixtures/chelsea.png', '--json'], env);
    expect(r.code, r.stderr).toBe(0);
    expect(requests.some((q) => q.startsWith('GET /timm/resnet18.a1_in1k/resolve/main/model.safetensors'))).toBe(true);
    expect(r.stderr).toMatch(/downloading model\.safetensors: [\d.]+\/[\d.]+ MB \(100%\)/);
    const local = await zoo(['predict', 'resnet18', 'test/fixtures/chelsea.png', '--json', '--weights', weights]);
    expect(JSON.parse(r.stdout)).toEqual(JSON.parse(local.stdout));

    // offline with an empty cache: one clear line, exit 1
    const off = await zoo(['predict', 'resnet18', 'test/fixtures/chelsea.png'], {
      HF_HUB_CACHE: tmp(),
      HF_HUB_OFFLINE: '1',
    });
    expect(off.code).toBe(1);
    expect(isOneLineError(off), off.stderr).toBe(true);
    expect(off.stderr).toMatch(/No pretrained weights for 'timm\/resnet18.a1_in1k'/);
  });
});

describe('an unreachable hub fails fast, in one line naming the endpoint and the cause', () => {
  // DNS failures and refused connections are not retried. The bound is on what the hub adds to a run: a run of the
  // same command that fails before any request (an unknown model: start-up, families loaded) is subtracted, so a
  // loaded machine's slow start-up from TypeScript sources does not count.
  const CEILING_MS = 5000;

  async function closedPort(): Promise<number> {
    const s = createServer();
    await new Promise<void>((r) => s.listen(0, '127.0.0.1', r));
    const port = (s.address() as AddressInfo).port;
    await new Promise<void>((r) => s.close(() => r()));
    return port;
  }

  it.each([
    ['a host that does not resolve', async () => 'http://nonexistent.invalid', /ENOTFOUND|EAI_AGAIN/],
    ['a refused connection', async () => `http://127.0.0.1:${await closedPort()}`, /ECONNREFUSED/],
  ])('%s', async (_what, endpointOf, cause) => {
    const hub = await endpointOf();
    const env = { HF_ENDPOINT: hub, HF_HUB_CACHE: tmp(), HF_HUB_OFFLINE: '', HF_TOKEN: '' };
    let t0 = performance.now();
    const base = await zoo(['predict', 'resnet18_no_such_model', 'test/fixtures/chelsea.png'], env);
    const startup = performance.now() - t0;
    expect(base.stderr).toMatch(/Unknown model/);
    t0 = performance.now();
    const r = await zoo(['predict', 'resnet18.a1_in1k', 'test/fixtures/chelsea.png'], env);
    const ms = performance.now() - t0;
    expect(r.code).toBe(1);
    expect(isOneLineError(r), r.stderr).toBe(true);
    expect(r.stderr).toContain(hub);
    expect(r.stderr).toMatch(cause);
    expect(r.stderr).toMatch(/after 1 attempt\(s\)/);
    expect(ms - startup).toBeLessThanOrEqual(CEILING_MS);
  });
});
