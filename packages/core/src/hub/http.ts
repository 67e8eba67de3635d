import { isNode } from './env.js';
import { type HttpErrorContext, HubError, httpError } from './errors.js';
import { normalizeEtag, quoteName } from './url.js';

/** Progress of one file: bytes held so far (resumed bytes included) out of `total` when known. */
export interface HubProgress {
  loaded: number;
  total: number | undefined;
  file: string;
}
export type HubProgressCallback = (progress: HubProgress) => void;

export interface RetryPolicy {
  /** Extra attempts after the first one on 5xx / 429 / dropped connections. Default 5. */
  retries: number;
  /** First backoff delay in ms; doubles each attempt. Default 1000. */
  retryDelayMs: number;
  /** Cap on one backoff delay in ms. Default 8000. */
  maxRetryDelayMs: number;
}

export const DEFAULT_RETRY: RetryPolicy = { retries: 5, retryDelayMs: 1000, maxRetryDelayMs: 8000 };

export function sleep(ms: number): Promise<void> {
  return new Promise((resolve) => setTimeout(resolve, ms));
}

export function backoffDelay(attempt: number, policy: RetryPolicy): number {
  return Math.min(policy.maxRetryDelayMs, policy.retryDelayMs * 2 ** attempt);
}

/** Marks a failure worth another attempt (5xx, 429, network error, body cut short). */
export class RetryableError extends Error {
  override name = 'RetryableError';
  constructor(
    message: string,
    readonly status = 0,
    options?: { cause?: unknown },
  ) {
    super(message, options);
  }
}

function isRetryableStatus(status: number): boolean {
  return status >= 500 || status === 429 || status === 408;
}

/**
 * Network failures that another attempt will not fix soon: the host name does not resolve (ENOTFOUND, EAI_AGAIN:
 * offline, or a typo in HF_ENDPOINT) or nothing listens there (ECONNREFUSED). fetch wraps them (`TypeError: fetch
 * failed` → cause, sometimes an AggregateError of one per address), so the whole cause chain is searched.
 */
const PERMANENT_NETWORK_CODES = new Set(['ENOTFOUND', 'EAI_AGAIN', 'ECONNREFUSED']);

export function permanentNetworkCode(e: unknown, depth = 0): string | undefined {
  if (!e || typeof e !== 'object' || depth > 8) return undefined;
  const code = (e as { code?: unknown }).code;
  if (typeof code === 'string' && PERMANENT_NETWORK_CODES.has(code)) return code;
  const inners = (e as { errors?: unknown }).errors;
  for (const inner of Array.isArray(inners) ? inners : []) {
    const c = permanentNetworkCode(inner, depth + 1);
    if (c) return c;
  }
  return permanentNetworkCode((e as { cause?: unknown }).cause, depth + 1);
}

/** One retry about to happen: which attempt failed, why, and how long until the next. */
export interface HubRetryInfo {
  url: string;
  file: string;
  /** 1 for the first retry. */
  attempt: number;
  retries: number;
  delayMs: number;
  reason: string;
}
export type HubRetryCallback = (info: HubRetryInfo) => void;

export function describeError(e: unknown): string {
  if (!(e instanceof Error)) return String(e);
  const cause = (e as { cause?: unknown }).cause;
  let c = cause instanceof Error ? `: ${cause.message}` : '';
  // An AggregateError (one connection error per address) has an empty message: name the first inner error.
  const inner = (cause as { errors?: unknown } | undefined)?.errors;
  if (cause instanceof Error && !cause.message && Array.isArray(inner) && inner[0] instanceof Error) c = `: ${inner[0].message}`;
  return `${e.message}${c}`;
}

export type FetchLike = typeof fetch;

export function defaultFetch(): FetchLike {
  if (typeof globalThis.fetch !== 'function') {
    throw new HubError('No global fetch in this runtime (Node >= 18 or a browser is needed); pass { fetch } in the options.');
  }
  return globalThis.fetch.bind(globalThis);
}

/** Metadata of one file as the hub's resolve endpoint reports it (huggingface_hub's `HfFileMetadata`). */
export interface HubFileMetadata {
  /** `X-Repo-Commit`: the commit the revision resolved to. */
  commitHash: string | undefined;
  /** `X-Linked-Etag` (sha256 of an LFS file) else `ETag` (git blob sha1), normalised. */
  etag: string | undefined;
  /** `X-Linked-Size` else `Content-Length`. */
  size: number | undefined;
  /** Where to GET the bytes: the `Location` of the LFS redirect, else the resolve URL itself. */
  location: string;
}

