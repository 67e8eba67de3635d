/**
 * zoo-plugin-example — a third-party model package for @zoo/core. Importing it registers `example_tinynet`
 * (module 'zoo_plugin_example') in @zoo/core's global registry, so `createModel('example_tinynet')` works.
 * `zoo-plugin-example/models` exports the class without registering anything.
 */
import { register } from './register.js';

register();

export { archs } from './archs.js';
export { defaultCfgs } from './cfgs.js';
export { MODULES, register, registerTinyNet } from './register.js';
export { TinyNet, type TinyNetArgs, TinyStage } from './tinynet.js';
