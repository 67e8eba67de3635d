import { lstat, mkdir, mkdtemp, readdir, readFile, readlink, rm, symlink, writeFile } from 'node:fs/promises';
import { createServer } from 'node:http';
import type { AddressInfo } from 'node:net';
import { tmpdir } from 'node:os';
import { join } from 'node:path';
import { afterAll, afterEach, beforeAll, beforeEach, describe, expect, it } from 'vitest';
import {
  downloadHubFile,
  fetchHubFileBytes,
  getEnv,
  HubError,
  type HubProgress,
  type HubRetryInfo,
  hubEndpoint,
  hubFileExists,
  hubFileUrl,
  isNode,
  MemoryHubCache,
  normalizeEtag,
  parseHubRepoId,
  repoFolderName,
} from '../../src/hub/index.js';
import { type HubServer, sha256, startHubServer } from './hub-server.js';

const COMMIT = 'a'.repeat(40);
const COMMIT2 = 'b'.repeat(40);
const REPO = 'timm/test-model';
const PRIVATE = 'org/private-model';

function bytes(n: number, seed = 1): Uint8Array {
  const out = new Uint8Array(n);
  let x = seed;
  for (let i = 0; i < n; i++) {
    x = (x * 1103515245 + 12345) >>> 0;
    out[i] = x >>> 24;
  }
  return out;
}

const WEIGHTS = bytes(200_000, 7);

/** Deep-equality on 200k-element arrays is slow in vitest: compare length and sha256. */
function expectWeights(got: Uint8Array): void {
  expect(got.byteLength).toBe(WEIGHTS.byteLength);
  expect(sha256(got)).toBe(sha256(WEIGHTS));
}
const CONFIG = '{"architecture": "resnet18", "num_classes": 1000}';
const NESTED = 'nested file';

let server: HubServer;
let cacheDir: string;
const ENV_KEYS = ['HF_ENDPOINT', 'HF_TOKEN', 'HF_HUB_OFFLINE', 'HF_HUB_CACHE', 'HF_HOME', 'HUGGING_FACE_HUB_TOKEN', 'HF_TOKEN_PATH'];
const savedEnv: Record<string, string | undefined> = {};

const fast = { retryDelayMs: 5, maxRetryDelayMs: 20 };

beforeAll(async () => {
  server = await startHubServer();
  server.addRepo(REPO, {
    commit: COMMIT,
    refs: { v1: COMMIT2 },
    files: {
      'model.safetensors': { content: WEIGHTS, lfs: true },
      'config.json': CONFIG,
      'sub/dir/notes.txt': NESTED,
    },
  });
  server.addRepo(PRIVATE, { commit: COMMIT, token: 'hf_secret', files: { 'model.safetensors': { content: WEIGHTS, lfs: true } } });
});
afterAll(async () => {
  await server.close();
});

beforeEach(async () => {
  for (const k of ENV_KEYS) {
    savedEnv[k] = process.env[k];
    delete process.env[k];
  }
  process.env.HF_ENDPOINT = server.url;
  // Keep the developer's real token file out of the tests.
  process.env.HF_TOKEN_PATH = join(tmpdir(), 'zoo-hub-no-token-file');
  cacheDir = await mkdtemp(join(tmpdir(), 'zoo-hub-'));
  server.requests.length = 0;
  server.faults.length = 0;
});
afterEach(async () => {
  for (const k of ENV_KEYS) {
    if (savedEnv[k] === undefined) delete process.env[k];
    else process.env[k] = savedEnv[k];
  }
  await rm(cacheDir, { recursive: true, force: true });
});

const storage = () => join(cacheDir, 'models--timm--test-model');

