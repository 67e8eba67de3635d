/** The CspNet classes with no registration side effect. */
export * from './cspnet.js';
