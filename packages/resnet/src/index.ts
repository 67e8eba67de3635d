/**
 * @zoo/resnet — timm's ResNet family. Importing this entry registers every architecture; `@zoo/resnet/models`
 * exports the classes without registering anything.
 */
import { register } from './register.js';

register();

export { MODULES, register } from './register.js';
export * from './resnet.js';
export { defaultCfgs } from './cfgs.js';