export interface RequestOptions {
  headers: Record<string, string>;
  policy: RetryPolicy;
  fetchImpl: FetchLike;
  ctx: HttpErrorContext;
  /** Timeout for a HEAD request in ms (huggingface_hub: HF_HUB_ETAG_TIMEOUT = 10 s). */
  timeoutMs?: number;
  /** The only origin `Authorization` is sent to; default the request URL's. */
  authOrigin?: string;
  /** Told before each retry (the CLI prints it on stderr). */
  onRetry?: HubRetryCallback;
}

function notifyRetry(opts: RequestOptions, url: string, attempt: number, e: unknown): void {
  try {
    opts.onRetry?.({ url, file: opts.ctx.filename, attempt: attempt + 1, retries: opts.policy.retries, delayMs: backoffDelay(attempt, opts.policy), reason: describeError(e) });
  } catch {
    // a throwing callback must not change the download
  }
}

export type HeadResult = { ok: true; meta: HubFileMetadata } | { ok: false; status: number; headers: Headers };

function parseIntHeader(v: string | null): number | undefined {
  if (v == null || !/^\d+$/.test(v.trim())) return undefined;
  return Number(v.trim());
}

/**
 * A redirect's `Location` resolved as a browser does (WHATWG URL parser against the request URL), so that
 * `//host/x` and `\\\\host\\x` are seen as the other hosts they are; only http(s) targets are accepted.
 */
export function redirectTarget(location: string, requestUrl: string, ctx: HttpErrorContext): URL {
  let next: URL;
  try {
    next = new URL(location, requestUrl);
  } catch {
    next = new URL('invalid:');
  }
  if (next.protocol !== 'http:' && next.protocol !== 'https:') {
    throw new HubError(
      `The server at ${requestUrl} redirected '${ctx.filename}' of repo '${ctx.repoId}' to ${quoteName(location.slice(0, 200))}, which is not an http(s) URL.`,
      { repoId: ctx.repoId, filename: ctx.filename, url: requestUrl, code: 'InvalidRedirect' },
    );
  }
  return next;
}

function withoutAuthorization(headers: Record<string, string>): Record<string, string> {
  return Object.fromEntries(Object.entries(headers).filter(([k]) => k.toLowerCase() !== 'authorization'));
}

/**
 * GET following redirects. In Node they are followed here (at most 10), and `Authorization` goes only to
 * `authOrigin` (the endpoint's origin, as huggingface_hub); a browser's fetch follows them itself and drops the
 * header across origins by the Fetch standard.
 */
async function getFollowing(url: string, init: RequestInit & { headers: Record<string, string> }, opts: RequestOptions): Promise<Response> {
  if (!isNode()) return opts.fetchImpl(url, { ...init, redirect: 'follow' });
  const authOrigin = opts.authOrigin ?? new URL(url).origin;
  let current = url;
  for (let hops = 0; ; hops++) {
    const headers = new URL(current).origin === authOrigin ? init.headers : withoutAuthorization(init.headers);
    const res = await opts.fetchImpl(current, { ...init, headers, redirect: 'manual' });
    const loc = res.headers.get('location');
    if (!(res.status >= 300 && res.status < 400 && loc)) return res;
    await res.body?.cancel().catch(() => {});
    if (hops >= 10) {
      throw new HubError(`Too many redirects fetching '${opts.ctx.filename}' of repo '${opts.ctx.repoId}' from ${url}.`, {
        repoId: opts.ctx.repoId,
        filename: opts.ctx.filename,
        url,
      });
    }
    current = redirectTarget(loc, current, opts.ctx).toString();
  }
}

/** Minimum average speed of a body over a sliding window (huggingface_hub has none; curl's `--speed-limit`). */
export interface MinSpeed {
  bytesPerSecond: number;
  windowMs: number;
}

/** The default floor: a body averaging under 1 KiB/s over any 60 s fails. */
export const DEFAULT_MIN_SPEED: MinSpeed = { bytesPerSecond: 1024, windowMs: 60_000 };

/**
 * HEAD on the resolve URL without following redirects (as `_get_metadata_or_catch_error` / `get_hf_file_metadata`):
 * relative redirects (repo renames) are followed, an absolute one (the LFS CDN) is not, and its headers are the
 * answer. 5xx / 429 / network errors are retried with exponential backoff. Returns `ok: false` with the status for
 * 4xx answers so that callers decide (404 → "does not exist").
 */
