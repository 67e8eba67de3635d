/**
 * @zoo/swin — timm's Swin Transformer family: Swin V1 (shifted-window attention with relative position bias tables,
 * including the AutoFormerV2 "S3" models) and Swin-V2 (scaled cosine attention, continuous position bias). Importing
 * this entry registers every architecture; `@zoo/swin/models` exports the classes without registering anything.
 * Built only on `@zoo/core`'s public API.
 */
import { register } from './register.js';

register();

export { defaultCfgs } from './cfgs.js';
export { MODULES, register } from './register.js';
export * from './swin.js';
