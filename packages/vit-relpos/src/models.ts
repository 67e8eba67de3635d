/** The relative-position ViT classes with no registration side effect. */
export * from './vit-relpos.js';
