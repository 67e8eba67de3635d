/** The NFNet classes with no registration side effect. */
export * from './nfnet.js';
