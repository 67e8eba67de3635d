/** The raw references the bench knows, by model name. */
import type { StateDict } from '@zoo/core';
import { buildRawEfficientNet } from './raw-efficientnet.js';
import { buildRawResNet, type RawModel } from './raw-resnet.js';
import { buildRawVit } from './raw-vit.js';

const BUILDERS: Record<string, (sd: StateDict) => RawModel> = {
  resnet50: (sd) => buildRawResNet(sd, [3, 4, 6, 3]),
  efficientnet_b0: (sd) => buildRawEfficientNet(sd),
  vit_small_patch16_224: (sd) => buildRawVit(sd, 6),
};

export const hasRaw = (model: string): boolean => model in BUILDERS;

export function buildRaw(model: string, sd: StateDict): RawModel {
  const b = BUILDERS[model];
  if (!b) throw new Error(`no raw reference for ${model}`);
  return b(sd);
}
