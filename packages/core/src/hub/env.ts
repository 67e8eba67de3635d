/**
 * Environment access that works where `process` does not exist (browsers, workers): every read goes through
 * {@link getEnv}, which returns `undefined` there.
 */
export function getEnv(name: string): string | undefined {
  const proc = (globalThis as { process?: { env?: Record<string, string | undefined> } }).process;
  const value = proc?.env?.[name];
  return value === undefined || value === '' ? undefined : value;
}

/** True for `1`, `true`, `yes`, `on` (case-insensitive), as huggingface_hub's `_is_true`. */
export function envFlag(name: string): boolean {
  const v = getEnv(name);
  return v !== undefined && ['1', 'true', 'yes', 'on'].includes(v.trim().toLowerCase());
}

/** True when running under Node.js (or a runtime exposing `process.versions.node`, e.g. Bun, Deno's node compat). */
export function isNode(): boolean {
  const proc = (globalThis as { process?: { versions?: { node?: string } } }).process;
  return typeof proc?.versions?.node === 'string';
}

/** `HF_ENDPOINT` without a trailing slash, default `https://huggingface.co`. */
export function hubEndpoint(): string {
  return (getEnv('HF_ENDPOINT') ?? 'https://huggingface.co').replace(/\/+$/, '');
}

/** `HF_HUB_OFFLINE` (or the legacy `TRANSFORMERS_OFFLINE`) is set to a true value. */
export function hubOffline(): boolean {
  return envFlag('HF_HUB_OFFLINE') || envFlag('TRANSFORMERS_OFFLINE');
}

/** `HF_TOKEN`, else the legacy `HUGGING_FACE_HUB_TOKEN`. (The Node cache layer also reads `${HF_HOME}/token`.) */
export function envToken(): string | undefined {
  return getEnv('HF_TOKEN') ?? getEnv('HUGGING_FACE_HUB_TOKEN');
}

/** A positive number of seconds from an env var (as huggingface_hub's float constants), in ms; else the default. */
function envSecondsMs(name: string, defaultSeconds: number): number {
  const v = getEnv(name);
  const n = v === undefined ? Number.NaN : Number(v);
  return (Number.isFinite(n) && n > 0 ? n : defaultSeconds) * 1000;
}

/** `HF_HUB_ETAG_TIMEOUT` (seconds, default 10): how long the metadata HEAD may take, as huggingface_hub. */
export function etagTimeoutMs(): number {
  return envSecondsMs('HF_HUB_ETAG_TIMEOUT', 10);
}

/** `HF_HUB_DOWNLOAD_TIMEOUT` (seconds, default 10): how long a download may wait for its next bytes, as huggingface_hub. */
export function downloadTimeoutMs(): number {
  return envSecondsMs('HF_HUB_DOWNLOAD_TIMEOUT', 10);
}
