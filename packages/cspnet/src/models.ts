/** The CspNet classes and cfg tables with no registration side effect. */
export * from './cspnet.js';
export { cs3Cfg, MODEL_CFGS } from './model-cfgs.js';
