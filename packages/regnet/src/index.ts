/**
 * @zoo/regnet — timm's RegNet family (RegNet-X, -Y, -Z, and the pre-activation RegNet-V). Importing this entry
 * registers every architecture; `@zoo/regnet/models` exports the classes without registering anything. Built only on
 * `@zoo/core`'s public API.
 */
import { register } from './register.js';

register();

export { defaultCfgs } from './cfgs.js';
export { MODULES, register } from './register.js';
export * from './regnet.js';
