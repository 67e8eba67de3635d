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
