/** The hybrid ViT pieces (conv stem, backbone specs, the model factory) with no registration side effect. */
export * from './vit-hybrid.js';
