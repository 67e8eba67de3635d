/**
 * @zoo/efficientvit — timm's EfficientViT from MIT (`efficientvit_b0`–`b3`, `efficientvit_l1`–`l3`): LiteMLA
 * (ReLU linear attention with multi-scale depthwise aggregation) after MBConv stages, and a head with hidden layers.
 * Importing this entry registers every architecture; `@zoo/efficientvit/models` exports the classes without
 * registering anything. Built only on `@zoo/core`'s public API (its `Lite*` layers).
 */
import { register } from './register.js';

register();

export { defaultCfgs } from './cfgs.js';
export * from './efficientvit.js';
export { MODULES, register } from './register.js';
