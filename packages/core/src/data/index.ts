/** Data: config resolution, timm's eval transform (PIL-exact resize/crop), ImageNet class names. Browser-safe. */
export * from './browser.js';
export * from './config.js';
export * from './crop.js';
export * from './image.js';
export * from './imagenet.js';
export * from './resize.js';
export * from './transforms.js';
export * from './classify.js';
