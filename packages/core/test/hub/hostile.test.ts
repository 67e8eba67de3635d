/**
 * A hostile hub: loopback servers whose headers try to walk out of the cache, redirect the token to another host,
 * trickle or stall; two real processes sharing one cache. After every test nothing outside the cache folder may
 * have been created or changed.
 */
import { spawn } from 'node:child_process';
import { createHash } from 'node:crypto';
import { lstat, mkdir, mkdtemp, readdir, readFile, rm, symlink, writeFile } from 'node:fs/promises';
import { createServer, type IncomingMessage, type ServerResponse } from 'node:http';
import type { AddressInfo } from 'node:net';
import { tmpdir } from 'node:os';
import { dirname, join } from 'node:path';
import { fileURLToPath } from 'node:url';
import { afterEach, beforeEach, describe, expect, it } from 'vitest';
import { downloadHubFile, HubError, hubFileExists, parseHubRepoId } from '../../src/hub/index.js';
import { sha256, startHubServer } from './hub-server.js';

const REPO = 'org/model';
const COMMIT = 'c'.repeat(40);
const BODY = new TextEncoder().encode('{"architecture": "resnet18"}');
const BODY_SHA1 = createHash('sha1').update(`blob ${BODY.byteLength}\0`).update(BODY).digest('hex');
const ENV_KEYS = ['HF_ENDPOINT', 'HF_TOKEN', 'HF_HUB_OFFLINE', 'HF_HUB_CACHE', 'HF_HOME', 'HF_TOKEN_PATH', 'HF_HUB_DOWNLOAD_TIMEOUT', 'HF_HUB_ETAG_TIMEOUT'];
const saved: Record<string, string | undefined> = {};
const noRetry = { retries: 0, retryDelayMs: 1, maxRetryDelayMs: 1 };

interface Logged {
  method: string;
  url: string;
  authorization: string | undefined;
}

/** A loopback server running `handler`, logging every request. */
async function serve(handler: (req: IncomingMessage, res: ServerResponse) => void) {
  const log: Logged[] = [];
  const server = createServer((req, res) => {
    log.push({ method: req.method!, url: req.url!, authorization: req.headers.authorization });
    handler(req, res);
  });
  const sockets = new Set<import('node:net').Socket>();
  server.on('connection', (s) => {
    sockets.add(s);
    s.on('close', () => sockets.delete(s));
  });
  await new Promise<void>((r) => server.listen(0, '127.0.0.1', () => r()));
  const port = (server.address() as AddressInfo).port;
  const close = () => {
    for (const s of sockets) s.destroy();
    return new Promise<void>((r) => server.close(() => r()));
  };
  servers.push(close);
  return { url: `http://127.0.0.1:${port}`, host: `127.0.0.1:${port}`, log, close };
}

/** Every file and link under `dir` with its content (or link target), the cache folder left out. */
async function snapshotOutside(dir: string, skip: string): Promise<Record<string, string>> {
  const out: Record<string, string> = {};
  async function walk(d: string): Promise<void> {
    for (const e of await readdir(d, { withFileTypes: true })) {
      const p = join(d, e.name);
      if (p === skip) continue;
      if (e.isDirectory()) {
        out[`${p}/`] = 'dir';
        await walk(p);
      } else if (e.isSymbolicLink()) out[p] = `link`;
      else out[p] = sha256(await readFile(p));
    }
  }
  await walk(dir);
  return out;
}

let root: string;
let cacheDir: string;
let before: Record<string, string>;
let servers: (() => Promise<void>)[] = [];

beforeEach(async () => {
  for (const k of ENV_KEYS) {
    saved[k] = process.env[k];
    delete process.env[k];
  }
  process.env.HF_TOKEN_PATH = join(tmpdir(), 'zoo-hub-no-token-file');
  root = await mkdtemp(join(tmpdir(), 'zoo-hostile-'));
  cacheDir = join(root, 'cache');
  await mkdir(join(root, 'outside', 'x'), { recursive: true });
  await writeFile(join(root, 'outside', 'secret'), 'TOPSECRET-CONTENT');
  await writeFile(join(root, 'outside', 'x', 'config.json'), 'victim bytes');
  before = await snapshotOutside(root, cacheDir);
});

