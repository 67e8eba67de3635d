/**
 * @zoo/fastvit — timm's FastViT (Apple's re-parameterisable hybrid: MobileOne stem, RepMixer and attention stages,
 * large-kernel patch embeds, conditional positional encodings) and MobileCLIP's MCi image towers (`fastvit_mci*`).
 * Importing this entry registers every architecture; `@zoo/fastvit/models` exports the classes without registering
 * anything. Built only on `@zoo/core`'s public API.
 */
import { register } from './register.js';

register();

export { defaultCfgs } from './cfgs.js';
export * from './fastvit.js';
export { MODULES, register } from './register.js';
