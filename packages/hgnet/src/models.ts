/** The HGNet classes with no registration side effect. */
export * from './hgnet.js';
