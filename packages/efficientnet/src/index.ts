/**
 * @zoo/efficientnet — timm's EfficientNet / MobileNet family (efficientnet.py and mobilenetv3.py). Importing this
 * entry registers every architecture; `@zoo/efficientnet/models` exports the classes without registering anything.
 */
import { register } from './register.js';

register();

export { register } from './register.js';
export { EFFICIENTNET_LEFT_OUT, EFFICIENTNET_MODULE, registerEfficientnet } from './register-efficientnet.js';
export { MOBILENETV3_LEFT_OUT, MOBILENETV3_MODULE, registerMobilenetv3 } from './register-mobilenetv3.js';
export * from './models.js';
export { defaultCfgs } from './cfgs.js';
