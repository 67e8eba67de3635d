/**
 * @zoo/eva — timm's `eva` module: EVA, EVA-02 (rotary embeddings, SwiGLU, scale norms), the RoPE ViTs (cat and mixed
 * rope), DINOv3 ViTs and Meta's Perception Encoder ViTs. Importing this entry registers every architecture;
 * `@zoo/eva/models` exports the classes without registering anything. Built only on `@zoo/core`'s public API.
 */
import { register } from './register.js';

register();

export { defaultCfgs } from './cfgs.js';
export * from './eva.js';
export { MODULES, register } from './register.js';
