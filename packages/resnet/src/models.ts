/** The ResNet classes with no registration side effect. */
export * from './resnet.js';
