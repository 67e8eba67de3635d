/**
 * @zoo/core — timm for TypeScript on TensorFlow.js: the Module base, the registry, pretrained configs, createModel,
 * weight loading, feature extraction and the shared layers every family builds on.
 */
export { type BackendInfo, type BackendName, ensureBackend, type SetBackendOptions, setBackend } from './backend.js';
export * from './config/pretrained.js';
export * from './data/index.js';
export * from './errors.js';
export * from './factory/build.js';
export * from './factory/create.js';
export { checkOptionValues, MAX_IMG_SIZE, ModelOptionError } from './factory/options.js';
export * from './factory/pretrained.js';
export * from './factory/prune.js';
export * from './features/feature-info.js';
export * from './features/wrappers.js';
export * from './freeze.js';
export * from './group-matcher.js';
export * from './hub/index.js';
export * from './hub/save.js';
export * from './layers/index.js';
export * from './model.js';
export * from './module.js';
export { familyPackages, type ModelPackage, modelPackage } from './registry/families.js';
export * from './registry/family.js';
export * from './registry/registry.js';
export * from './weights/checkpoint.js';
export { readSafetensors, SafetensorsError, type SafetensorsFile, type SafetensorsReadOptions, writeSafetensors } from './weights/safetensors.js';
export { openSafetensorsStream } from './weights/stream.js';
export * from './weights/types.js';
