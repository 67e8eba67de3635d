/**
 * Every failure of the hub layer. `status` is the HTTP status when there was one (401, 403, 404, 5xx), else 0.
 * Messages name the repo, the file, the URL and the way out.
 */
export class HubError extends Error {
  override name = 'HubError';
  readonly status: number;
  readonly repoId: string | undefined;
  readonly filename: string | undefined;
  readonly url: string | undefined;
  /** `X-Error-Code` from the hub when present (`RepoNotFound`, `EntryNotFound`, `RevisionNotFound`, `GatedRepo`). */
  readonly code: string | undefined;

  constructor(
    message: string,
    init: { status?: number; repoId?: string; filename?: string; url?: string; code?: string; cause?: unknown } = {},
  ) {
    super(message, init.cause === undefined ? undefined : { cause: init.cause });
    this.status = init.status ?? 0;
    this.repoId = init.repoId;
    this.filename = init.filename;
    this.url = init.url;
    this.code = init.code;
  }
}

export interface HttpErrorContext {
  repoId: string;
  filename: string;
  revision: string;
  url: string;
  hadToken: boolean;
}

/** Builds the HubError for a non-success HTTP answer, with the hub's own error code/message where it sent one. */
export function httpError(status: number, headers: Headers | undefined, ctx: HttpErrorContext): HubError {
  const code = headers?.get('x-error-code') ?? undefined;
  const hubMsg = headers?.get('x-error-message');
  const what = `'${ctx.filename}' of repo '${ctx.repoId}' (revision '${ctx.revision}') at ${ctx.url}`;
  const extra = hubMsg ? ` Hub says: ${hubMsg}` : '';
  let msg: string;
  if (status === 401 || status === 403) {
    if (code === 'GatedRepo' || status === 403) {
      msg = ctx.hadToken
        ? `Access to ${what} was refused (HTTP ${status}): the repo is gated or private and the token given does not grant access. Accept the model's terms on its hub page with the account that owns the token, or use a token with read access.`
        : `Access to ${what} was refused (HTTP ${status}): the repo is gated or private. Log in on the hub, accept its terms, and set HF_TOKEN (or pass { token }) to a read token.`;
    } else {
      msg = ctx.hadToken
        ? `Unauthorized fetching ${what} (HTTP 401): the token was rejected or has no access. The repo may be private, gated, or may not exist; check the repo id and the token (HF_TOKEN or { token }).`
        : `Unauthorized fetching ${what} (HTTP 401): the repo is private or gated, or does not exist. Check the repo id; for a private or gated repo set HF_TOKEN (or pass { token }) to a read token.`;
    }
  } else if (status === 404) {
    if (code === 'RepoNotFound') msg = `Repo '${ctx.repoId}' not found (HTTP 404) while fetching ${what}. Check the repo id.`;
    else if (code === 'RevisionNotFound') msg = `Revision '${ctx.revision}' not found in repo '${ctx.repoId}' (HTTP 404) while fetching ${what}. Check the branch, tag or commit.`;
    else msg = `File not found in repo: ${what} does not exist (HTTP 404). Check the file name and revision.`;
  } else if (status === 416) {
    msg = `Range not satisfiable (HTTP 416) fetching ${what}.`;
  } else if (status >= 500) {
    msg = `Server error HTTP ${status} fetching ${what}; retries exhausted. Try again later or set HF_ENDPOINT to a mirror.`;
  } else {
    msg = `Unexpected HTTP ${status} fetching ${what}.`;
  }
  return new HubError(msg + extra, { status, repoId: ctx.repoId, filename: ctx.filename, url: ctx.url, code });
}
