/**
 * @zoo/levit — timm's LeViT (`levit_*` over tokens and `levit_conv_*` over maps): attention biases looked up by
 * position offsets, BatchNorm'd linears (folded for inference), subsampling attention between stages and the
 * distillation head averaged with the classifier at inference. Importing this entry registers every architecture;
 * `@zoo/levit/models` exports the classes without registering anything. Built only on `@zoo/core`'s public API.
 */
import { register } from './register.js';

register();

export { defaultCfgs } from './cfgs.js';
export * from './levit.js';
export { MODULES, register } from './register.js';