describe('urls and ids', () => {
  it('builds resolve URLs like hf_hub_url', () => {
    expect(hubFileUrl('timm/resnet50.a1_in1k', 'model.safetensors')).toBe(`${server.url}/timm/resnet50.a1_in1k/resolve/main/model.safetensors`);
    expect(hubFileUrl('org/m', 'a b/c.bin', 'refs/pr/1', 'https://hf-mirror.com/')).toBe('https://hf-mirror.com/org/m/resolve/refs%2Fpr%2F1/a%20b/c.bin');
    delete process.env.HF_ENDPOINT;
    expect(hubFileUrl('org/m', 'x')).toBe('https://huggingface.co/org/m/resolve/main/x');
  });
  it('parses org/repo@rev', () => {
    expect(parseHubRepoId('timm/vit_base@v1.0')).toEqual({ repoId: 'timm/vit_base', revision: 'v1.0' });
    expect(parseHubRepoId('hf-hub:timm/vit_base')).toEqual({ repoId: 'timm/vit_base', revision: undefined });
    expect(() => parseHubRepoId('a/b/c')).toThrow(HubError);
    expect(() => parseHubRepoId('timm/x@')).toThrow(/empty revision/);
  });
  it('normalises etags and names repo folders as huggingface_hub', () => {
    expect(normalizeEtag('W/"abc"')).toBe('abc');
    expect(normalizeEtag('"abc"')).toBe('abc');
    expect(repoFolderName('timm/resnet50.a1_in1k')).toBe('models--timm--resnet50.a1_in1k');
    expect(repoFolderName('gpt2')).toBe('models--gpt2');
  });
});

describe('environment', () => {
  it('reads env without a process global (browser)', () => {
    const saved = globalThis.process;
    try {
      (globalThis as any).process = undefined;
      expect(getEnv('HF_ENDPOINT')).toBeUndefined();
      expect(isNode()).toBe(false);
      expect(hubEndpoint()).toBe('https://huggingface.co');
    } finally {
      globalThis.process = saved;
    }
    expect(getEnv('HF_ENDPOINT')).toBe(server.url);
  });

  it('uses the token file written by `hf auth login` (HF_TOKEN_PATH / HF_HOME/token)', async () => {
    const tokenFile = join(cacheDir, 'token');
    await writeFile(tokenFile, 'hf_secret\n');
    process.env.HF_TOKEN_PATH = tokenFile;
    const p = await downloadHubFile(PRIVATE, 'model.safetensors', { cacheDir });
    expectWeights(await readFile(p));
    await expect(downloadHubFile(PRIVATE, 'model.safetensors', { cacheDir: join(cacheDir, 'other'), token: false })).rejects.toThrow(/401/);
  });
});

