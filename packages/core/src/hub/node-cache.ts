/**
 * The huggingface_hub file cache on disk (Node only). Node built-ins are loaded with dynamic `import()` of a
 * computed specifier so that a browser bundle of `hub/index.ts` never tries to resolve them.
 *
 * Layout (identical to huggingface_hub, so both share one cache):
 *   {cache}/models--{org}--{name}/blobs/{etag}                      the bytes
 *   {cache}/models--{org}--{name}/snapshots/{commit}/{file}         relative symlink → ../../blobs/{etag}
 *   {cache}/models--{org}--{name}/refs/{revision}                   the commit hash (no newline)
 *   {cache}/models--{org}--{name}/.no_exist/{commit}/{file}         empty: the file is known not to exist
 */
import { getEnv } from './env.js';
import { HubError } from './errors.js';
import type { DownloadSink } from './http.js';
import { isCommitHash, quoteName, repoFolderName } from './url.js';

type FsP = typeof import('node:fs/promises');
type PathM = typeof import('node:path');
type OsM = typeof import('node:os');
type CryptoM = typeof import('node:crypto');
type FsM = typeof import('node:fs');

export interface NodeModules {
  fs: FsP;
  fsSync: FsM;
  path: PathM;
  os: OsM;
  crypto: CryptoM;
}

const importNode = (specifier: string): Promise<unknown> => import(/* @vite-ignore */ /* webpackIgnore: true */ specifier);

let modules: Promise<NodeModules> | undefined;

export function nodeModules(): Promise<NodeModules> {
  modules ??= (async () => {
    const [fs, fsSync, path, os, crypto] = await Promise.all([
      importNode('node:fs/promises') as Promise<FsP>,
      importNode('node:fs') as Promise<FsM>,
      importNode('node:path') as Promise<PathM>,
      importNode('node:os') as Promise<OsM>,
      importNode('node:crypto') as Promise<CryptoM>,
    ]);
    return { fs, fsSync, path, os, crypto };
  })();
  return modules;
}

function expandUser(p: string, m: NodeModules): string {
  if (p === '~') return m.os.homedir();
  if (p.startsWith('~/') || p.startsWith('~\\')) return m.path.join(m.os.homedir(), p.slice(2));
  return p;
}

/** `HF_HOME`, else `${XDG_CACHE_HOME:-~/.cache}/huggingface`. */
export async function hfHome(): Promise<string> {
  const m = await nodeModules();
  const home = getEnv('HF_HOME') ?? m.path.join(getEnv('XDG_CACHE_HOME') ?? '~/.cache', 'huggingface');
  return expandUser(home, m);
}

/** The hub cache folder: explicit → `HF_HUB_CACHE` → `HUGGINGFACE_HUB_CACHE` → `${HF_HOME}/hub`. */
export async function resolveCacheDir(cacheDir?: string): Promise<string> {
  const m = await nodeModules();
  const dir = cacheDir ?? getEnv('HF_HUB_CACHE') ?? getEnv('HUGGINGFACE_HUB_CACHE') ?? m.path.join(await hfHome(), 'hub');
  return m.path.resolve(expandUser(dir, m));
}

/** The token saved by `huggingface-cli login` / `hf auth login`: `HF_TOKEN_PATH`, else `${HF_HOME}/token`. */
export async function readTokenFile(): Promise<string | undefined> {
  const m = await nodeModules();
  const file = expandUser(getEnv('HF_TOKEN_PATH') ?? m.path.join(await hfHome(), 'token'), m);
  try {
    const t = (await m.fs.readFile(file, 'utf8')).trim();
    return t || undefined;
  } catch {
    return undefined;
  }
}

export interface CachePaths {
  cacheDir: string;
  storage: string;
  repoId: string;
  filename: string;
  revision: string;
}

export async function cachePaths(repoId: string, filename: string, revision: string, cacheDir?: string): Promise<CachePaths> {
  const m = await nodeModules();
  const dir = await resolveCacheDir(cacheDir);
  return { cacheDir: dir, storage: m.path.join(dir, repoFolderName(repoId)), repoId, filename, revision };
}

/**
 * Checks that `target` lies inside the cache folder, both as written and once symlinks are resolved (of its
 * deepest existing ancestor, and of the target itself when it exists): a name or a planted symlink that leads
 * out of the cache is a HubError, and nothing is read or written there.
 */
export async function assertInsideCache(p: CachePaths, target: string): Promise<void> {
  const m = await nodeModules();
  const inside = (root: string, file: string) => {
    const rel = m.path.relative(root, file);
    return rel === '' || (!rel.startsWith('..') && !m.path.isAbsolute(rel));
  };
  const resolved = m.path.resolve(target);
  let ok = inside(p.cacheDir, resolved);
  if (ok) {
    const root = await m.fs.realpath(p.cacheDir).catch(() => p.cacheDir);
    // Walk up to the cache root at most: what lies above it is the user's choice of cache folder.
    for (let probe = resolved; inside(p.cacheDir, probe); probe = m.path.dirname(probe)) {
      const real = await m.fs.realpath(probe).catch(() => undefined);
      if (real !== undefined) {
        ok = inside(root, real);
        break;
      }
    }
  }
  if (!ok) {
    throw new HubError(
      `Refusing to touch ${quoteName(target)}: it resolves outside the hub cache ${p.cacheDir} (repo '${p.repoId}', file ${quoteName(p.filename)}, revision ${quoteName(p.revision)}). A name or a symlink in the cache points out of it.`,
      { repoId: p.repoId, filename: p.filename, code: 'OutsideCache' },
    );
  }
}

