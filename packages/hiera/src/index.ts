/**
 * @zoo/hiera — timm's Hiera (a hierarchical vision transformer without the bells and whistles: mask-unit attention
 * over unrolled tokens, q-pooling between stages, the absolute-window position embedding of the `_abswin_` models).
 * Importing this entry registers every architecture; `@zoo/hiera/models` exports the classes without registering
 * anything. Built only on `@zoo/core`'s public API.
 */
import { register } from './register.js';

register();

export { defaultCfgs } from './cfgs.js';
export * from './hiera.js';
export { MODULES, register } from './register.js';
