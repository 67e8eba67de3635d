/** The DenseNet classes with no registration side effect. */
export * from './densenet.js';
