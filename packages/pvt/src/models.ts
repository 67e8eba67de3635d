/** The PVT-v2 classes with no registration side effect. */
export * from './pvt-v2.js';
