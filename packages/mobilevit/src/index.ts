/**
 * @zoo/mobilevit — timm's MobileViT v1 (`mobilevit_xxs` / `_xs` / `_s`: ViT blocks over unfolded patches) and v2
 * (`mobilevitv2_050` … `_200`: separable linear attention with GroupNorm1), each a `ByoModelCfg` row of core's block
 * language. Importing this entry registers every architecture; `@zoo/mobilevit/models` exports the class without
 * registering anything. Built only on `@zoo/core`'s public API.
 */
import { register } from './register.js';

register();

export { defaultCfgs } from './cfgs.js';
export * from './mobilevit.js';
export { MODULES, register } from './register.js';