describe('downloadHubFile', () => {
  it('downloads into the huggingface_hub cache layout (LFS, regular and nested files)', async () => {
    const path = await downloadHubFile(REPO, 'model.safetensors', { cacheDir });
    const sha = sha256(WEIGHTS);
    expect(path).toBe(join(storage(), 'snapshots', COMMIT, 'model.safetensors'));
    expect(await readlink(path)).toBe(join('..', '..', 'blobs', sha));
    expectWeights(await readFile(join(storage(), 'blobs', sha)));
    expect(await readFile(join(storage(), 'refs', 'main'), 'utf8')).toBe(COMMIT);
    // HEAD on the hub without following the redirect, GET on the CDN.
    expect(server.count({ server: 'hub', method: 'HEAD' })).toBe(1);
    expect(server.count({ server: 'hub', method: 'GET' })).toBe(0);
    expect(server.count({ server: 'cdn', method: 'GET' })).toBe(1);

    const cfg = await downloadHubFile(REPO, 'config.json', { cacheDir });
    const gitSha = server.file(REPO, 'config.json').gitSha1;
    expect(await readlink(cfg)).toBe(join('..', '..', 'blobs', gitSha)); // weak W/"…" etag normalised
    expect(await readFile(cfg, 'utf8')).toBe(CONFIG);

    const nested = await downloadHubFile(REPO, 'sub/dir/notes.txt', { cacheDir });
    expect(nested).toBe(join(storage(), 'snapshots', COMMIT, 'sub', 'dir', 'notes.txt'));
    expect(await readlink(nested)).toBe(join('..', '..', '..', '..', 'blobs', server.file(REPO, 'sub/dir/notes.txt').gitSha1));
    expect(await readFile(nested, 'utf8')).toBe(NESTED);

    expect((await readdir(join(storage(), 'blobs'))).sort()).toEqual([gitSha, sha, server.file(REPO, 'sub/dir/notes.txt').gitSha1].sort());
  });

  it('serves a cache hit without any request (branch ref and commit hash)', async () => {
    await downloadHubFile(REPO, 'model.safetensors', { cacheDir });
    const n = server.requests.length;
    const again = await downloadHubFile(REPO, 'model.safetensors', { cacheDir });
    const byCommit = await downloadHubFile(REPO, 'model.safetensors', { cacheDir, revision: COMMIT });
    expect(again).toBe(byCommit);
    expect(server.requests.length).toBe(n);
  });

  it('writes refs for a tag revision pointing at another commit', async () => {
    const p = await downloadHubFile(REPO, 'config.json', { cacheDir, revision: 'v1' });
    expect(p).toBe(join(storage(), 'snapshots', COMMIT2, 'config.json'));
    expect(await readFile(join(storage(), 'refs', 'v1'), 'utf8')).toBe(COMMIT2);
  });

  it('offline: a hit works, a miss fails clearly without any request', async () => {
    await downloadHubFile(REPO, 'model.safetensors', { cacheDir });
    server.requests.length = 0;
    process.env.HF_HUB_OFFLINE = '1';
    expect(await readFile(await downloadHubFile(REPO, 'model.safetensors', { cacheDir }))).toHaveLength(WEIGHTS.length);
    const err = await downloadHubFile(REPO, 'config.json', { cacheDir }).catch((e) => e);
    expect(err).toBeInstanceOf(HubError);
    expect(err.message).toMatch(/not in the cache at .*snapshots.*config\.json and HF_HUB_OFFLINE is set/);
    expect(err.message).toContain(REPO);
    const err2 = await downloadHubFile('timm/other', 'model.safetensors', { cacheDir }).catch((e) => e);
    expect(err2.message).toMatch(/not in the cache at .*models--timm--other.*HF_HUB_OFFLINE is set/);
    process.env.HF_HUB_OFFLINE = 'false';
    await downloadHubFile(REPO, 'config.json', { cacheDir, offline: true }).catch((e) => expect(e.message).toMatch(/offline: true/));
    expect(server.requests.length).toBe(0);
  });

  it('honours HF_ENDPOINT (mirror)', async () => {
    const mirror = await startHubServer();
    try {
      mirror.addRepo(REPO, { commit: COMMIT, files: { 'config.json': 'from the mirror' } });
      process.env.HF_ENDPOINT = `${mirror.url}/`;
      const p = await downloadHubFile(REPO, 'config.json', { cacheDir });
      expect(await readFile(p, 'utf8')).toBe('from the mirror');
      expect(mirror.requests.length).toBeGreaterThan(0);
      expect(server.requests.length).toBe(0);
    } finally {
      await mirror.close();
    }
  });

  it('a connection dropped mid-body never leaves a corrupt file and the next call resumes with Range', async () => {
    server.faults.push({ kind: 'drop', where: 'cdn', afterBytes: 50_000 });
    const err = await downloadHubFile(REPO, 'model.safetensors', { cacheDir, retries: 0, ...fast }).catch((e) => e);
    expect(err).toBeInstanceOf(HubError);
    const sha = sha256(WEIGHTS);
    expect(await readdir(join(storage(), 'blobs'))).toEqual([`${sha}.incomplete`]);
    const partial = await readFile(join(storage(), 'blobs', `${sha}.incomplete`));
    expect(partial.length).toBe(50_000);
    await expect(lstat(join(storage(), 'snapshots', COMMIT, 'model.safetensors'))).rejects.toThrow();

    const p = await downloadHubFile(REPO, 'model.safetensors', { cacheDir, ...fast });
    expectWeights(await readFile(p));
    const gets = server.requests.filter((r) => r.server === 'cdn' && r.method === 'GET');
    expect(gets.map((r) => r.range)).toEqual([undefined, 'bytes=50000-']);
    expect(await readdir(join(storage(), 'blobs'))).toEqual([sha]);
  });

  it('resumes within one call after a drop (retries)', async () => {
    server.faults.push({ kind: 'drop', where: 'cdn', afterBytes: 1000, times: 2 });
    const p = await downloadHubFile(REPO, 'model.safetensors', { cacheDir, ...fast });
    expectWeights(await readFile(p));
    const ranges = server.requests.filter((r) => r.server === 'cdn').map((r) => r.range);
    expect(ranges).toEqual([undefined, 'bytes=1000-', 'bytes=2000-']);
  });

  it('restarts from zero when the server answers a range request with 200', async () => {
    const sha = sha256(WEIGHTS);
    await mkdir(join(storage(), 'blobs'), { recursive: true });
    await writeFile(join(storage(), 'blobs', `${sha}.incomplete`), new Uint8Array(777).fill(9));
    server.faults.push({ kind: 'ignore-range', where: 'cdn' });
    const p = await downloadHubFile(REPO, 'model.safetensors', { cacheDir, ...fast });
    expectWeights(await readFile(p));
  });

  it('retries a 500 (HEAD and GET) then succeeds; gives up with a clear error when it persists', async () => {
    server.faults.push({ kind: 'status', where: 'hub', method: 'HEAD', status: 500 });
    server.faults.push({ kind: 'status', where: 'cdn', method: 'GET', status: 503 });
    const p = await downloadHubFile(REPO, 'model.safetensors', { cacheDir, ...fast });
    expectWeights(await readFile(p));
    expect(server.count({ server: 'hub', method: 'HEAD' })).toBe(2);
    expect(server.count({ server: 'cdn', method: 'GET' })).toBe(2);

    server.faults.push({ kind: 'status', where: 'hub', method: 'HEAD', status: 502, times: 10 });
    const err = await downloadHubFile(REPO, 'config.json', { cacheDir, retries: 2, ...fast }).catch((e) => e);
    expect(err).toBeInstanceOf(HubError);
    expect(err.status).toBe(502);
    expect(err.message).toMatch(/HTTP 502/);
  });

  it('tells onRetry before each retry; DNS failures and refused connections fail at once, without a retry', async () => {
    const seen: HubRetryInfo[] = [];
    server.faults.push({ kind: 'status', where: 'hub', method: 'HEAD', status: 500 });
    await downloadHubFile(REPO, 'config.json', { cacheDir: join(cacheDir, 'retry'), ...fast, onRetry: (i) => seen.push(i) });
    expect(seen.map((i) => [i.file, i.attempt, i.retries, i.reason])).toEqual([['config.json', 1, 5, 'HTTP 500']]);

    const closed = await new Promise<number>((done) => {
      const s = createServer().listen(0, '127.0.0.1', () => {
        const { port } = s.address() as AddressInfo;
        s.close(() => done(port));
      });
    });
    for (const [endpoint, code] of [
      ['http://nonexistent.invalid', /^(ENOTFOUND|EAI_AGAIN)$/],
      [`http://127.0.0.1:${closed}`, /^ECONNREFUSED$/],
    ] as const) {
      seen.length = 0;
      const t0 = performance.now();
      // default retry policy: a retried failure would take 1 + 2 + 4 + 8 + 8 s
      const err = await downloadHubFile(REPO, 'config.json', { cacheDir: join(cacheDir, 'unreachable'), endpoint, onRetry: (i) => seen.push(i) }).catch((e) => e);
      expect(performance.now() - t0).toBeLessThan(5000);
      expect(err).toBeInstanceOf(HubError);
      expect(err.code).toMatch(code);
      expect(err.message).toContain(endpoint);
      expect(err.message).toMatch(/after 1 attempt\(s\)/);
      expect(err.message).not.toContain('\n');
      expect(seen).toEqual([]);
    }
  });

  it('rejects a sha256 mismatch and leaves nothing in the cache', async () => {
    server.faults.push({ kind: 'corrupt', where: 'cdn' });
    const err = await downloadHubFile(REPO, 'model.safetensors', { cacheDir, ...fast }).catch((e) => e);
    expect(err).toBeInstanceOf(HubError);
    expect(err.message).toMatch(/Checksum mismatch.*sha256/);
    expect(await readdir(join(storage(), 'blobs'))).toEqual([]);
    await expect(readdir(join(storage(), 'snapshots', COMMIT))).resolves.toEqual([]).catch(() => undefined);
    await expect(lstat(join(storage(), 'snapshots', COMMIT, 'model.safetensors'))).rejects.toThrow();
  });

  it('401 without a token explains HF_TOKEN; works with a token, which is not sent to the CDN', async () => {
    const err = await downloadHubFile(PRIVATE, 'model.safetensors', { cacheDir }).catch((e) => e);
    expect(err).toBeInstanceOf(HubError);
    expect(err.status).toBe(401);
    expect(err.message).toMatch(/HF_TOKEN/);
    expect(err.message).toContain(PRIVATE);
    expect(err.message).toContain(`${server.url}/${PRIVATE}/resolve/main/model.safetensors`);

    const bad = await downloadHubFile(PRIVATE, 'model.safetensors', { cacheDir, token: 'wrong' }).catch((e) => e);
    expect(bad.message).toMatch(/token was rejected/);

    process.env.HF_TOKEN = 'hf_secret';
    const p = await downloadHubFile(PRIVATE, 'model.safetensors', { cacheDir });
    expectWeights(await readFile(p));
    const cdn = server.requests.filter((r) => r.server === 'cdn');
    expect(cdn.length).toBe(1);
    expect(cdn[0]!.authorization).toBeUndefined();
    expect(server.requests.filter((r) => r.server === 'hub').at(-1)!.authorization).toBe('Bearer hf_secret');
  });

  it('404: file not found in repo, recorded in .no_exist; unknown repo and revision are named', async () => {
    const err = await downloadHubFile(REPO, 'pytorch_model.bin', { cacheDir }).catch((e) => e);
    expect(err).toBeInstanceOf(HubError);
    expect(err.status).toBe(404);
    expect(err.message).toMatch(/file not found in repo/i);
    expect(err.message).toContain(`${server.url}/${REPO}/resolve/main/pytorch_model.bin`);
    expect((await lstat(join(storage(), '.no_exist', COMMIT, 'pytorch_model.bin'))).isFile()).toBe(true);

    const rev = await downloadHubFile(REPO, 'config.json', { cacheDir, revision: 'nope' }).catch((e) => e);
    expect(rev.message).toMatch(/Revision 'nope' not found/);
    const repo = await downloadHubFile('nobody/nothing', 'config.json', { cacheDir }).catch((e) => e);
    expect(repo.status).toBe(401);
    expect(repo.message).toMatch(/does not exist/);
  });

  it('concurrent requests for one file download it once', async () => {
    server.faults.push({ kind: 'slow', where: 'cdn', delayMs: 1 });
    const seen: number[] = [];
    const [a, b, c] = await Promise.all([
      downloadHubFile(REPO, 'model.safetensors', { cacheDir }),
      downloadHubFile(REPO, 'model.safetensors', { cacheDir, onProgress: (p) => seen.push(p.loaded) }),
      fetchHubFileBytes(REPO, 'model.safetensors', { cacheDir }),
    ]);
    expect(a).toBe(b);
    expectWeights(c);
    expect(server.count({ server: 'cdn', method: 'GET' })).toBe(1);
    expect(seen.at(-1)).toBe(WEIGHTS.length);
  });

  it('reports progress', async () => {
    const events: HubProgress[] = [];
    await downloadHubFile(REPO, 'model.safetensors', { cacheDir, onProgress: (p) => events.push(p) });
    expect(events.length).toBeGreaterThan(1);
    expect(events.every((e) => e.total === WEIGHTS.length && e.file === 'model.safetensors')).toBe(true);
    for (let i = 1; i < events.length; i++) expect(events[i]!.loaded).toBeGreaterThanOrEqual(events[i - 1]!.loaded);
    expect(events.at(-1)!.loaded).toBe(WEIGHTS.length);
  });

  it('picks up a cache laid out by Python (huggingface_hub) with no request', async () => {
    process.env.HF_HOME = cacheDir;
    const st = join(cacheDir, 'hub', 'models--timm--py-model');
    const etag = sha256(WEIGHTS);
    await mkdir(join(st, 'blobs'), { recursive: true });
    await mkdir(join(st, 'refs'), { recursive: true });
    await mkdir(join(st, 'snapshots', COMMIT2), { recursive: true });
    await writeFile(join(st, 'blobs', etag), WEIGHTS);
    await writeFile(join(st, 'refs', 'main'), COMMIT2);
    await symlink(`../../blobs/${etag}`, join(st, 'snapshots', COMMIT2, 'model.safetensors'));
    const p = await downloadHubFile('timm/py-model', 'model.safetensors');
    expect(p).toBe(join(st, 'snapshots', COMMIT2, 'model.safetensors'));
    expectWeights(await fetchHubFileBytes('timm/py-model', 'model.safetensors'));
    expect(await hubFileExists('timm/py-model', 'model.safetensors')).toBe(true);
    process.env.HF_HUB_CACHE = join(cacheDir, 'hub');
    delete process.env.HF_HOME;
    expect(await downloadHubFile('timm/py-model', 'model.safetensors', { revision: COMMIT2 })).toBe(p);
    expect(server.requests.length).toBe(0);
  });
});

