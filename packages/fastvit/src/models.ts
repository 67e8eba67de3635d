/** The FastViT classes with no registration side effect. */
export * from './fastvit.js';
