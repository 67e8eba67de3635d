/** The Swin classes with no registration side effect. */
export * from './swin.js';
