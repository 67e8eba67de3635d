/** The DLA classes with no registration side effect. */
export * from './dla.js';