function fileParts(filename: string): string[] {
  return filename.split('/');
}

export function pointerPath(m: NodeModules, p: CachePaths, commit: string): string {
  return m.path.join(p.storage, 'snapshots', commit, ...fileParts(p.filename));
}

export function blobPath(m: NodeModules, p: CachePaths, etag: string): string {
  return m.path.join(p.storage, 'blobs', etag);
}

async function exists(m: NodeModules, file: string): Promise<boolean> {
  try {
    await m.fs.stat(file); // follows the symlink: a dangling pointer is a miss
    return true;
  } catch {
    return false;
  }
}

/** The commit a revision points at in the cache: the revision itself when it is a hash, else `refs/{revision}`. */
export async function cachedCommit(p: CachePaths): Promise<string | undefined> {
  if (isCommitHash(p.revision)) return p.revision;
  const m = await nodeModules();
  const ref = m.path.join(p.storage, 'refs', ...p.revision.split('/'));
  await assertInsideCache(p, ref);
  let c: string;
  try {
    c = (await m.fs.readFile(ref, 'utf8')).trim();
  } catch {
    return undefined;
  }
  // A ref that does not hold a commit hash is ignored (a miss), never echoed or used as a path.
  return isCommitHash(c) ? c : undefined;
}

export type CacheLookup =
  | { kind: 'hit'; path: string; commit: string }
  | { kind: 'no-exist'; path: string; commit: string }
  | { kind: 'miss'; expectedPath: string; commit: string | undefined };

/** huggingface_hub's `try_to_load_from_cache`, for our purposes. */
export async function lookupCache(p: CachePaths): Promise<CacheLookup> {
  const m = await nodeModules();
  const commit = await cachedCommit(p);
  if (commit === undefined) {
    return { kind: 'miss', expectedPath: m.path.join(p.storage, 'refs', ...p.revision.split('/')), commit };
  }
  const ptr = pointerPath(m, p, commit);
  await assertInsideCache(p, ptr);
  if (await exists(m, ptr)) return { kind: 'hit', path: ptr, commit };
  const noExist = m.path.join(p.storage, '.no_exist', commit, ...fileParts(p.filename));
  await assertInsideCache(p, noExist);
  if (await exists(m, noExist)) return { kind: 'no-exist', path: noExist, commit };
  return { kind: 'miss', expectedPath: ptr, commit };
}

/** Writes `refs/{revision}` when the revision is a branch/tag name (as `_cache_commit_hash_for_specific_revision`). */
export async function writeRef(p: CachePaths, commit: string): Promise<void> {
  if (p.revision === commit) return;
  if (!isCommitHash(commit)) throw new HubError(`Not a commit hash: ${quoteName(commit)}`, { repoId: p.repoId });
  const m = await nodeModules();
  const ref = m.path.join(p.storage, 'refs', ...p.revision.split('/'));
  await assertInsideCache(p, ref);
  try {
    if ((await m.fs.readFile(ref, 'utf8')).trim() === commit) return;
  } catch {
    // absent: write it
  }
  await m.fs.mkdir(m.path.dirname(ref), { recursive: true });
  const tmp = `${ref}.${Date.now()}.${Math.random().toString(36).slice(2)}.tmp`;
  await m.fs.writeFile(tmp, commit);
  await m.fs.rename(tmp, ref);
}

/** Records that the file does not exist at this commit (`.no_exist/{commit}/{file}`), as huggingface_hub does. */
export async function markNoExist(p: CachePaths, commit: string): Promise<void> {
  // A server's commit header that is not a hash is not worth recording (and never a path).
  if (!isCommitHash(commit)) return;
  const m = await nodeModules();
  const file = m.path.join(p.storage, '.no_exist', commit, ...fileParts(p.filename));
  try {
    await assertInsideCache(p, m.path.dirname(file));
    await m.fs.mkdir(m.path.dirname(file), { recursive: true });
    await assertInsideCache(p, file);
    // 'wx': never opens (or truncates) an existing file or follows a planted symlink.
    await (await m.fs.open(file, 'wx')).close();
  } catch {
    // best effort, like huggingface_hub (an existing marker is fine)
  }
  try {
    await writeRef(p, commit);
  } catch {
    // best effort
  }
}

