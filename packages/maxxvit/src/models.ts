/** The MaxxVit classes with no registration side effect. */
export * from './maxxvit.js';