export async function headHubFile(url: string, opts: RequestOptions): Promise<HeadResult> {
  const { policy } = opts;
  for (let attempt = 0; ; attempt++) {
    try {
      let current = url;
      for (let hops = 0; ; hops++) {
        const res = await opts.fetchImpl(current, {
          method: 'HEAD',
          headers: { ...opts.headers, 'Accept-Encoding': 'identity' },
          redirect: 'manual',
          signal: AbortSignal.timeout(opts.timeoutMs ?? 10_000),
        });
        const loc = res.headers.get('location');
        const next = loc && res.status >= 300 && res.status < 400 ? redirectTarget(loc, current, opts.ctx) : undefined;
        // Only a same-origin redirect (a renamed repo) is followed with our headers; another origin (the LFS CDN)
        // is the answer: its Location is where the bytes are, fetched later without Authorization.
        if (next && next.origin === new URL(current).origin && hops < 10) {
          await res.body?.cancel().catch(() => {});
          current = next.toString();
          continue;
        }
        if (isRetryableStatus(res.status)) throw new RetryableError(`HTTP ${res.status}`, res.status);
        if (res.status >= 400) return { ok: false, status: res.status, headers: res.headers };
        if (res.type === 'opaqueredirect') {
          throw new HubError(`HEAD ${url} gave an opaque redirect (browser); use fetchHubFileBytes, which follows redirects.`);
        }
        const h = res.headers;
        const meta: HubFileMetadata = {
          commitHash: h.get('x-repo-commit') ?? undefined,
          etag: undefined,
          size: parseIntHeader(h.get('x-linked-size')) ?? parseIntHeader(h.get('content-length')),
          location: next ? next.toString() : current,
        };
        meta.etag = normalizeEtag(h.get('x-linked-etag') ?? h.get('etag'));
        return { ok: true, meta };
      }
    } catch (e) {
      if (e instanceof HubError) throw e;
      const permanent = permanentNetworkCode(e);
      if (attempt >= policy.retries || permanent) {
        const status = e instanceof RetryableError ? e.status : 0;
        if (status) throw httpError(status, undefined, opts.ctx);
        throw new HubError(
          `Could not reach the hub for '${opts.ctx.filename}' of repo '${opts.ctx.repoId}' at ${url} after ${attempt + 1} attempt(s) (${describeError(e)}${permanent ? `; ${permanent} is not retried` : ''}). Check the network or HF_ENDPOINT; set HF_HUB_OFFLINE=1 to use only files already in the cache.`,
          { repoId: opts.ctx.repoId, filename: opts.ctx.filename, url, cause: e, code: permanent },
        );
      }
      notifyRetry(opts, url, attempt, e);
      await sleep(backoffDelay(attempt, policy));
    }
  }
}

/** Where streamed bytes go: a `.incomplete` file (Node) or memory (browser). */
export interface DownloadSink {
  /** Bytes already held (what a `Range` request resumes from). */
  size(): Promise<number>;
  /** Drops everything from byte `offset` on (0 = start over). */
  truncate(offset: number): Promise<void>;
  write(chunk: Uint8Array): Promise<void>;
  /** Flushes / closes after a body ended or failed. */
  close(): Promise<void>;
}

export interface StreamDownloadOptions extends RequestOptions {
  sink: DownloadSink;
  /** Expected total size when known: a mismatch after a complete body is an error. */
  expectedSize: number | undefined;
  onProgress?: (loaded: number, total: number | undefined) => void;
  /** Abort a GET whose body stalls this long without a byte (ms). Default 10 s (HF_HUB_DOWNLOAD_TIMEOUT). */
  stallTimeoutMs?: number;
  /** Abort a body averaging under this speed over the window; `false` for none. Default 1 KiB/s over 60 s. */
  minSpeed?: MinSpeed | false;
}

/**
 * GETs `url` into `sink`, resuming with `Range: bytes=N-` after a dropped connection or when the sink already holds
 * a partial download; a 200 answer to a range request (server ignored it) restarts from zero. 5xx / 429 / network
 * errors are retried with exponential backoff up to `policy.retries` times. Returns the final byte count.
 */
