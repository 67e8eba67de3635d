/**
 * `@zoo/train/node`: datasets read from the file system — timm's ImageFolder (images decoded with sharp) and
 * MNIST-style IDX files (Fashion-MNIST).
 */
export * from './data/idx.js';
export * from './data/image-folder.js';
