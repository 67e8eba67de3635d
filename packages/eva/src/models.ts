/** The EVA classes with no registration side effect. */
export * from './eva.js';
