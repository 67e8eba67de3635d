/**
 * zoo-plugin-example — a third-party model package for @zoo/core. Importing it registers `example_tinynet`
 * (module 'zoo_plugin_example') in @zoo/core's global registry, so `createModel('example_tinynet')` works.
 * `zoo-plugin-example/models` exports the class without registering anything.
 */
import { buildModelWithCfg, type CreateModelOptions, generateDefaultCfgs, registerModel } from '@zoo/core';
import { TinyNet, type TinyNetArgs } from './tinynet.js';

/** The registry module name of this package's architectures (shows up in `listModules()`). */
export const MODULE = 'zoo_plugin_example';

/** Pretrained cfgs, as timm's `default_cfgs`: one tag, no downloadable weights (load your own with `pretrainedCfgOverlay`). */
export const defaultCfgs = generateDefaultCfgs({
  'example_tinynet.untrained': {
    url: '',
    numClasses: 10,
    inputSize: [3, 32, 32],
    poolSize: [4, 4],
    cropPct: 1,
    interpolation: 'bilinear',
    mean: [0.5, 0.5, 0.5],
    std: [0.5, 0.5, 0.5],
    firstConv: 'stages.0.conv',
    classifier: 'fc',
    license: 'apache-2.0',
  },
});

/**
 * Registers TinyNet under `name` (default `example_tinynet`). Registering the same entry twice is a no-op; a name
 * some other package already registered (a built-in such as `resnet18`) is an error saying who owns it.
 */
export function registerTinyNet(name = 'example_tinynet', args: TinyNetArgs = {}): void {
  registerModel({
    name,
    module: MODULE,
    defaultCfg: defaultCfgs.example_tinynet,
    create: (kwargs: CreateModelOptions) =>
      buildModelWithCfg(TinyNet, name, { ...args, ...kwargs }, { featureCfg: { outIndices: [0, 1, 2], flattenSequential: true } }),
  });
}

registerTinyNet();

export { TinyNet, TinyStage, type TinyNetArgs } from './tinynet.js';