export async function streamDownload(url: string, opts: StreamDownloadOptions): Promise<number> {
  const { sink, policy, expectedSize, ctx } = opts;
  let lastError: unknown;
  for (let attempt = 0; ; attempt++) {
    let start = await sink.size();
    if (expectedSize !== undefined && start > expectedSize) {
      await sink.truncate(0);
      start = 0;
    }
    if (expectedSize !== undefined && start === expectedSize && start > 0) return start;
    const headers: Record<string, string> = { ...opts.headers, 'Accept-Encoding': 'identity' };
    if (start > 0) headers.Range = `bytes=${start}-`;
    const controller = new AbortController();
    const stallMs = opts.stallTimeoutMs ?? 10_000;
    let abortWhy: string | undefined;
    const abort = (why: string) => {
      abortWhy ??= why;
      controller.abort(new Error(why));
    };
    let timer: ReturnType<typeof setTimeout> | undefined;
    const arm = () => {
      if (timer !== undefined) clearTimeout(timer);
      timer = setTimeout(() => abort(`no data for ${stallMs} ms (HF_HUB_DOWNLOAD_TIMEOUT)`), stallMs);
    };
    const minSpeed = opts.minSpeed === undefined ? DEFAULT_MIN_SPEED : opts.minSpeed;
    let speedTimer: ReturnType<typeof setInterval> | undefined;
    let received = 0;
    try {
      arm();
      const res = await getFollowing(url, { headers, signal: controller.signal }, opts);
      if (isRetryableStatus(res.status)) {
        await res.body?.cancel().catch(() => {});
        throw new RetryableError(`HTTP ${res.status}`, res.status);
      }
      if (res.status === 416 && start > 0) {
        // What we hold does not fit the file (changed upstream?): start over.
        await res.body?.cancel().catch(() => {});
        await sink.truncate(0);
        throw new RetryableError('HTTP 416 on resume; restarting from zero', 416);
      }
      if (!res.ok) {
        await res.body?.cancel().catch(() => {});
        throw httpError(res.status, res.headers, ctx);
      }
      let offset = start;
      if (start > 0) {
        const range = res.headers.get('content-range');
        const m = range ? /^bytes (\d+)-/.exec(range) : null;
        if (res.status !== 206 || !m || Number(m[1]) !== start) {
          // The server ignored (or mis-answered) the range: take its full body from zero.
          if (res.status === 206) {
            await res.body?.cancel().catch(() => {});
            await sink.truncate(0);
            throw new RetryableError(`unexpected Content-Range '${range}' for a resume at ${start}`);
          }
          await sink.truncate(0);
          offset = 0;
        }
      }
      const total =
        expectedSize ??
        (res.headers.get('content-encoding') ? undefined : (() => {
          const len = parseIntHeader(res.headers.get('content-length'));
          return len === undefined ? undefined : len + offset;
        })());
      opts.onProgress?.(offset, total);
      if (!res.body) throw new RetryableError('response has no body');
      const reader = res.body.getReader();
      if (minSpeed) {
        // Samples of the byte count every quarter window; the oldest of five is one window old.
        const samples: number[] = [0];
        const floor = (minSpeed.bytesPerSecond * minSpeed.windowMs) / 1000;
        speedTimer = setInterval(() => {
          samples.push(received);
          if (samples.length > 5) samples.shift();
          if (samples.length === 5 && received - samples[0]! < floor) {
            abort(`${received - samples[0]!} bytes in ${minSpeed.windowMs} ms, under the minimum of ${minSpeed.bytesPerSecond} bytes/s`);
          }
        }, minSpeed.windowMs / 4);
      }
      try {
        for (;;) {
          const { done, value } = await reader.read();
          if (done) break;
          arm();
          if (value?.byteLength) {
            await sink.write(value);
            offset += value.byteLength;
            received += value.byteLength;
            opts.onProgress?.(offset, total);
          }
        }
      } finally {
        reader.releaseLock();
        await sink.close();
      }
      if (total !== undefined && offset < total) {
        throw new RetryableError(`connection closed after ${offset} of ${total} bytes`);
      }
      if (expectedSize !== undefined && offset !== expectedSize) {
        await sink.truncate(0);
        throw new HubError(
          `Consistency check failed for '${ctx.filename}' of repo '${ctx.repoId}' from ${url}: received ${offset} bytes, expected ${expectedSize}. The partial file was removed; try again.`,
          { repoId: ctx.repoId, filename: ctx.filename, url },
        );
      }
      return offset;
    } catch (caught) {
      if (caught instanceof HubError) throw caught;
      const e = abortWhy ? new RetryableError(abortWhy, 0, { cause: caught }) : caught;
      lastError = e;
      const permanent = permanentNetworkCode(e);
      if (attempt >= policy.retries || permanent) {
        const status = e instanceof RetryableError ? e.status : 0;
        const base = status >= 500 ? httpError(status, undefined, ctx).message : `Download of '${ctx.filename}' of repo '${ctx.repoId}' from ${url} failed`;
        const why = `${describeError(lastError)}${permanent ? `; ${permanent} is not retried` : ''}`;
        throw new HubError(`${base} after ${attempt + 1} attempt(s) (${why}). Calling again resumes a partial download.`, {
          status,
          repoId: ctx.repoId,
          filename: ctx.filename,
          url,
          cause: e,
          code: permanent,
        });
      }
      notifyRetry(opts, url, attempt, e);
      await sleep(backoffDelay(attempt, policy));
    } finally {
      if (timer !== undefined) clearTimeout(timer);
      if (speedTimer !== undefined) clearInterval(speedTimer);
    }
  }
}
