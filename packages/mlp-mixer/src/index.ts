/**
 * @zoo/mlp-mixer — timm's mlp_mixer module: MLP-Mixer, ResMLP, gMLP and the GLU mixers. Importing this entry
 * registers every architecture; `@zoo/mlp-mixer/models` exports the classes without registering anything. Built only
 * on `@zoo/core`'s public API.
 */
import { register } from './register.js';

register();

export { defaultCfgs } from './cfgs.js';
export * from './mlp-mixer.js';
export { MODULES, register } from './register.js';
