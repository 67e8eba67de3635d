/**
 * A loopback HTTP server that answers like the Hugging Face hub's resolve endpoint, for tests with real HTTP:
 *
 * - `HEAD|GET /{repo}/resolve/{revision}/{file}`: `X-Repo-Commit`; regular files answer 200 with `ETag` (git blob
 *   sha1, sent weak `W/"…"` to exercise normalisation) and the bytes; LFS files answer 302 to the CDN server
 *   (a second server, another host:port, as the real CDN) with `X-Linked-Etag` (sha256), `X-Linked-Size`, `Location`.
 * - `HEAD|GET {cdn}/lfs/{sha256}`: the LFS bytes, with `Range: bytes=N-` support (206 / 416).
 * - Errors like the hub: 404 + `X-Error-Code: EntryNotFound` (+ `X-Repo-Commit`), `RevisionNotFound`, 401
 *   `RepoNotFound` for unknown repos, 401 for a private repo without the right bearer token.
 * - Fault injection (`server.faults`): a status once (500 …), a connection dropped after N body bytes, a corrupted
 *   body (sha mismatch), a range request answered 200, a slow body.
 */
import { createHash } from 'node:crypto';
import { createServer, type IncomingMessage, type Server, type ServerResponse } from 'node:http';
import type { AddressInfo } from 'node:net';

export interface RepoFileSpec {
  content: Uint8Array | string;
  lfs?: boolean;
}

export interface RepoSpec {
  commit: string;
  /** Branch/tag name → commit; `main` → `commit` by default. */
  refs?: Record<string, string>;
  files: Record<string, Uint8Array | string | RepoFileSpec>;
  /** When set, every request needs `Authorization: Bearer <token>`. */
  token?: string;
}

export interface Fault {
  kind: 'status' | 'drop' | 'corrupt' | 'ignore-range' | 'slow';
  /** Which requests it applies to: 'hub' (resolve endpoint) or 'cdn'; default: GETs that send file bytes on either. */
  where?: 'hub' | 'cdn';
  method?: 'GET' | 'HEAD';
  /** Only for this file name (hub) / any (cdn) when unset. */
  file?: string;
  status?: number;
  /** For 'drop': bytes sent before the connection is destroyed. */
  afterBytes?: number;
  /** For 'slow': delay between 1 KiB chunks (ms). */
  delayMs?: number;
  /** How many matching requests it hits (default 1); decremented as used. */
  times?: number;
}

export interface LoggedRequest {
  server: 'hub' | 'cdn';
  method: string;
  path: string;
  range: string | undefined;
  authorization: string | undefined;
}

interface StoredFile {
  content: Uint8Array;
  lfs: boolean;
  sha256: string;
  gitSha1: string;
}

export interface HubServer {
  url: string;
  cdnUrl: string;
  requests: LoggedRequest[];
  faults: Fault[];
  addRepo(repoId: string, spec: RepoSpec): void;
  file(repoId: string, name: string): StoredFile;
  count(filter?: Partial<Pick<LoggedRequest, 'server' | 'method'>> & { file?: string }): number;
  close(): Promise<void>;
}

const enc = new TextEncoder();

function gitBlobSha1(bytes: Uint8Array): string {
  return createHash('sha1').update(`blob ${bytes.byteLength}\0`).update(bytes).digest('hex');
}

export function sha256(bytes: Uint8Array): string {
  return createHash('sha256').update(bytes).digest('hex');
}

function listen(server: Server): Promise<string> {
  return new Promise((resolve) => {
    server.listen(0, '127.0.0.1', () => resolve(`http://127.0.0.1:${(server.address() as AddressInfo).port}`));
  });
}

