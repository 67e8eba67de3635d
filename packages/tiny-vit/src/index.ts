/**
 * @zoo/tiny-vit — timm's TinyViT: a ConvNorm patch embed and an MBConv stage, then stages of windowed attention with
 * biases looked up by position offset (maps padded up to whole windows), a depthwise local conv and an MLP per block,
 * and the pool → LayerNorm → fc head. Importing this entry registers every architecture; `@zoo/tiny-vit/models`
 * exports the classes without registering anything. Built only on `@zoo/core`'s public API.
 */
import { register } from './register.js';

register();

export { defaultCfgs } from './cfgs.js';
export { MODULES, register } from './register.js';
export * from './tiny-vit.js';