afterEach(async () => {
  // The invariant of this file: nothing outside the cache was created, removed or changed.
  expect(await snapshotOutside(root, cacheDir)).toEqual(before);
  for (const close of servers) await close();
  servers = [];
  for (const k of ENV_KEYS) {
    if (saved[k] === undefined) delete process.env[k];
    else process.env[k] = saved[k];
  }
  await rm(root, { recursive: true, force: true });
});

/** A hub whose HEAD/GET answer for every file with these headers and BODY. */
function fileHub(headers: Record<string, string>, status = 200) {
  return serve((req, res) => {
    res.writeHead(status, { 'Content-Length': String(status === 200 ? BODY.byteLength : 0), ...headers });
    res.end(req.method === 'GET' && status === 200 ? BODY : undefined);
  });
}

describe('names that become cache paths', () => {
  it('rejects revisions with ., .. or empty segments, absolute, backslash or control forms; allows refs/pr/1', async () => {
    for (const rev of ['../../../outside/x', '..', 'a/../b', '/etc/passwd', 'a\\..\\b', 'C:/x', 'a//b', 'main\n', './main']) {
      await expect(downloadHubFile(REPO, 'config.json', { cacheDir, revision: rev, endpoint: 'http://127.0.0.1:9' })).rejects.toThrow(
        /Invalid revision/,
      );
    }
    expect(() => parseHubRepoId('hf-hub:org/repo@../../../../tmp/x')).toThrow(HubError);
    expect(parseHubRepoId('org/repo@refs/pr/1')).toEqual({ repoId: 'org/repo', revision: 'refs/pr/1' });
    const hub = await fileHub({ 'X-Repo-Commit': COMMIT, ETag: `"${BODY_SHA1}"` });
    const p = await downloadHubFile(REPO, 'config.json', { cacheDir, revision: 'refs/pr/1', endpoint: hub.url });
    expect(await readFile(p, 'utf8')).toBe(new TextDecoder().decode(BODY));
    expect(await readFile(join(cacheDir, 'models--org--model', 'refs', 'refs', 'pr', '1'), 'utf8')).toBe(COMMIT);
  });

  it('offline: a traversal revision never reads (or prints) a file outside the cache', async () => {
    process.env.HF_HUB_OFFLINE = '1';
    const err = await downloadHubFile(REPO, 'config.json', { cacheDir, revision: '../../../outside/secret' }).catch((e) => e);
    expect(err).toBeInstanceOf(HubError);
    expect(err.message).toMatch(/Invalid revision/);
    expect(err.message).not.toContain('TOPSECRET');
  });

  it('a ref planted as a symlink out of the cache is refused, online and offline', async () => {
    const storage = join(cacheDir, 'models--org--model');
    await mkdir(join(storage, 'refs'), { recursive: true });
    await symlink(join(root, 'outside', 'secret'), join(storage, 'refs', 'main'));
    const offline = await downloadHubFile(REPO, 'config.json', { cacheDir, offline: true }).catch((e) => e);
    expect(offline).toBeInstanceOf(HubError);
    expect(offline.message).toMatch(/outside the hub cache/);
    expect(offline.message).not.toContain('TOPSECRET');
  });

  it('a snapshot folder planted as a symlink out of the cache is never written through', async () => {
    const hub = await fileHub({ 'X-Repo-Commit': COMMIT, ETag: `"${BODY_SHA1}"` });
    const snaps = join(cacheDir, 'models--org--model', 'snapshots');
    await mkdir(snaps, { recursive: true });
    await symlink(join(root, 'outside', 'x'), join(snaps, COMMIT));
    await expect(downloadHubFile(REPO, 'config.json', { cacheDir, endpoint: hub.url })).rejects.toThrow(/outside the hub cache/);
  });

  it('a commit header with path segments is refused (no folder or symlink outside the cache)', async () => {
    for (const commit of ['../../../outside/x', '../../..', 'C'.repeat(40), `${COMMIT}/..`]) {
      const hub = await fileHub({ 'X-Repo-Commit': commit, ETag: `"${BODY_SHA1}"` });
      const err = await downloadHubFile(REPO, 'config.json', { cacheDir, endpoint: hub.url, ...noRetry }).catch((e) => e);
      expect(err).toBeInstanceOf(HubError);
      expect(err.code).toBe('InvalidCommit');
    }
  });

  it('a 404 with a hostile commit header truncates nothing (markNoExist stays in the cache)', async () => {
    const hub = await fileHub({ 'X-Repo-Commit': '../../../outside/x', 'X-Error-Code': 'EntryNotFound' }, 404);
    expect(await hubFileExists(REPO, 'config.json', { cacheDir, endpoint: hub.url, ...noRetry })).toBe(false);
    await expect(downloadHubFile(REPO, 'config.json', { cacheDir, endpoint: hub.url, ...noRetry })).rejects.toThrow(/not found/i);
    expect(await readFile(join(root, 'outside', 'x', 'config.json'), 'utf8')).toBe('victim bytes');
  });

  it('a 404 marker never follows a symlink planted in .no_exist', async () => {
    const hub = await fileHub({ 'X-Repo-Commit': COMMIT, 'X-Error-Code': 'EntryNotFound' }, 404);
    const noExist = join(cacheDir, 'models--org--model', '.no_exist', COMMIT);
    await mkdir(noExist, { recursive: true });
    await symlink(join(root, 'outside', 'x', 'config.json'), join(noExist, 'config.json'));
    await expect(downloadHubFile(REPO, 'config.json', { cacheDir, endpoint: hub.url, ...noRetry })).rejects.toThrow(HubError);
    expect((await lstat(join(noExist, 'config.json'))).isSymbolicLink()).toBe(true);
  });

  it('accepts only hex sha1/sha256 ETags (quoted or weak)', async () => {
    for (const etag of ['..', '"../../x"', '"abc"', 'W/"."', `"${BODY_SHA1}/.."`]) {
      const hub = await fileHub({ 'X-Repo-Commit': COMMIT, ETag: etag });
      await expect(downloadHubFile(REPO, 'config.json', { cacheDir, endpoint: hub.url, ...noRetry })).rejects.toThrow(/usable ETag/);
    }
    const weak = await fileHub({ 'X-Repo-Commit': COMMIT, ETag: `W/"${BODY_SHA1}"` });
    const p = await downloadHubFile(REPO, 'config.json', { cacheDir, endpoint: weak.url });
    expect(await readFile(p, 'utf8')).toBe(new TextDecoder().decode(BODY));
    expect((await readdir(join(cacheDir, 'models--org--model', 'blobs'))).sort()).toEqual([BODY_SHA1]);
  });
});

