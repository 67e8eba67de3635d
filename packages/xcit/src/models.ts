/** The XCiT classes with no registration side effect. */
export * from './xcit.js';
