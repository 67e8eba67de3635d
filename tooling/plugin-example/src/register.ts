// Registration: the arch table and cfgs, and how an architecture is built (timm's `build_model_with_cfg` options).
import { type BuildOptions, registerFamily } from '@zoo/core';
import { archs } from './archs.js';
import { defaultCfgs } from './cfgs.js';
import { TinyNet, type TinyNetArgs } from './tinynet.js';

/** The registry module name of this package's architectures (shows up in `listModules()`). */
const MODULE = 'zoo_plugin_example';

/** The registry modules this package registers (every family exports `MODULES`, `register` and `defaultCfgs`). */
export const MODULES = [MODULE] as const;

const build: BuildOptions = { featureCfg: { outIndices: [0, 1, 2], flattenSequential: true } };

/** Registers every architecture of the arch table (idempotent: calling it again is a no-op). */
export function register(): void {
  registerFamily({ module: MODULE, archs, cfgs: defaultCfgs, model: TinyNet, build });
}

/**
 * Registers TinyNet under another name with other arguments. A name some other package already registered (a
 * built-in such as `resnet18`) is an error saying who owns it.
 */
export function registerTinyNet(name: string, args: TinyNetArgs = {}): void {
  registerFamily({ module: MODULE, archs: { [name]: args }, cfgs: { [name]: defaultCfgs.example_tinynet! }, model: TinyNet, build });
}
