/**
 * @zoo/beit — timm's BEiT family (BEiT v1 and v2: relative position bias tables, q/v biases, layer-scale gammas).
 * Importing this entry registers every architecture; `@zoo/beit/models` exports the classes without registering
 * anything. Built only on `@zoo/core`'s public API.
 */
import { register } from './register.js';

register();

export * from './beit.js';
export { defaultCfgs } from './cfgs.js';
export { MODULES, register } from './register.js';
