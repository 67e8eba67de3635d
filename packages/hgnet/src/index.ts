/**
 * @zoo/hgnet — timm's PP-HGNet family (HGNet tiny/small/base with ESE aggregation, HGNetV2 B0–B6 with learnable
 * affine blocks). Importing this entry registers every architecture; `@zoo/hgnet/models` exports the classes without
 * registering anything. Built only on `@zoo/core`'s public API.
 */
import { register } from './register.js';

register();

export { defaultCfgs } from './cfgs.js';
export * from './hgnet.js';
export { MODULES, register } from './register.js';
