/** The ViT classes with no registration side effect. */
export * from './vit.js';
