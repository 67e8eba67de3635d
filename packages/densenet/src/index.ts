/**
 * @zoo/densenet — timm's DenseNet family. Importing this entry registers every architecture; `@zoo/densenet/models`
 * exports the classes without registering anything.
 */
import { register } from './register.js';

register();

export { MODULES, register } from './register.js';
export * from './densenet.js';
export { defaultCfgs } from './cfgs.js';
