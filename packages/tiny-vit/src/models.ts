/** The TinyViT classes with no registration side effect. */
export * from './tiny-vit.js';
