import { defaultHubCache, type HubCache } from './cache.js';
import { downloadTimeoutMs, envToken, etagTimeoutMs, hubEndpoint, hubOffline, isNode } from './env.js';
import { type HttpErrorContext, HubError, httpError } from './errors.js';
import {
  DEFAULT_RETRY,
  type DownloadSink,
  defaultFetch,
  type FetchLike,
  type HubFileMetadata,
  type HubProgressCallback,
  type HubRetryCallback,
  headHubFile,
  type MinSpeed,
  type RetryPolicy,
  streamDownload,
} from './http.js';
import {
  DEFAULT_REVISION,
  hubFileUrl,
  isBlobEtag,
  quoteName,
  SHA256_RE,
  validateCommitHash,
  validateFilename,
  validateRepoId,
  validateRevision,
} from './url.js';

export interface HubDownloadOptions {
  /** Branch, tag or commit hash. Default `main`. */
  revision?: string;
  /** Cache folder (Node). Default `HF_HUB_CACHE` → `${HF_HOME}/hub` → `~/.cache/huggingface/hub`. */
  cacheDir?: string;
  /** Bearer token; default `HF_TOKEN`, then (Node) the token file of `hf auth login`. `false` sends none. */
  token?: string | false;
  /** Called as bytes arrive: `loaded` counts resumed bytes too; `total` when known. */
  onProgress?: HubProgressCallback;
  /** Never make a request: a cache hit or a HubError. Default: `HF_HUB_OFFLINE` is set. */
  offline?: boolean;
  /** Extra attempts on 5xx / 429 / dropped connections. Default 5. */
  retries?: number;
  /** First backoff delay (ms), doubling per attempt. Default 1000. */
  retryDelayMs?: number;
  /** Cap on one backoff delay (ms). Default 8000. */
  maxRetryDelayMs?: number;
  /** Told before each retry. DNS failures and refused connections are never retried. */
  onRetry?: HubRetryCallback;
  /** Hub base URL; default `HF_ENDPOINT` or `https://huggingface.co`. */
  endpoint?: string;
  /** The fetch to use; default the global one. */
  fetch?: FetchLike;
  /** HEAD timeout in ms. Default `HF_HUB_ETAG_TIMEOUT` seconds, else 10 s. */
  headTimeoutMs?: number;
  /** Abort and retry a download that delivers no byte for this long (ms). Default `HF_HUB_DOWNLOAD_TIMEOUT` seconds, else 10 s. */
  stallTimeoutMs?: number;
  /** Abort and retry a body averaging under this speed over any window of `windowMs`. Default 1 KiB/s over 60 s; `false` for none. */
  minSpeed?: MinSpeed | false;
}

export interface HubFetchOptions extends HubDownloadOptions {
  /**
   * Where bytes are cached. Default: in Node the huggingface_hub disk cache; elsewhere the Cache API
   * (`caches.open('zoo-hub')`) when present. A {@link HubCache} replaces either; `false` caches nothing.
   */
  cache?: HubCache | false;
}

interface Resolved {
  repoId: string;
  filename: string;
  revision: string;
  url: string;
  offline: boolean;
  offlineByEnv: boolean;
  policy: RetryPolicy;
  fetchImpl: FetchLike;
  headers: Record<string, string>;
  hadToken: boolean;
  ctx: HttpErrorContext;
  headTimeoutMs: number;
  stallTimeoutMs: number;
  minSpeed: MinSpeed | false | undefined;
  onRetry: HubRetryCallback | undefined;
}

