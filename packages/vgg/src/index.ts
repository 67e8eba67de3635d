/**
 * @zoo/vgg — timm's VGG family (VGG-11/13/16/19, plain and `_bn`). Importing this entry registers every
 * architecture; `@zoo/vgg/models` exports the classes without registering anything. Built only on `@zoo/core`'s
 * public API.
 */
import { register } from './register.js';

register();

export { defaultCfgs } from './cfgs.js';
export { MODULES, register } from './register.js';
export * from './vgg.js';
