import type * as tf from '@tensorflow/tfjs-core';
import { fromTimmDict, type PretrainedCfg } from '../config/pretrained.js';
import type { FeatureModel } from '../features/wrappers.js';
import type { VisionModel } from '../model.js';
import { getArchName, isModel, modelEntrypoint, splitModelNameTag, unknownModelError } from '../registry/registry.js';
import { ensureBackend } from '../backend.js';
import { type CreateModelOptions, loadCheckpoint } from './build.js';
import { checkOptionValues } from './options.js';

export type ModelSource = 'hf-hub' | 'local-dir';

const SOURCE_PREFIX = /^[a-zA-Z][a-zA-Z0-9+.\-_]+$/;
const SOURCE_ALIASES: Record<string, ModelSource> = { hf_hub: 'hf-hub', 'hf-hub': 'hf-hub', 'local-dir': 'local-dir' };

/**
 * timm's `parse_model_name`: `'hf-hub:org/repo'` → ['hf-hub', 'org/repo'], `'local-dir:/path'` → ['local-dir', '/path'],
 * a registry name → [null, name]. A bare name that looks like a repo id or path is an error saying which prefix to use.
 */
export function parseModelName(modelName: string): [ModelSource | null, string] {
  const i = modelName.indexOf(':');
  const prefix = i < 0 ? '' : modelName.slice(0, i);
  if (i < 0 || !SOURCE_PREFIX.test(prefix)) {
    if (/[/\\:]/.test(modelName)) {
      throw new Error(
        `Model name '${modelName}' has no source prefix but looks like a Hugging Face Hub repo id or a local path. ` +
          `Use 'hf-hub:${modelName}' to load from the Hub or 'local-dir:${modelName}' to load from a local folder.`,
      );
    }
    return [null, modelName];
  }
  const source = SOURCE_ALIASES[prefix.toLowerCase()];
  if (!source) throw new Error(`Unknown model source '${prefix.toLowerCase()}' in model name '${modelName}', valid sources: hf-hub, local-dir.`);
  const id = modelName.slice(i + 1);
  if (!id) throw new Error(`Model name '${modelName}' has no model id / path after the '${source}:' prefix.`);
  return [source, id];
}

/** A hub or folder `config.json` (timm's format) turned into what createModel needs. */
export interface ModelConfig {
  architecture: string;
  pretrainedCfg: PretrainedCfg;
  modelArgs: Record<string, unknown>;
}

/** timm's `load_model_config_from_hf` / `_from_path`: architecture, cfg (with labels), and model args. */
export function parseModelConfig(config: Record<string, any>, where: string): ModelConfig {
  const architecture = config.architecture ?? config.model_name;
  if (typeof architecture !== 'string') throw new Error(`${where}: config.json has no 'architecture'`);
  const cfg = fromTimmDict({ ...(config.pretrained_cfg ?? {}) });
  if (config.num_classes !== undefined) cfg.numClasses = config.num_classes;
  if (config.label_names !== undefined) cfg.labelNames = config.label_names;
  if (config.label_descriptions !== undefined) cfg.labelDescriptions = config.label_descriptions;
  const modelArgs: Record<string, unknown> = {};
  for (const [k, v] of Object.entries(config.model_args ?? {})) modelArgs[k.replace(/_([a-z0-9])/g, (_, c: string) => c.toUpperCase())] = v;
  return { architecture, pretrainedCfg: cfg, modelArgs };
}

/** `JSON.parse` of a config.json whose errors name the file; the top level must be an object. */
function parseConfigJson(text: string, where: string): Record<string, any> {
  let v: unknown;
  try {
    v = JSON.parse(text);
  } catch (e) {
    throw new SyntaxError(`${where}: config.json is not valid JSON (${(e as Error).message})`);
  }
  if (v === null || typeof v !== 'object' || Array.isArray(v)) throw new SyntaxError(`${where}: config.json must hold a JSON object`);
  return v as Record<string, any>;
}

