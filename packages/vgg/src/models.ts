/** The VGG classes with no registration side effect. */
export * from './vgg.js';
