/**
 * @zoo/vit — timm's Vision Transformer family (ViT, DeiT, DeiT-III, CLIP / DINOv2 ViTs, …). Importing this entry
 * registers every architecture; `@zoo/vit/models` exports the classes without registering anything.
 */
import { register } from './register.js';

register();

export { MODULES, register } from './register.js';
export * from './vit.js';
export { defaultCfgs } from './cfgs.js';