async function resolve(repoId: string, filename: string, opts: HubDownloadOptions, needNetwork: boolean): Promise<Resolved> {
  validateRepoId(repoId);
  validateFilename(repoId, filename);
  const revision = opts.revision ?? DEFAULT_REVISION;
  validateRevision(repoId, revision);
  const url = hubFileUrl(repoId, filename, revision, opts.endpoint ?? hubEndpoint());
  const offlineByEnv = hubOffline();
  const offline = opts.offline ?? offlineByEnv;
  let token: string | undefined;
  if (needNetwork && !offline && opts.token !== false) {
    token = opts.token ?? envToken();
    if (token === undefined && isNode()) {
      const { readTokenFile } = await import('./node-cache.js');
      token = await readTokenFile();
    }
  }
  const headers: Record<string, string> = {};
  if (token) headers.Authorization = `Bearer ${token}`;
  return {
    repoId,
    filename,
    revision,
    url,
    offline,
    offlineByEnv,
    policy: {
      retries: opts.retries ?? DEFAULT_RETRY.retries,
      retryDelayMs: opts.retryDelayMs ?? DEFAULT_RETRY.retryDelayMs,
      maxRetryDelayMs: opts.maxRetryDelayMs ?? DEFAULT_RETRY.maxRetryDelayMs,
    },
    fetchImpl: needNetwork && !offline ? (opts.fetch ?? defaultFetch()) : (opts.fetch ?? (() => Promise.reject(new Error('offline')))),
    headers,
    hadToken: token !== undefined,
    ctx: { repoId, filename, revision, url, hadToken: token !== undefined },
    headTimeoutMs: opts.headTimeoutMs ?? etagTimeoutMs(),
    stallTimeoutMs: opts.stallTimeoutMs ?? downloadTimeoutMs(),
    minSpeed: opts.minSpeed,
    onRetry: opts.onRetry,
  };
}

function offlineMiss(r: Resolved, where: string): HubError {
  const why = r.offlineByEnv ? 'HF_HUB_OFFLINE is set' : 'offline mode was requested ({ offline: true })';
  const fix = r.offlineByEnv ? 'Unset HF_HUB_OFFLINE' : 'Drop { offline: true }';
  return new HubError(
    `'${r.filename}' of repo '${r.repoId}' (revision '${r.revision}') is not in the cache at ${where} and ${why}, so it cannot be downloaded from ${r.url}. ${fix} to download it, or fetch it once while online.`,
    { repoId: r.repoId, filename: r.filename, url: r.url, code: 'OfflineCacheMiss' },
  );
}

/** Fan-out of one in-flight download to every caller's progress callback. */
interface InFlight<T> {
  promise: Promise<T>;
  listeners: Set<HubProgressCallback>;
}

const inflightFiles = new Map<string, InFlight<string>>();
const inflightBlobs = new Map<string, Promise<void>>();
const inflightBytes = new Map<string, InFlight<Uint8Array>>();

function shared<T>(
  map: Map<string, InFlight<T>>,
  key: string,
  onProgress: HubProgressCallback | undefined,
  run: (emit: HubProgressCallback) => Promise<T>,
): Promise<T> {
  const existing = map.get(key);
  if (existing) {
    if (onProgress) existing.listeners.add(onProgress);
    return existing.promise;
  }
  const listeners = new Set<HubProgressCallback>();
  if (onProgress) listeners.add(onProgress);
  const emit: HubProgressCallback = (p) => {
    for (const l of listeners) {
      try {
        l(p);
      } catch {
        // a throwing progress callback must not break the download
      }
    }
  };
  const promise = run(emit).finally(() => map.delete(key));
  map.set(key, { promise, listeners });
  return promise;
}

function getHeaders(r: Resolved, location: string): Record<string, string> {
  // As huggingface_hub: a redirect to another origin (the LFS CDN, a signed URL) gets no Authorization header.
  if (new URL(location).origin !== new URL(r.url).origin) {
    const { Authorization: _drop, ...rest } = r.headers;
    return rest;
  }
  return r.headers;
}

async function headOrThrow(r: Resolved, onMissing?: (commit: string) => Promise<void>): Promise<HubFileMetadata> {
  const head = await headHubFile(r.url, { headers: r.headers, policy: r.policy, fetchImpl: r.fetchImpl, ctx: r.ctx, timeoutMs: r.headTimeoutMs, onRetry: r.onRetry });
  if (!head.ok) {
    const commit = head.headers.get('x-repo-commit');
    if (head.status === 404 && commit && onMissing && head.headers.get('x-error-code') !== 'RevisionNotFound') await onMissing(commit);
    throw httpError(head.status, head.headers, r.ctx);
  }
  return head.meta;
}

