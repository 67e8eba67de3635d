/**
 * @zoo/pvt — timm's Pyramid Vision Transformer V2 (PVT-v2: spatial-reduction attention, overlapping patch embeds,
 * depthwise-conv MLPs, and the linear-attention `_li` variant). Importing this entry registers every architecture;
 * `@zoo/pvt/models` exports the classes without registering anything. Built only on `@zoo/core`'s public API.
 */
import { register } from './register.js';

register();

export { defaultCfgs } from './cfgs.js';
export * from './pvt-v2.js';
export { MODULES, register } from './register.js';
