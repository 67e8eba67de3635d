/** The BEiT classes with no registration side effect. */
export * from './beit.js';
