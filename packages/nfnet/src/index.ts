/**
 * @zoo/nfnet — timm's Normalization-Free networks (NFNet-F, DeepMind-compatible dm_nfnet-F, NFNet-L / ECA-NFNet-L,
 * NF-RegNet-B, NF-ResNet / SE / ECA). Importing this entry registers every architecture; `@zoo/nfnet/models` exports
 * the classes without registering anything. Built only on `@zoo/core`'s public API.
 */
import { register } from './register.js';

register();

export { defaultCfgs } from './cfgs.js';
export * from './nfnet.js';
export { MODULES, register } from './register.js';
