/** The Inception classes with no registration side effect. */
export * from './inception-v3.js';
