/** The HRNet classes with no registration side effect. */
export * from './hrnet.js';
