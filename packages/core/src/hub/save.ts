/**
 * Saving a model in timm's hub format (timm's `save_for_hf` / `save_config_for_hf`): a folder with `config.json`
 * and `model.safetensors` that `createModel('local-dir:…')`, Python timm (`timm.create_model('local-dir:…')`) and,
 * once uploaded, `hf-hub:org/repo` all read back.
 */
import { camelToSnake, toTimmDict } from '../config/pretrained.js';
import { FeatureModel } from '../features/wrappers.js';
import type { VisionModel } from '../model.js';
import { writeSafetensors } from '../weights/safetensors.js';

export interface SaveModelOptions {
  /** Constructor kwargs needed to rebuild the model (camelCase), written as timm's `model_args` (snake_case). */
  modelArgs?: Record<string, unknown>;
  /** Label names (classifier index → name); default the model cfg's `labelNames`. */
  labelNames?: string[] | Record<string, string>;
  /** Label descriptions (name → description); default the model cfg's `labelDescriptions`. */
  labelDescriptions?: Record<string, string>;
}

/** The pretrained-cfg fields that say where weights come from; never written (timm's `remove_source=True`). */
const SOURCE_FIELDS = new Set(['url', 'file', 'hf_hub_id', 'hf_hub_filename', 'source', 'state_dict']);

function assertSavable(model: VisionModel | FeatureModel, who: string): asserts model is VisionModel {
  if (model instanceof FeatureModel) {
    throw new Error(
      `${who}: a feature extraction model (featuresOnly) cannot be saved in timm's hub format; ` +
        `save the base model instead (create it without featuresOnly) and rebuild the features from it.`,
    );
  }
}

/**
 * timm's `save_config_for_hf`: `architecture`, `num_classes`, `num_features`, `global_pool` (when the model keeps
 * it as a string), `label_names` / `label_descriptions`, `model_args`, and the pretrained cfg in timm's snake_case
 * without its source fields (url, file, hf_hub_id, …) or nulls (but pool_size, first_conv, classifier).
 */
export function hubConfig(model: VisionModel | FeatureModel, options: SaveModelOptions = {}): Record<string, unknown> {
  assertSavable(model, 'hubConfig');
  const cfg: Record<string, unknown> = {};
  for (const [k, v] of Object.entries(toTimmDict(model.pretrainedCfg ?? {}))) {
    if (!SOURCE_FIELDS.has(k)) cfg[k] = v;
  }
  const architecture = (cfg.architecture as string | undefined) || model.modelName;
  if (!architecture) throw new Error('hubConfig: the model has no architecture name (pretrainedCfg.architecture / modelName)');
  delete cfg.architecture;
  const out: Record<string, unknown> = { architecture, num_classes: model.numClasses, num_features: model.numFeatures };
  const pool = (model as unknown as { globalPool?: unknown }).globalPool;
  if (typeof pool === 'string' && pool) out.global_pool = pool;
  const labelNames = options.labelNames ?? (model.pretrainedCfg?.labelNames as string[] | undefined);
  if (labelNames && (Array.isArray(labelNames) ? labelNames.length : Object.keys(labelNames).length)) out.label_names = labelNames;
  const labelDescriptions = options.labelDescriptions ?? (model.pretrainedCfg?.labelDescriptions as Record<string, string> | undefined);
  if (labelDescriptions && Object.keys(labelDescriptions).length) out.label_descriptions = labelDescriptions;
  if (options.modelArgs && Object.keys(options.modelArgs).length) {
    out.model_args = Object.fromEntries(Object.entries(options.modelArgs).map(([k, v]) => [camelToSnake(k), v]));
  }
  out.pretrained_cfg = cfg;
  return out;
}

/** The bytes of the two files {@link saveModel} writes, for places without a file system (upload them yourself). */
export function hubFiles(model: VisionModel | FeatureModel, options: SaveModelOptions = {}): { 'config.json': Uint8Array; 'model.safetensors': Uint8Array } {
  assertSavable(model, 'hubFiles');
  const config = new TextEncoder().encode(`${JSON.stringify(hubConfig(model, options), null, 2)}\n`);
  const weights = writeSafetensors(model.stateDict(), { format: 'pt' });
  return { 'config.json': config, 'model.safetensors': weights };
}

/**
 * Writes `dir/config.json` and `dir/model.safetensors` (timm's key names and PyTorch layouts) as timm's `save_for_hf`
 * does (Node only; the folder is created). Load it back with `createModel('local-dir:' + dir, { pretrained: true })`.
 * A FeatureModel cannot be saved: save the base model.
 */
export async function saveModel(model: VisionModel | FeatureModel, dir: string, options: SaveModelOptions = {}): Promise<{ config: string; weights: string }> {
  assertSavable(model, 'saveModel');
  const files = hubFiles(model, options);
  const fs = await import('node:fs/promises');
  const path = await import('node:path');
  await fs.mkdir(dir, { recursive: true });
  const config = path.join(dir, 'config.json');
  const weights = path.join(dir, 'model.safetensors');
  await fs.writeFile(weights, files['model.safetensors']);
  await fs.writeFile(config, files['config.json']);
  return { config, weights };
}
