/**
 * @zoo/metaformer — timm's metaformer module: PoolFormer v1 / v2, ConvFormer and CAFormer. Importing this entry
 * registers every architecture; `@zoo/metaformer/models` exports the classes without registering anything. Built
 * only on `@zoo/core`'s public API.
 */
import { register } from './register.js';

register();

export { defaultCfgs } from './cfgs.js';
export * from './metaformer.js';
export { MODULES, register } from './register.js';
