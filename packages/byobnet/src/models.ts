/** The ByobNet class with no registration side effect. */
export * from './byobnet.js';