describe('hubFileExists', () => {
  it('prefers the cache, else HEAD; 404 is false and remembered', async () => {
    expect(await hubFileExists(REPO, 'model.safetensors', { cacheDir })).toBe(true);
    expect(await hubFileExists(REPO, 'pytorch_model.bin', { cacheDir })).toBe(false);
    const n = server.requests.length;
    expect(await hubFileExists(REPO, 'pytorch_model.bin', { cacheDir })).toBe(false); // .no_exist
    expect(server.requests.length).toBe(n);
    await downloadHubFile(REPO, 'config.json', { cacheDir });
    const m = server.requests.length;
    expect(await hubFileExists(REPO, 'config.json', { cacheDir })).toBe(true);
    expect(await hubFileExists(REPO, 'model.safetensors', { cacheDir, offline: true })).toBe(false);
    expect(server.requests.length).toBe(m);
    await expect(hubFileExists(PRIVATE, 'model.safetensors', { cacheDir })).rejects.toThrow(/HF_TOKEN/);
  });
});

describe('fetchHubFileBytes with a HubCache (browser path)', () => {
  it('downloads once into the cache, then serves hits; offline miss is clear', async () => {
    const cache = new MemoryHubCache();
    const a = await fetchHubFileBytes(REPO, 'model.safetensors', { cache, ...fast });
    expectWeights(a);
    const n = server.requests.length;
    expectWeights(await fetchHubFileBytes(REPO, 'model.safetensors', { cache }));
    expect(server.requests.length).toBe(n);
    expect(cache.entries.has(`${server.url}/${REPO}/resolve/main/model.safetensors`)).toBe(true);
    await expect(fetchHubFileBytes(REPO, 'config.json', { cache, offline: true })).rejects.toThrow(/not in the cache/);
  });

  it('resumes in memory after a drop and rejects a corrupt body without caching it', async () => {
    const cache = new MemoryHubCache();
    server.faults.push({ kind: 'drop', where: 'cdn', afterBytes: 12_345 });
    expectWeights(await fetchHubFileBytes(REPO, 'model.safetensors', { cache, ...fast }));
    expect(server.requests.filter((r) => r.server === 'cdn').map((r) => r.range)).toEqual([undefined, 'bytes=12345-']);
    const other = new MemoryHubCache();
    server.faults.push({ kind: 'corrupt', where: 'cdn' });
    await expect(fetchHubFileBytes(REPO, 'model.safetensors', { cache: other, ...fast })).rejects.toThrow(/Checksum mismatch/);
    expect(other.entries.size).toBe(0);
  });

  it('works with no cache at all (cache: false)', async () => {
    expect(new TextDecoder().decode(await fetchHubFileBytes(REPO, 'config.json', { cache: false }))).toBe(CONFIG);
  });
});