/**
 * Downloads one file of a hub model repo into the huggingface_hub cache (Node) and returns its local snapshot path
 * (`…/models--org--name/snapshots/{commit}/{file}`). A cache hit (the ref is known and the snapshot file exists, or
 * the revision is a commit hash whose snapshot file exists) makes no request at all. Otherwise: a HEAD for
 * commit/etag/size, a streamed GET into `blobs/{etag}.incomplete` (resumed, retried), a size and (LFS) sha256
 * check, a rename to `blobs/{etag}`, a relative symlink from the snapshot, and `refs/{revision}`.
 */
export async function downloadHubFile(repoId: string, filename: string, opts: HubDownloadOptions = {}): Promise<string> {
  if (!isNode()) {
    throw new HubError(`downloadHubFile needs Node's file system; in a browser use fetchHubFileBytes('${repoId}', '${filename}').`, { repoId, filename });
  }
  const nc = await import('./node-cache.js');
  const r0 = await resolve(repoId, filename, opts, false);
  const p = await nc.cachePaths(r0.repoId, r0.filename, r0.revision, opts.cacheDir);
  const found = await nc.lookupCache(p);
  if (found.kind === 'hit') return found.path;
  if (r0.offline) {
    if (found.kind === 'no-exist') {
      throw new HubError(
        `File not found in repo: '${filename}' of repo '${repoId}' (revision '${r0.revision}') is recorded as missing in the cache (${found.path}) and HF_HUB_OFFLINE is set (${r0.url}).`,
        { status: 404, repoId, filename, url: r0.url, code: 'EntryNotFound' },
      );
    }
    throw offlineMiss(r0, found.expectedPath);
  }
  const key = `${p.storage}\0${r0.revision}\0${r0.filename}`;
  return shared(inflightFiles, key, opts.onProgress, async (emit) => {
    const r = await resolve(repoId, filename, opts, true);
    const meta = await headOrThrow(r, (commit) => nc.markNoExist(p, commit));
    const commit = meta.commitHash;
    if (!commit) {
      throw new HubError(
        `The server at ${r.url} sent no X-Repo-Commit header for '${filename}' of repo '${repoId}'; it does not behave like the Hugging Face hub (check HF_ENDPOINT).`,
        { repoId, filename, url: r.url },
      );
    }
    validateCommitHash(repoId, commit, r.url);
    const etag = meta.etag;
    if (etag === undefined || !isBlobEtag(etag)) {
      throw new HubError(
        `The server at ${r.url} sent no usable ETag / X-Linked-Etag for '${filename}' of repo '${repoId}' (got ${etag === undefined ? 'none' : quoteName(etag.slice(0, 80))}; expected the hex of a git sha1 or an LFS sha256, quoted or weak); cannot cache it (check HF_ENDPOINT or a proxy that strips headers).`,
        { repoId, filename, url: r.url },
      );
    }
    const m = await nc.nodeModules();
    const ptr = nc.pointerPath(m, p, commit);
    await nc.assertInsideCache(p, ptr);
    if ((await nc.fileSize(ptr)) !== undefined) {
      await nc.writeRef(p, commit);
      return ptr;
    }
    const blob = nc.blobPath(m, p, etag);
    if ((await nc.fileSize(blob)) === undefined) {
      let pending = inflightBlobs.get(blob);
      if (!pending) {
        pending = downloadBlob(r, meta, p, blob, etag, emit).finally(() => inflightBlobs.delete(blob));
        inflightBlobs.set(blob, pending);
      }
      await pending;
    } else if (meta.size !== undefined) {
      emit({ loaded: meta.size, total: meta.size, file: filename });
    }
    const out = await nc.linkSnapshot(p, commit, etag);
    await nc.writeRef(p, commit);
    return out;
  });
}

/**
 * Downloads a blob under its cross-process lock: a process that waited for another one finds the blob there and
 * makes no transfer; the holder alone appends to `{blob}.incomplete`.
 */