describe('redirects and the token', () => {
  const sha = sha256(BODY);
  for (const form of ['protocol-relative //host/x', 'backslash \\\\host\\x']) {
    it(`a HEAD redirect of the ${form} form is another origin: no Authorization reaches it`, async () => {
      const other = await serve((req, res) => {
        res.writeHead(200, { 'Content-Length': String(BODY.byteLength), ETag: `"${sha}"` });
        res.end(req.method === 'GET' ? BODY : undefined);
      });
      const location = form.startsWith('protocol') ? `//${other.host}/lfs/x` : `\\\\${other.host}\\lfs\\x`;
      const hub = await serve((_req, res) => {
        res
          .writeHead(302, {
            Location: location,
            'X-Repo-Commit': COMMIT,
            'X-Linked-Etag': `"${sha}"`,
            'X-Linked-Size': String(BODY.byteLength),
            'Content-Length': '0',
          })
          .end();
      });
      const p = await downloadHubFile(REPO, 'model.bin', { cacheDir, endpoint: hub.url, token: 'hf_secret' });
      expect(sha256(await readFile(p))).toBe(sha);
      expect(hub.log.every((r) => r.authorization === 'Bearer hf_secret')).toBe(true);
      expect(other.log.length).toBeGreaterThan(0);
      expect(other.log.map((r) => r.authorization)).toEqual(other.log.map(() => undefined));
    });
  }

  it('a GET redirected to another origin (followed by us, not fetch) loses Authorization', async () => {
    const other = await serve((_req, res) => {
      res.writeHead(200, { 'Content-Length': String(BODY.byteLength) }).end(BODY);
    });
    const hub = await serve((req, res) => {
      if (req.method === 'HEAD') {
        res.writeHead(200, { 'X-Repo-Commit': COMMIT, ETag: `"${BODY_SHA1}"`, 'Content-Length': String(BODY.byteLength) }).end();
      } else res.writeHead(302, { Location: `//${other.host}/x` }).end();
    });
    const p = await downloadHubFile(REPO, 'config.json', { cacheDir, endpoint: hub.url, token: 'hf_secret' });
    expect(await readFile(p, 'utf8')).toBe(new TextDecoder().decode(BODY));
    expect(other.log.map((r) => r.authorization)).toEqual([undefined]);
  });

  it('a redirect to a non-http scheme is an error', async () => {
    const hub = await fileHub({ Location: 'file:///etc/passwd', 'X-Repo-Commit': COMMIT }, 302);
    await expect(downloadHubFile(REPO, 'config.json', { cacheDir, endpoint: hub.url, ...noRetry })).rejects.toThrow(/not an http\(s\) URL/);
  });
});

