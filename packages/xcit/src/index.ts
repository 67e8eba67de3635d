/**
 * @zoo/xcit — timm's Cross-Covariance Image Transformer (XCiT: cross-covariance attention over channels, local patch
 * interaction, a conv-BN patch stem, Fourier position encoding, class-attention blocks). Importing this entry registers
 * every architecture; `@zoo/xcit/models` exports the classes without registering anything. Built only on `@zoo/core`'s
 * public API.
 */
import { register } from './register.js';

register();

export { defaultCfgs } from './cfgs.js';
export { MODULES, register } from './register.js';
export * from './xcit.js';
