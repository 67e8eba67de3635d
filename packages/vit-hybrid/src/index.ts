/**
 * @zoo/vit-hybrid — timm's hybrid ViTs (`vision_transformer_hybrid`: R+ViT-Ti, R26+ViT-S/B, R50+ViT-B/L, ViT over
 * ResNet26D / ResNet50D, MobileCLIP's ViT-B over a conv stem). Each is @zoo/vit's VisionTransformer with core's
 * HybridEmbed over a backbone from @zoo/resnetv2 or @zoo/resnet, all reached through the registry. Importing this entry
 * registers every architecture (and the three peer families); `@zoo/vit-hybrid/models` exports the pieces without
 * registering anything.
 */
import { register } from './register.js';

register();

export { defaultCfgs } from './cfgs.js';
export { MODULES, register } from './register.js';
export * from './vit-hybrid.js';
