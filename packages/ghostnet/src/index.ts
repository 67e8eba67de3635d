/**
 * @zoo/ghostnet — timm's GhostNet family (GhostNet V1, V2 with DFC attention, V3 with its training-time
 * re-parameterisable branches). Importing this entry registers every architecture; `@zoo/ghostnet/models` exports
 * the classes without registering anything. Built only on `@zoo/core`'s public API.
 */
import { register } from './register.js';

register();

export { defaultCfgs } from './cfgs.js';
export * from './ghostnet.js';
export { checkpointFilterFn, MODULES, register } from './register.js';