export async function startHubServer(): Promise<HubServer> {
  const repos = new Map<string, RepoSpec & { stored: Map<string, StoredFile> }>();
  const blobs = new Map<string, StoredFile>();
  const requests: LoggedRequest[] = [];
  const faults: Fault[] = [];
  const sockets = new Set<import('node:net').Socket>();

  function takeFault(server: 'hub' | 'cdn', method: string, file: string | undefined, kinds: Fault['kind'][]): Fault | undefined {
    const i = faults.findIndex(
      (f) =>
        kinds.includes(f.kind) &&
        (f.where === undefined || f.where === server) &&
        (f.method === undefined ? method === 'GET' || f.kind === 'status' : f.method === method) &&
        (f.file === undefined || f.file === file),
    );
    if (i < 0) return undefined;
    const f = faults[i]!;
    f.times = (f.times ?? 1) - 1;
    if (f.times <= 0) faults.splice(i, 1);
    return f;
  }

  /** Sends file bytes honouring Range and the body faults. */
  async function sendBytes(
    req: IncomingMessage,
    res: ServerResponse,
    server: 'hub' | 'cdn',
    file: StoredFile,
    name: string | undefined,
    headers: Record<string, string>,
  ): Promise<void> {
    const total = file.content.byteLength;
    let start = 0;
    let status = 200;
    const range = req.headers.range;
    const ignoreRange = range ? takeFault(server, req.method!, name, ['ignore-range']) : undefined;
    if (range && !ignoreRange) {
      const m = /^bytes=(\d+)-$/.exec(range);
      if (m) {
        start = Number(m[1]);
        if (start >= total) {
          res.writeHead(416, { 'Content-Range': `bytes */${total}` });
          res.end();
          return;
        }
        status = 206;
        headers['Content-Range'] = `bytes ${start}-${total - 1}/${total}`;
      }
    }
    let body = file.content.subarray(start);
    headers['Content-Length'] = String(body.byteLength);
    headers['Accept-Ranges'] = 'bytes';
    res.writeHead(status, headers);
    if (req.method === 'HEAD') {
      res.end();
      return;
    }
    const fault = takeFault(server, 'GET', name, ['drop', 'corrupt', 'slow']);
    if (fault?.kind === 'corrupt') {
      body = body.slice();
      body[body.byteLength >> 1] ^= 0xff;
    }
    if (fault?.kind === 'drop') {
      const n = Math.min(fault.afterBytes ?? 0, body.byteLength - 1);
      res.write(body.subarray(0, n), () => {
        // Let the bytes reach the client before the connection is cut.
        setTimeout(() => res.socket?.destroy(), 20);
      });
      return;
    }
    if (fault?.kind === 'slow') {
      for (let o = 0; o < body.byteLength; o += 1024) {
        res.write(body.subarray(o, o + 1024));
        await new Promise((r) => setTimeout(r, fault.delayMs ?? 5));
      }
      res.end();
      return;
    }
    res.end(body);
  }

  function log(server: 'hub' | 'cdn', req: IncomingMessage): void {
    requests.push({
      server,
      method: req.method!,
      path: req.url!,
      range: req.headers.range,
      authorization: req.headers.authorization,
    });
  }

  let cdnUrl = '';

  const hub = createServer((req, res) => {
    log('hub', req);
    const url = new URL(req.url!, 'http://x');
    const m = /^\/([^/]+(?:\/[^/]+)?)\/resolve\/([^/]+)\/(.+)$/.exec(url.pathname);
    if (!m || (req.method !== 'GET' && req.method !== 'HEAD')) {
      res.writeHead(400).end('bad request');
      return;
    }
    const repoId = m[1]!;
    const revision = decodeURIComponent(m[2]!);
    const name = m[3]!.split('/').map(decodeURIComponent).join('/');
    const fault = takeFault('hub', req.method, name, ['status']);
    if (fault) {
      res.writeHead(fault.status ?? 500, { 'Content-Type': 'text/plain' }).end('injected fault');
      return;
    }
    const repo = repos.get(repoId);
    if (!repo) {
      res.writeHead(401, { 'X-Error-Code': 'RepoNotFound', 'X-Error-Message': 'Repository not found' }).end();
      return;
    }
    if (repo.token && req.headers.authorization !== `Bearer ${repo.token}`) {
      res.writeHead(401, { 'X-Error-Message': 'Invalid credentials in Authorization header' }).end();
      return;
    }
    const refs: Record<string, string> = { main: repo.commit, ...repo.refs };
    const commit = refs[revision] ?? (revision === repo.commit ? repo.commit : undefined);
    if (!commit) {
      res.writeHead(404, { 'X-Error-Code': 'RevisionNotFound', 'X-Error-Message': 'Invalid rev id' }).end();
      return;
    }
    const file = repo.stored.get(name);
    if (!file) {
      res.writeHead(404, { 'X-Error-Code': 'EntryNotFound', 'X-Error-Message': 'Entry not found', 'X-Repo-Commit': commit }).end();
      return;
    }
    if (file.lfs) {
      res
        .writeHead(302, {
          Location: `${cdnUrl}/lfs/${file.sha256}?signed=1`,
          'X-Repo-Commit': commit,
          'X-Linked-Etag': `"${file.sha256}"`,
          'X-Linked-Size': String(file.content.byteLength),
          ETag: `"${file.gitSha1}"`,
          'Content-Length': '0',
        })
        .end();
      return;
    }
    void sendBytes(req, res, 'hub', file, name, { 'X-Repo-Commit': commit, ETag: `W/"${file.gitSha1}"` });
  });

  const cdn = createServer((req, res) => {
    log('cdn', req);
    const url = new URL(req.url!, 'http://x');
    const m = /^\/lfs\/([0-9a-f]{64})$/.exec(url.pathname);
    const file = m ? blobs.get(m[1]!) : undefined;
    if (!file) {
      res.writeHead(404).end();
      return;
    }
    const fault = takeFault('cdn', req.method!, undefined, ['status']);
    if (fault) {
      res.writeHead(fault.status ?? 500).end('injected fault');
      return;
    }
    void sendBytes(req, res, 'cdn', file, undefined, { ETag: `"${file.sha256}"` });
  });
  for (const s of [hub, cdn]) {
    s.on('connection', (sock) => {
      sockets.add(sock);
      sock.on('close', () => sockets.delete(sock));
    });
  }

  const url = await listen(hub);
  cdnUrl = await listen(cdn);

  return {
    url,
    cdnUrl,
    requests,
    faults,
    addRepo(repoId, spec) {
      const stored = new Map<string, StoredFile>();
      for (const [name, raw] of Object.entries(spec.files)) {
        const f: RepoFileSpec = typeof raw === 'string' || raw instanceof Uint8Array ? { content: raw } : raw;
        const content = typeof f.content === 'string' ? enc.encode(f.content) : f.content;
        const sf: StoredFile = { content, lfs: f.lfs ?? false, sha256: sha256(content), gitSha1: gitBlobSha1(content) };
        stored.set(name, sf);
        if (sf.lfs) blobs.set(sf.sha256, sf);
      }
      repos.set(repoId, { ...spec, stored });
    },
    file(repoId, name) {
      const f = repos.get(repoId)?.stored.get(name);
      if (!f) throw new Error(`no ${repoId}/${name}`);
      return f;
    },
    count(filter = {}) {
      return requests.filter(
        (r) =>
          (filter.server === undefined || r.server === filter.server) &&
          (filter.method === undefined || r.method === filter.method) &&
          (filter.file === undefined || decodeURIComponent(r.path).endsWith(`/${filter.file}`)),
      ).length;
    },
    close() {
      for (const s of sockets) s.destroy();
      return Promise.all(
        [hub, cdn].map((s) => new Promise<void>((resolve) => s.close(() => resolve()))),
      ).then(() => undefined);
    },
  };
}