async function downloadBlob(
  r: Resolved,
  meta: HubFileMetadata,
  p: import('./node-cache.js').CachePaths,
  blob: string,
  etag: string,
  emit: HubProgressCallback,
): Promise<void> {
  const nc = await import('./node-cache.js');
  await nc.assertInsideCache(p, blob);
  const lock = await nc.lockBlob(p, etag);
  try {
    if ((await nc.fileSize(blob)) !== undefined) {
      if (meta.size !== undefined) emit({ loaded: meta.size, total: meta.size, file: r.filename });
      return;
    }
    await fetchBlob(r, meta, blob, etag, emit);
  } finally {
    await lock.release();
  }
}

async function fetchBlob(r: Resolved, meta: HubFileMetadata, blob: string, etag: string, emit: HubProgressCallback): Promise<void> {
  const nc = await import('./node-cache.js');
  const incomplete = `${blob}.incomplete`;
  const sink = await nc.fileSink(incomplete);
  const location = meta.location;
  await streamDownload(location, {
    headers: getHeaders(r, location),
    policy: r.policy,
    fetchImpl: r.fetchImpl,
    ctx: r.ctx,
    authOrigin: new URL(r.url).origin,
    onRetry: r.onRetry,
    sink,
    expectedSize: meta.size,
    stallTimeoutMs: r.stallTimeoutMs,
    minSpeed: r.minSpeed,
    onProgress: (loaded, total) => emit({ loaded, total, file: r.filename }),
  });
  if (SHA256_RE.test(etag)) {
    const got = await nc.sha256File(incomplete);
    if (got !== etag) {
      await nc.removeFile(incomplete);
      throw new HubError(
        `Checksum mismatch for '${r.filename}' of repo '${r.repoId}' from ${location}: sha256 is ${got} but the hub announced ${etag}. The download was discarded; try again (a proxy or mirror may be serving a different file).`,
        { repoId: r.repoId, filename: r.filename, url: r.url, code: 'ChecksumMismatch' },
      );
    }
  }
  await nc.renameFile(incomplete, blob);
}

function memorySink(): DownloadSink & { bytes(): Uint8Array } {
  let chunks: Uint8Array[] = [];
  let length = 0;
  return {
    async size() {
      return length;
    },
    async truncate(offset) {
      if (offset >= length) return;
      const all = this.bytes().slice(0, offset);
      chunks = offset ? [all] : [];
      length = offset;
    },
    async write(chunk) {
      chunks.push(chunk.slice());
      length += chunk.byteLength;
    },
    async close() {},
    bytes() {
      if (chunks.length === 1) return chunks[0]!;
      const out = new Uint8Array(length);
      let o = 0;
      for (const c of chunks) {
        out.set(c, o);
        o += c.byteLength;
      }
      chunks = [out];
      return out;
    },
  };
}

async function sha256Hex(bytes: Uint8Array): Promise<string | undefined> {
  const subtle = (globalThis as { crypto?: Crypto }).crypto?.subtle;
  if (!subtle) return undefined;
  const d = new Uint8Array(await subtle.digest('SHA-256', bytes as Uint8Array<ArrayBuffer>));
  return Array.from(d, (b) => b.toString(16).padStart(2, '0')).join('');
}

/**
 * The bytes of one hub file. In Node (no `cache` option) this goes through the huggingface_hub disk cache
 * ({@link downloadHubFile}); elsewhere, or with a {@link HubCache}, through that cache keyed by the resolve URL: a hit
 * makes no request; a miss GETs the file (redirects followed, resumed and retried) and stores it.
 */
