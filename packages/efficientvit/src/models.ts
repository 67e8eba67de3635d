/** The EfficientViT (MIT) classes with no registration side effect. */
export * from './efficientvit.js';
