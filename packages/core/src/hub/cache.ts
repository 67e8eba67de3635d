/** A byte cache for environments without the huggingface_hub disk cache (browsers, workers, or by choice). */
export interface HubCache {
  get(key: string): Promise<Uint8Array | undefined>;
  put(key: string, bytes: Uint8Array): Promise<void>;
}

/** A {@link HubCache} over the Cache API (`caches.open(name)`), the browser default. */
export class CacheStorageHubCache implements HubCache {
  private cache: Promise<Cache> | undefined;

  constructor(readonly name = 'zoo-hub') {}

  private open(): Promise<Cache> {
    this.cache ??= (globalThis as { caches: CacheStorage }).caches.open(this.name);
    return this.cache;
  }

  async get(key: string): Promise<Uint8Array | undefined> {
    const res = await (await this.open()).match(key);
    if (!res) return undefined;
    return new Uint8Array(await res.arrayBuffer());
  }

  async put(key: string, bytes: Uint8Array): Promise<void> {
    const body = new Uint8Array(bytes); // a copy the Response owns
    await (await this.open()).put(
      key,
      new Response(body, { headers: { 'content-type': 'application/octet-stream', 'content-length': String(body.byteLength) } }),
    );
  }
}

/** An in-memory {@link HubCache} (tests, or a session-long cache). */
export class MemoryHubCache implements HubCache {
  readonly entries = new Map<string, Uint8Array>();
  async get(key: string): Promise<Uint8Array | undefined> {
    return this.entries.get(key);
  }
  async put(key: string, bytes: Uint8Array): Promise<void> {
    this.entries.set(key, bytes);
  }
}

/** The Cache API store when the runtime has one (`caches` global), else `undefined`. */
export function defaultHubCache(): HubCache | undefined {
  const c = (globalThis as { caches?: CacheStorage }).caches;
  return c && typeof c.open === 'function' ? new CacheStorageHubCache() : undefined;
}