/** Points `snapshots/{commit}/{file}` at the blob with a relative symlink; copies where symlinks are not allowed. */
export async function linkSnapshot(p: CachePaths, commit: string, etag: string): Promise<string> {
  const m = await nodeModules();
  const blob = blobPath(m, p, etag);
  const ptr = pointerPath(m, p, commit);
  await assertInsideCache(p, blob);
  await assertInsideCache(p, m.path.dirname(ptr));
  await m.fs.mkdir(m.path.dirname(ptr), { recursive: true });
  await assertInsideCache(p, m.path.dirname(ptr));
  const rel = m.path.relative(m.path.dirname(ptr), blob);
  try {
    await m.fs.lstat(ptr);
    await m.fs.rm(ptr, { force: true });
  } catch {
    // absent
  }
  try {
    await m.fs.symlink(rel, ptr);
  } catch (e) {
    const code = (e as NodeJS.ErrnoException).code;
    if (code === 'EEXIST') return ptr; // a concurrent process linked it
    await m.fs.copyFile(blob, ptr);
  }
  return ptr;
}

export async function fileSize(file: string): Promise<number | undefined> {
  const m = await nodeModules();
  try {
    return (await m.fs.stat(file)).size;
  } catch {
    return undefined;
  }
}

/** A `DownloadSink` writing to `{blob}.incomplete`, appending across resumes. */
export async function fileSink(file: string): Promise<DownloadSink> {
  const m = await nodeModules();
  await m.fs.mkdir(m.path.dirname(file), { recursive: true });
  let handle: Awaited<ReturnType<FsP['open']>> | undefined;
  return {
    async size() {
      return (await fileSize(file)) ?? 0;
    },
    async truncate(offset) {
      if (handle) {
        await handle.close();
        handle = undefined;
      }
      if (offset === 0) await m.fs.rm(file, { force: true });
      else await m.fs.truncate(file, offset);
    },
    async write(chunk) {
      handle ??= await m.fs.open(file, 'a');
      let off = 0;
      while (off < chunk.byteLength) {
        const { bytesWritten } = await handle.write(chunk, off, chunk.byteLength - off);
        off += bytesWritten;
      }
    },
    async close() {
      if (handle) {
        const h = handle;
        handle = undefined;
        await h.close();
      }
    },
  };
}

/** sha256 of a file, streamed, as lowercase hex. */
export async function sha256File(file: string): Promise<string> {
  const m = await nodeModules();
  const hash = m.crypto.createHash('sha256');
  for await (const chunk of m.fsSync.createReadStream(file, { highWaterMark: 1 << 20 })) hash.update(chunk as Uint8Array);
  return hash.digest('hex');
}

export async function readBytes(file: string): Promise<Uint8Array> {
  const m = await nodeModules();
  const buf = await m.fs.readFile(file);
  return new Uint8Array(buf.buffer, buf.byteOffset, buf.byteLength);
}

export async function removeFile(file: string): Promise<void> {
  const m = await nodeModules();
  await m.fs.rm(file, { force: true });
}

export async function renameFile(from: string, to: string): Promise<void> {
  const m = await nodeModules();
  await m.fs.rename(from, to);
}

export interface BlobLock {
  release(): Promise<void>;
}

/** How old a lock file may get before it counts as left behind by a dead process (its holder refreshes it). */
export const LOCK_STALE_MS = 30_000;

/**
 * A cross-process lock for one blob: `{cache}/.locks/{repo folder}/{etag}.lock` (huggingface_hub's place for it),
 * created with O_EXCL and touched every few seconds by its holder. A lock not touched for {@link LOCK_STALE_MS}
 * (its process died, or a Python process's filelock file left in place) is taken over. Waits while another live
 * process holds it.
 */
export async function lockBlob(p: CachePaths, etag: string, staleMs = LOCK_STALE_MS): Promise<BlobLock> {
  const m = await nodeModules();
  const dir = m.path.join(p.cacheDir, '.locks', m.path.basename(p.storage));
  const file = m.path.join(dir, `${etag}.lock`);
  await assertInsideCache(p, dir);
  await m.fs.mkdir(dir, { recursive: true });
  await assertInsideCache(p, file);
  for (;;) {
    try {
      const h = await m.fs.open(file, 'wx');
      await h.writeFile(`${process.pid}@${m.os.hostname()}\n`);
      await h.close();
      break;
    } catch (e) {
      if ((e as NodeJS.ErrnoException).code !== 'EEXIST') throw e;
    }
    const st = await m.fs.stat(file).catch(() => undefined);
    if (st && Date.now() - st.mtimeMs > staleMs) {
      // Re-check just before removing, so that a lock refreshed (or re-created) meanwhile is left alone.
      const again = await m.fs.stat(file).catch(() => undefined);
      if (again && again.ino === st.ino && again.mtimeMs === st.mtimeMs) await m.fs.rm(file, { force: true });
      continue;
    }
    await new Promise((r) => setTimeout(r, 50 + Math.random() * 100));
  }
  const touch = setInterval(
    () => {
      const now = new Date();
      m.fs.utimes(file, now, now).catch(() => {});
    },
    Math.max(50, staleMs / 4),
  );
  touch.unref?.();
  return {
    async release() {
      clearInterval(touch);
      await m.fs.rm(file, { force: true });
    },
  };
}
