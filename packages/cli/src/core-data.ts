/** The parts of @zoo/core's data module the CLI uses (classify, resolveDataConfig), typed for the CLI. */

import type { FeatureModel, VisionModel } from '@zoo/core';
import * as core from '@zoo/core';
import type { createNodeTransform, NodeImageInput } from '@zoo/core/node';

export type NodeTransform = ReturnType<typeof createNodeTransform>;
export type TransformConfig = Parameters<typeof createNodeTransform>[0];

export interface ClassPrediction {
  index: number;
  label: string;
  probability: number;
}

export interface CoreData {
  classify(
    model: VisionModel,
    images: NodeImageInput | readonly NodeImageInput[],
    options?: { topK?: number; transform?: NodeTransform; labels?: readonly string[] },
  ): Promise<ClassPrediction[][]>;
  resolveDataConfig(options: { model: VisionModel | FeatureModel }): TransformConfig;
}

/** The data helpers from `@zoo/core`'s public entry. */
export function coreData(): Promise<CoreData> {
  return Promise.resolve(core as unknown as CoreData);
}
