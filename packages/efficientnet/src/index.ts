/**
 * @zoo/efficientnet — timm's EfficientNet / MobileNet family (efficientnet.py and mobilenetv3.py). Importing this
 * entry registers every architecture; `@zoo/efficientnet/models` exports the classes without registering anything.
 */
import { register } from './register.js';

register();

export { MODULES, register } from './register.js';
export * from './models.js';
export { defaultCfgs } from './cfgs.js';
