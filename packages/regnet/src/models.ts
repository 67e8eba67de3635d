/** The RegNet classes with no registration side effect. */
export * from './regnet.js';
