import { hubEndpoint } from './env.js';
import { HubError } from './errors.js';

/** A 40-hex git commit id, as huggingface_hub's `REGEX_COMMIT_HASH`. */
export const COMMIT_HASH_RE = /^[0-9a-f]{40}$/;
/** A 64-hex sha256: the etag the hub reports for LFS files (`X-Linked-Etag`). */
export const SHA256_RE = /^[0-9a-f]{64}$/;

export const DEFAULT_REVISION = 'main';

export function isCommitHash(revision: string): boolean {
  return COMMIT_HASH_RE.test(revision);
}

/** Checks a repo id the way the hub accepts them: `name` or `org/name`, no empty parts, no `..`. */
export function validateRepoId(repoId: string): void {
  const parts = repoId.split('/');
  const ok =
    parts.length >= 1 &&
    parts.length <= 2 &&
    parts.every((p) => /^[A-Za-z0-9][A-Za-z0-9._-]*$/.test(p) && !p.includes('..') && !p.includes('--') && !p.endsWith('.'));
  if (!ok) {
    throw new HubError(`Invalid repo id '${repoId}': expected 'name' or 'org/name' (letters, digits, '-', '_', '.'; no '--' or '..').`, { repoId });
  }
}

/** Rejects file names that would escape the snapshot folder. */
export function validateFilename(repoId: string, filename: string): void {
  const parts = filename.split('/');
  if (!filename || filename.startsWith('/') || filename.includes('\\') || parts.some((p) => p === '' || p === '.' || p === '..')) {
    throw new HubError(`Invalid file name '${filename}' for repo '${repoId}': must be a relative path without '.', '..' or empty parts.`, { repoId, filename });
  }
}

/**
 * `${HF_ENDPOINT}/{repo}/resolve/{revision}/{file}` as huggingface_hub's `hf_hub_url`: the revision is
 * URL-encoded as one segment (so `refs/pr/1` becomes `refs%2Fpr%2F1`), the file's path segments are encoded one by one.
 */
export function hubFileUrl(repoId: string, filename: string, revision: string = DEFAULT_REVISION, endpoint?: string): string {
  const base = (endpoint ?? hubEndpoint()).replace(/\/+$/, '');
  const file = filename.split('/').map(encodeURIComponent).join('/');
  return `${base}/${repoId}/resolve/${encodeURIComponent(revision)}/${file}`;
}

/**
 * Splits `'org/repo@rev'` (timm's `hf-hub:org/repo@rev` form, with or without the `hf-hub:` prefix) into repo id and
 * revision; the revision is `undefined` when none is given.
 */
export function parseHubRepoId(spec: string): { repoId: string; revision: string | undefined } {
  let s = spec.trim();
  if (s.startsWith('hf-hub:')) s = s.slice('hf-hub:'.length);
  else if (s.startsWith('hf_hub:')) s = s.slice('hf_hub:'.length);
  const at = s.indexOf('@');
  const repoId = at >= 0 ? s.slice(0, at) : s;
  const revision = at >= 0 ? s.slice(at + 1) : undefined;
  if (revision !== undefined && revision === '') {
    throw new HubError(`Invalid hub id '${spec}': empty revision after '@'.`, { repoId });
  }
  validateRepoId(repoId);
  return { repoId, revision };
}

/** huggingface_hub's `repo_folder_name`: `models--{org}--{name}`. */
export function repoFolderName(repoId: string, repoType = 'model'): string {
  return [`${repoType}s`, ...repoId.split('/')].join('--');
}

/** huggingface_hub's `_normalize_etag`: drops a weak `W/` prefix and the surrounding quotes. */
export function normalizeEtag(etag: string | null | undefined): string | undefined {
  if (etag == null) return undefined;
  let e = etag.trim();
  if (e.startsWith('W/')) e = e.slice(2);
  e = e.replace(/^"+|"+$/g, '');
  return e || undefined;
}
