/** The Hiera classes with no registration side effect. */
export * from './hiera.js';
