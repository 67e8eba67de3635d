// timm's resnet.py as data: the generated arch table, cfgs and pruned definitions, and how timm's `_create_resnet`
// builds them.
import { registerFamily } from '@zoo/core';
import { archs, deprecations } from './archs.js';
import { defaultCfgs } from './cfgs.js';
import { PRUNED } from './pruned.js';
import { ResNet } from './resnet.js';

/** timm's modules whose architectures this package registers. */
export const MODULES = ['resnet'] as const;

/** Registers every ResNet architecture (idempotent: calling it again is a no-op). */
export function register(): void {
  registerFamily({
    module: 'resnet',
    archs,
    cfgs: defaultCfgs,
    model: ResNet,
    build: (name) => ({ prunedDefinition: PRUNED[name] }),
    deprecations,
  });
}
