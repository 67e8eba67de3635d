/** The EfficientNet / MobileNet classes, blocks and builder with no registration side effect. */
export * from './blocks.js';
export * from './builder.js';
export * from './efficientnet.js';
export * from './layers.js';
export * from './mobilenetv3.js';
