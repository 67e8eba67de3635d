/** The ReXNet classes with no registration side effect. */
export * from './rexnet.js';
