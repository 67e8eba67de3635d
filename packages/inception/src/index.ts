/**
 * @zoo/inception — timm's Inception family (Inception-v3 with its torchvision, TF-slim, adversarially trained and
 * Gluon weights). Importing this entry registers every architecture; `@zoo/inception/models` exports the classes
 * without registering anything. Built only on `@zoo/core`'s public API.
 */
import { register } from './register.js';

register();

export { defaultCfgs } from './cfgs.js';
export * from './inception-v3.js';
export { MODULES, register } from './register.js';
