/**
 * @zoo/rexnet — timm's ReXNet family (`rexnet_*` and the rounded-channel `rexnetr_*`). Importing this entry
 * registers every architecture; `@zoo/rexnet/models` exports the classes without registering anything. Built only on
 * `@zoo/core`'s public API.
 */
import { register } from './register.js';

register();

export { defaultCfgs } from './cfgs.js';
export { MODULES, register } from './register.js';
export * from './rexnet.js';
