/**
 * @zoo/cspnet — timm's CSPNet family (CSPResNet/ResNeXt, CSPDarkNet, DarkNet, CS3-DarkNet/EdgeNet). Importing this
 * entry registers every architecture; `@zoo/cspnet/models` exports the classes without registering anything.
 */
import { register } from './register.js';

register();

export { MODULES, register } from './register.js';
export * from './cspnet.js';
export { defaultCfgs } from './cfgs.js';
