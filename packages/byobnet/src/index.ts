/**
 * @zoo/byobnet — timm's Bring-Your-Own-Blocks networks: GerNet, RepVGG, MobileOne, RegNetZ, ResNet-Q / -TS (with
 * GC / SE / ECA / BAT attention) and OpenAI CLIP's ResNets, each a `ByoModelCfg` row of core's block language.
 * Importing this entry registers every architecture; `@zoo/byobnet/models` exports the classes without registering
 * anything. Built only on `@zoo/core`'s public API.
 */
import { register } from './register.js';

register();

export * from './byobnet.js';
export { defaultCfgs } from './cfgs.js';
export { MODULES, register } from './register.js';