async function loadSourceConfig(source: ModelSource, id: string, options: CreateModelOptions): Promise<ModelConfig> {
  if (source === 'local-dir') {
    const fs = await import('node:fs/promises');
    const path = await import('node:path');
    const file = path.join(id, 'config.json');
    let text: string;
    try {
      text = await fs.readFile(file, 'utf8');
    } catch {
      throw new Error(`local-dir:${id}: no config.json in that folder`);
    }
    const mc = parseModelConfig(parseConfigJson(text, file), file);
    mc.pretrainedCfg.file = id;
    mc.pretrainedCfg.source = 'local-dir';
    return mc;
  }
  const hub = await import('../hub/index.js');
  const { repoId, revision } = hub.parseHubRepoId(id);
  const bytes = await hub.fetchHubFileBytes(repoId, 'config.json', { revision, cacheDir: options.cacheDir });
  const where = `hf-hub:${id}/config.json`;
  const mc = parseModelConfig(parseConfigJson(new TextDecoder().decode(bytes), where), where);
  mc.pretrainedCfg.hfHubId = id;
  mc.pretrainedCfg.source = 'hf-hub';
  return mc;
}

/**
 * Builds a registered model, as timm's `create_model`. `name` is `arch`, `arch.tag`, `hf-hub:org/repo[@rev]` or
 * `local-dir:/path`. Options are timm's kwargs in camelCase; with `featuresOnly` the result is a FeatureModel.
 */
export async function createModel(name: string, options: CreateModelOptions & { featuresOnly: true; featureCls: 'dict' }): Promise<FeatureModel<Record<string, tf.Tensor>>>;
export async function createModel(
  name: string,
  options: CreateModelOptions & { featuresOnly: true; featureCls?: 'list' | 'hook' | 'getter' },
): Promise<FeatureModel<tf.Tensor[]>>;
export async function createModel(name: string, options: CreateModelOptions & { featuresOnly: true }): Promise<FeatureModel>;
export async function createModel(name: string, options?: CreateModelOptions & { featuresOnly?: false }): Promise<VisionModel>;
export async function createModel(name: string, options?: CreateModelOptions): Promise<VisionModel | FeatureModel>;
export async function createModel(name: string, options: CreateModelOptions = {}): Promise<VisionModel | FeatureModel> {
  if (typeof name !== 'string' || !name) throw new TypeError(`createModel: model name must be a non-empty string, got ${JSON.stringify(name)}`);
  const kwargs: Record<string, unknown> = {};
  for (const [k, v] of Object.entries(options)) if (v !== undefined && v !== null) kwargs[k] = v;
  const { checkpointPath } = options;
  delete kwargs.checkpointPath;
  const [source, id] = parseModelName(name);
  let arch: string;
  if (source) {
    if (kwargs.pretrainedCfg) throw new Error(`pretrainedCfg must not be set when the model comes from '${source}:'`);
    const mc = await loadSourceConfig(source, id, options);
    arch = mc.architecture;
    kwargs.pretrainedCfg = mc.pretrainedCfg;
    for (const [k, v] of Object.entries(mc.modelArgs)) if (kwargs[k] === undefined) kwargs[k] = v;
  } else {
    const [a, tag] = splitModelNameTag(id);
    arch = a;
    if (tag && !kwargs.pretrainedCfg) kwargs.pretrainedCfg = tag;
  }
  if (!isModel(arch)) throw unknownModelError(getArchName(arch));
  checkOptionValues(arch, kwargs);
  await ensureBackend();
  const model = (await modelEntrypoint(arch)(kwargs)) as VisionModel | FeatureModel;
  if (checkpointPath !== undefined) {
    try {
      await loadCheckpoint(model, checkpointPath);
    } catch (e) {
      model.dispose();
      throw e;
    }
  }
  return model;
}
