/**
 * @zoo/xception — timm's Xception family: the aligned Xception of `xception_aligned` (xception41/65/71 and the
 * pre-activation `p` variants) and the original Xception of `xception` (legacy_xception). Importing this entry
 * registers every architecture; `@zoo/xception/models` exports the classes without registering anything.
 */
import { register } from './register.js';

register();

export { MODULES, register } from './register.js';
export * from './xception-aligned.js';
export * from './xception-legacy.js';
export { defaultCfgs } from './cfgs.js';
