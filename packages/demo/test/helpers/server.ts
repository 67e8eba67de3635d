/**
 * A loopback HTTP server for the browser tests: serves a folder (the built demo) with COOP/COEP/CORP headers (so the
 * page is cross-origin isolated and wasm threads work), extra folders under URL prefixes (fixtures), and proxies
 * `/hub/*` and `/cdn/*` to a loopback hub server (same origin for the page: no CORS needed), rewriting the hub's LFS
 * redirects to the proxied CDN.
 */
import { createReadStream } from 'node:fs';
import { stat } from 'node:fs/promises';
import { createServer, type IncomingMessage, request, type ServerResponse } from 'node:http';
import type { AddressInfo } from 'node:net';
import { extname, join, normalize, sep } from 'node:path';

const MIME: Record<string, string> = {
  '.html': 'text/html; charset=utf-8',
  '.js': 'text/javascript; charset=utf-8',
  '.mjs': 'text/javascript; charset=utf-8',
  '.css': 'text/css; charset=utf-8',
  '.json': 'application/json',
  '.wasm': 'application/wasm',
  '.png': 'image/png',
  '.jpg': 'image/jpeg',
  '.svg': 'image/svg+xml',
  '.safetensors': 'application/octet-stream',
};

export interface DemoServerOptions {
  /** Folder served at `/`. */
  root: string;
  /** URL prefix (`/fixtures/resnet/`) → folder. */
  mounts?: Record<string, string>;
  /** Loopback hub to proxy at `/hub` (resolve endpoint) and `/cdn` (LFS). */
  hub?: { url: string; cdnUrl: string };
  /** Send COOP/COEP (default true). */
  isolate?: boolean;
}

export interface DemoServer {
  url: string;
  /** Paths requested, in order. */
  requests: string[];
  close(): Promise<void>;
}

export async function startDemoServer(opts: DemoServerOptions): Promise<DemoServer> {
  const requests: string[] = [];
  const isolation: Record<string, string> =
    opts.isolate === false
      ? {}
      : { 'Cross-Origin-Opener-Policy': 'same-origin', 'Cross-Origin-Embedder-Policy': 'require-corp', 'Cross-Origin-Resource-Policy': 'same-origin' };
  let origin = '';

  function proxy(req: IncomingMessage, res: ServerResponse, target: string): void {
    const headers: Record<string, string> = {};
    for (const h of ['range', 'authorization', 'accept', 'if-none-match']) {
      const v = req.headers[h];
      if (typeof v === 'string') headers[h] = v;
    }
    const up = request(target, { method: req.method, headers }, (r) => {
      const out: Record<string, string | string[]> = { ...isolation };
      for (const [k, v] of Object.entries(r.headers)) if (v !== undefined && k !== 'connection' && k !== 'keep-alive') out[k] = v;
      const loc = r.headers.location;
      if (loc && opts.hub && loc.startsWith(opts.hub.cdnUrl)) out.location = `${origin}/cdn${loc.slice(opts.hub.cdnUrl.length)}`;
      res.writeHead(r.statusCode ?? 502, out);
      r.pipe(res);
    });
    up.on('error', (e) => {
      if (!res.headersSent) res.writeHead(502, isolation);
      res.end(String(e));
    });
    up.end();
  }

  async function serveFile(res: ServerResponse, file: string, method: string): Promise<void> {
    let st: Awaited<ReturnType<typeof stat>>;
    try {
      st = await stat(file);
      if (st.isDirectory()) return serveFile(res, join(file, 'index.html'), method);
    } catch {
      res.writeHead(404, { 'Content-Type': 'text/plain', ...isolation }).end('not found');
      return;
    }
    res.writeHead(200, {
      'Content-Type': MIME[extname(file)] ?? 'application/octet-stream',
      'Content-Length': String(st.size),
      'Cache-Control': 'no-store',
      ...isolation,
    });
    if (method === 'HEAD') res.end();
    else createReadStream(file).pipe(res);
  }

  function inside(dir: string, rel: string): string | null {
    const p = normalize(join(dir, rel));
    return p === dir || p.startsWith(dir.endsWith(sep) ? dir : dir + sep) ? p : null;
  }

  const server = createServer((req, res) => {
    const url = new URL(req.url ?? '/', 'http://x');
    requests.push(url.pathname);
    if (opts.hub && url.pathname.startsWith('/hub/')) return proxy(req, res, opts.hub.url + url.pathname.slice(4) + url.search);
    if (opts.hub && url.pathname.startsWith('/cdn/')) return proxy(req, res, opts.hub.cdnUrl + url.pathname.slice(4) + url.search);
    if (req.method !== 'GET' && req.method !== 'HEAD') {
      res.writeHead(405, isolation).end();
      return;
    }
    const path = decodeURIComponent(url.pathname);
    for (const [prefix, dir] of Object.entries(opts.mounts ?? {})) {
      if (path.startsWith(prefix)) {
        const file = inside(dir, path.slice(prefix.length));
        if (file) return void serveFile(res, file, req.method);
      }
    }
    const file = inside(opts.root, path === '/' ? 'index.html' : path.slice(1));
    if (!file) {
      res.writeHead(403, isolation).end();
      return;
    }
    void serveFile(res, file, req.method);
  });
  const sockets = new Set<import('node:net').Socket>();
  server.on('connection', (s) => {
    sockets.add(s);
    s.on('close', () => sockets.delete(s));
  });
  await new Promise<void>((resolve) => server.listen(0, '127.0.0.1', resolve));
  origin = `http://127.0.0.1:${(server.address() as AddressInfo).port}`;
  return {
    url: origin,
    requests,
    close: () =>
      new Promise<void>((resolve) => {
        for (const s of sockets) s.destroy();
        server.close(() => resolve());
      }),
  };
}
