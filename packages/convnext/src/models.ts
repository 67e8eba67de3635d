/** The ConvNeXt classes with no registration side effect. */
export * from './convnext.js';
