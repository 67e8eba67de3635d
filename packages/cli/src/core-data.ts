/**
 * The parts of @zoo/core's data module the CLI uses (classify, resolveDataConfig). Taken from the `@zoo/core` root
 * when it exports them; otherwise loaded from the data module beside the entry `@zoo/core` resolved to (src/*.ts
 * from source, dist/*.js when installed), so the CLI works either way.
 */
import * as core from '@zoo/core';
import type { FeatureModel, VisionModel } from '@zoo/core';
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

let cached: Promise<CoreData> | undefined;

export function coreData(): Promise<CoreData> {
  cached ??= (async () => {
    const root = core as unknown as Partial<CoreData>;
    if (typeof root.classify === 'function' && typeof root.resolveDataConfig === 'function') return root as CoreData;
    const entry = import.meta.resolve('@zoo/core');
    const ext = entry.endsWith('.ts') ? '.ts' : '.js';
    return (await import(new URL(`./data/index${ext}`, entry).href)) as CoreData;
  })();
  return cached;
}
