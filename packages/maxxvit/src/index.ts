/**
 * @zoo/maxxvit — timm's maxxvit module: CoAtNet (conv + transformer stages), MaxViT (MBConv + block / grid partition
 * attention), MaxxViT (ConvNeXt conv blocks) and their `rw`, `tf` (TensorFlow ports, SAME padding) and `rmlp` (MLP
 * position bias) variants. Importing this entry registers every architecture; `@zoo/maxxvit/models` exports the
 * classes without registering anything. Built only on `@zoo/core`'s public API.
 */
import { register } from './register.js';

register();

export { defaultCfgs } from './cfgs.js';
export * from './maxxvit.js';
export { MODULES, register } from './register.js';