export async function fetchHubFileBytes(repoId: string, filename: string, opts: HubFetchOptions = {}): Promise<Uint8Array> {
  if (opts.cache === undefined && isNode()) {
    const { readBytes } = await import('./node-cache.js');
    return readBytes(await downloadHubFile(repoId, filename, opts));
  }
  const cache = opts.cache === undefined ? defaultHubCache() : opts.cache || undefined;
  const r0 = await resolve(repoId, filename, opts, false);
  const key = r0.url;
  const hit = await cache?.get(key);
  if (hit) return hit;
  if (r0.offline) throw offlineMiss(r0, cache ? `the HubCache (key ${key})` : '(no cache configured)');
  return shared(inflightBytes, key, opts.onProgress, async (emit) => {
    const r = await resolve(repoId, filename, opts, true);
    const sink = memorySink();
    let expected: { size?: number; etag?: string } = {};
    // Where HEAD headers are readable (Node, or a server exposing them), use them for size and sha256 checks.
    if (isNode()) {
      const meta = await headOrThrow(r);
      expected = { size: meta.size, etag: meta.etag };
      await streamDownload(meta.location, {
        headers: getHeaders(r, meta.location),
        policy: r.policy,
        fetchImpl: r.fetchImpl,
        ctx: r.ctx,
        authOrigin: new URL(r.url).origin,
        stallTimeoutMs: r.stallTimeoutMs,
        minSpeed: r.minSpeed,
        onRetry: r.onRetry,
        sink,
        expectedSize: meta.size,
        onProgress: (loaded, total) => emit({ loaded, total, file: filename }),
      });
    } else {
      await streamDownload(r.url, {
        headers: r.headers,
        policy: r.policy,
        fetchImpl: r.fetchImpl,
        ctx: r.ctx,
        stallTimeoutMs: r.stallTimeoutMs,
        minSpeed: r.minSpeed,
        onRetry: r.onRetry,
        sink,
        expectedSize: undefined,
        onProgress: (loaded, total) => emit({ loaded, total, file: filename }),
      });
    }
    const bytes = sink.bytes();
    if (expected.etag && SHA256_RE.test(expected.etag)) {
      const got = await sha256Hex(bytes);
      if (got !== undefined && got !== expected.etag) {
        throw new HubError(
          `Checksum mismatch for '${filename}' of repo '${repoId}' from ${r.url}: sha256 is ${got} but the hub announced ${expected.etag}. Nothing was cached; try again.`,
          { repoId, filename, url: r.url, code: 'ChecksumMismatch' },
        );
      }
    }
    await cache?.put(key, bytes);
    return bytes;
  });
}

/**
 * Whether a file exists in a hub repo: answered from the cache when possible (a cached file → true, a cached
 * `.no_exist` marker → false), else by a HEAD request (404 → false; 401/403 → HubError). Offline, a cache miss is
 * `false`. Used to prefer `model.safetensors` over `pytorch_model.bin`, as timm does.
 */
export async function hubFileExists(repoId: string, filename: string, opts: HubFetchOptions = {}): Promise<boolean> {
  const r0 = await resolve(repoId, filename, opts, false);
  const useDisk = opts.cache === undefined && isNode();
  let markMissing: ((commit: string) => Promise<void>) | undefined;
  if (useDisk) {
    const nc = await import('./node-cache.js');
    const p = await nc.cachePaths(r0.repoId, r0.filename, r0.revision, opts.cacheDir);
    const found = await nc.lookupCache(p);
    if (found.kind === 'hit') return true;
    if (found.kind === 'no-exist') return false;
    markMissing = (commit) => nc.markNoExist(p, commit);
  } else {
    const cache = opts.cache === undefined ? defaultHubCache() : opts.cache || undefined;
    if (await cache?.get(r0.url)) return true;
  }
  if (r0.offline) return false;
  const r = await resolve(repoId, filename, opts, true);
  if (!isNode()) {
    // Browsers hide redirect headers: follow the redirect and judge by the final status.
    const res = await r.fetchImpl(r.url, { method: 'HEAD', headers: r.headers, redirect: 'follow' });
    if (res.ok) return true;
    if (res.status === 404) return false;
    throw httpError(res.status, res.headers, r.ctx);
  }
  try {
    await headOrThrow(r, markMissing);
    return true;
  } catch (e) {
    if (e instanceof HubError && e.status === 404 && e.code !== 'RepoNotFound' && e.code !== 'RevisionNotFound') return false;
    throw e;
  }
}
