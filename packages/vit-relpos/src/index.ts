/**
 * @zoo/vit-relpos — timm's relative-position ViT family (`vision_transformer_relpos`: ViT without absolute position
 * embedding, attention biased by core's RelPosMlp per block or shared). Importing this entry registers every
 * architecture; `@zoo/vit-relpos/models` exports the classes without registering anything. Built only on `@zoo/core`'s
 * public API.
 */
import { register } from './register.js';

register();

export { defaultCfgs } from './cfgs.js';
export { MODULES, register } from './register.js';
export * from './vit-relpos.js';
