// Every architecture of timm's densenet.py: each is its arguments and one call, as in timm.
import { buildModelWithCfg, type CreateModelOptions, registerModel, registerModelDeprecations } from '@zoo/core';
import { defaultCfgs } from './cfgs.js';
import { DenseNet, type DenseNetArgs, filterTorchvisionPretrained } from './densenet.js';

/** timm's module name for these architectures. */
export const MODULE = 'densenet';

const densenet = (name: string, args: DenseNetArgs) =>
  registerModel({
    name,
    module: MODULE,
    defaultCfg: defaultCfgs[name],
    create: (kwargs: CreateModelOptions) =>
      buildModelWithCfg(DenseNet, name, { ...args, ...kwargs }, {
        featureCfg: { flattenSequential: true },
        pretrainedFilterFn: (sd) => filterTorchvisionPretrained(sd),
      }),
  });

/** Registers every DenseNet architecture (idempotent: calling it again is a no-op). */
export function register(): void {
  densenet('densenet121', { growthRate: 32, blockConfig: [6, 12, 24, 16] });
  densenet('densenetblur121d', { growthRate: 32, blockConfig: [6, 12, 24, 16], stemType: 'deep', aaLayer: 'blurpool' });
  densenet('densenet169', { growthRate: 32, blockConfig: [6, 12, 32, 32] });
  densenet('densenet201', { growthRate: 32, blockConfig: [6, 12, 48, 32] });
  densenet('densenet161', { growthRate: 48, blockConfig: [6, 12, 36, 24] });
  densenet('densenet264d', { growthRate: 48, blockConfig: [6, 12, 64, 48], stemType: 'deep' });

  registerModelDeprecations(MODULE, {
    tv_densenet121: 'densenet121.tv_in1k',
  });
}
