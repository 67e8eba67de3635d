/**
 * @zoo/convnext — timm's ConvNeXt family (V1 and V2, atto … xxlarge, `_ols`, `_rms`, `_hnf`). Importing this entry
 * registers every architecture; `@zoo/convnext/models` exports the classes without registering anything.
 * Built only on `@zoo/core`'s public API.
 */
import { register } from './register.js';

register();

export { MODULES, register } from './register.js';
export * from './convnext.js';
export { defaultCfgs } from './cfgs.js';
