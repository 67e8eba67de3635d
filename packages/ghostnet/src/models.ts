/** The GhostNet classes with no registration side effect. */
export * from './ghostnet.js';
