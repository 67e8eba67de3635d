/** The LeViT classes with no registration side effect. */
export * from './levit.js';
