/**
 * @zoo/core as Node resolves it (the `node` export condition): everything of the browser-safe entry, with
 * `classify` and `createTransform` that also take file paths and encoded image bytes (decoded with the optional
 * peer `sharp`, loaded on first use).
 */
export * from './index.js';
export { classify, createTransform, type NodeImageInput } from './node/data.js';
