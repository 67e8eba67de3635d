export { CacheStorageHubCache, defaultHubCache, type HubCache, MemoryHubCache } from './cache.js';
export {
  downloadHubFile,
  fetchHubFileBytes,
  type HubDownloadOptions,
  type HubFetchOptions,
  hubFileExists,
} from './download.js';
export { envFlag, getEnv, hubEndpoint, hubOffline, isNode } from './env.js';
export { HubError } from './errors.js';
export type { HubFileMetadata, HubProgress, HubProgressCallback, HubRetryCallback, HubRetryInfo } from './http.js';
export {
  DEFAULT_REVISION,
  hubFileUrl,
  isCommitHash,
  normalizeEtag,
  parseHubRepoId,
  repoFolderName,
} from './url.js';
