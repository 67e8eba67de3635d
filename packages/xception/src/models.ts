/** The Xception classes with no registration side effect. */
export * from './xception-aligned.js';
export * from './xception-legacy.js';
