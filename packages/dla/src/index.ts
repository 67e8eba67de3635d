/**
 * @zoo/dla — timm's DLA family (DLA-34 … DLA-169, DLA-X, Res2Net / Res2NeXt DLA). Importing this entry registers
 * every architecture; `@zoo/dla/models` exports the classes without registering anything. Built only on
 * `@zoo/core`'s public API.
 */
import { register } from './register.js';

register();

export { defaultCfgs } from './cfgs.js';
export * from './dla.js';
export { MODULES, register } from './register.js';
