/**
 * @zoo/repvit — timm's RepViT family (M0.9 … M2.3 and the legacy M1/M2/M3, with distillation heads). Importing this
 * entry registers every architecture; `@zoo/repvit/models` exports the classes without registering anything. Built
 * only on `@zoo/core`'s public API.
 */
import { register } from './register.js';

register();

export { defaultCfgs } from './cfgs.js';
export { MODULES, register } from './register.js';
export * from './repvit.js';
