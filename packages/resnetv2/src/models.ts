/** The ResNetV2 classes with no registration side effect. */
export * from './resnetv2.js';
