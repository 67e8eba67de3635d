/**
 * @zoo/hrnet — timm's HRNet family (HRNet-W18-small … W64 and the SSLD-trained W18 / W48: parallel multi-resolution
 * branches with fusion, the incre classification head, and timm's own features class). Importing this entry
 * registers every architecture; `@zoo/hrnet/models` exports the classes without registering anything. Built only on
 * `@zoo/core`'s public API.
 */
import { register } from './register.js';

register();

export { defaultCfgs } from './cfgs.js';
export * from './hrnet.js';
export { createHrnet, MODULES, register } from './register.js';
