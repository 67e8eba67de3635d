/** The RepViT classes with no registration side effect. */
export * from './repvit.js';