describe('timeouts', () => {
  /** HEAD answers at once; GET sends its headers, then `body` decides. */
  function slowHub(body: (res: ServerResponse) => void) {
    const big = 64 * 1024;
    return serve((req, res) => {
      const headers = { 'X-Repo-Commit': COMMIT, ETag: `"${'d'.repeat(40)}"`, 'Content-Length': String(big) };
      if (req.method === 'HEAD') res.writeHead(200, headers).end();
      else {
        res.writeHead(200, headers);
        res.flushHeaders();
        body(res);
      }
    });
  }

  it('a trickling body (1 byte per 100 ms) fails the minimum-speed window', async () => {
    const hub = await slowHub((res) => {
      const t = setInterval(() => res.write('x'), 100);
      res.on('close', () => clearInterval(t));
    });
    const t0 = Date.now();
    const err = await downloadHubFile(REPO, 'w.bin', { cacheDir, endpoint: hub.url, ...noRetry, minSpeed: { bytesPerSecond: 100, windowMs: 800 } }).catch(
      (e) => e,
    );
    expect(err).toBeInstanceOf(HubError);
    expect(err.message).toMatch(/under the minimum of 100 bytes\/s/);
    expect(Date.now() - t0).toBeLessThan(5000);
  });

  it('HF_HUB_DOWNLOAD_TIMEOUT fails a body that stalls', async () => {
    process.env.HF_HUB_DOWNLOAD_TIMEOUT = '0.3';
    const hub = await slowHub((res) => res.write('x'));
    const t0 = Date.now();
    await expect(downloadHubFile(REPO, 'w.bin', { cacheDir, endpoint: hub.url, ...noRetry })).rejects.toThrow(/no data for 300 ms/);
    expect(Date.now() - t0).toBeLessThan(5000);
  });

  it('HF_HUB_ETAG_TIMEOUT bounds the HEAD', async () => {
    process.env.HF_HUB_ETAG_TIMEOUT = '0.3';
    const hub = await serve(() => {
      // never answers
    });
    const t0 = Date.now();
    await expect(downloadHubFile(REPO, 'w.bin', { cacheDir, endpoint: hub.url, ...noRetry })).rejects.toThrow(/Could not reach the hub/);
    expect(Date.now() - t0).toBeLessThan(5000);
  });
});

describe('two processes, one cache', () => {
  it('download one blob once and both get the right bytes', async () => {
    const server = await startHubServer();
    servers.push(() => server.close());
    const weights = new Uint8Array(384 * 1024).map((_, i) => (i * 2654435761) >>> 24);
    server.addRepo(REPO, { commit: COMMIT, files: { 'model.safetensors': { content: weights, lfs: true } } });
    // ~1.5 s of body, so that both processes are inside the download at once.
    server.faults.push({ kind: 'slow', where: 'cdn', delayMs: 4, times: 10 });
    const child = join(dirname(fileURLToPath(import.meta.url)), 'download-child.ts');
    const run = () =>
      new Promise<{ code: number | null; out: string; err: string }>((resolve) => {
        const p = spawn(process.execPath, ['--import', 'tsx', child, REPO, 'model.safetensors', cacheDir], {
          env: { ...process.env, HF_ENDPOINT: server.url },
          stdio: ['ignore', 'pipe', 'pipe'],
        });
        let out = '';
        let err = '';
        p.stdout.on('data', (d) => (out += d));
        p.stderr.on('data', (d) => (err += d));
        p.on('close', (code) => resolve({ code, out, err }));
      });
    const [a, b] = await Promise.all([run(), run()]);
    expect(a.err + b.err).toBe('');
    expect([a.code, b.code]).toEqual([0, 0]);
    expect(a.out.trim()).toBe(sha256(weights));
    expect(b.out.trim()).toBe(sha256(weights));
    expect(server.count({ server: 'cdn', method: 'GET' })).toBe(1);
    const blobs = await readdir(join(cacheDir, 'models--org--model', 'blobs'));
    expect(blobs).toEqual([sha256(weights)]);
  }, 60_000);
});
