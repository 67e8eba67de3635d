/**
 * @zoo/resnetv2 — timm's ResNet-V2 family: pre-activation ResNets (BiT with GroupNorm and weight-standardised
 * convs, the BatchNorm / GroupNorm / EvoNorm / FRN variants, ResNetV2-18/34 with basic blocks) and the
 * non-pre-activation backbone ViT hybrids build on. Importing this entry registers every architecture;
 * `@zoo/resnetv2/models` exports the classes without registering anything. Built only on `@zoo/core`'s public API.
 */
import { register } from './register.js';

register();

export { defaultCfgs } from './cfgs.js';
export { MODULES, register } from './register.js';
export * from './resnetv2.js';
