import { type BuildOptions, buildModelWithCfg, type CreateModelOptions, type ModelClass, type ModelFactory } from '../factory/build.js';
import type { FeatureModel } from '../features/wrappers.js';
import type { VisionModel } from '../model.js';
import { type DefaultCfg, registerModel, registerModelDeprecations } from './registry.js';

/**
 * One timm module's architectures, as a family registers them: the arch table (name → the model class's
 * constructor arguments, in timm's order), the pretrained cfgs, and how an architecture is built.
 */
export interface FamilySpec<A extends object, M extends VisionModel = VisionModel> {
  /** timm's module name (`'resnet'`, `'vision_transformer'`). */
  module: string;
  /** Architecture name → constructor arguments (a family's generated `archs.ts`). */
  archs: Readonly<Record<string, A>>;
  /** The module's pretrained cfgs (a family's generated `cfgs.ts`). */
  cfgs: Readonly<Record<string, DefaultCfg>>;
  /** The model class (or a factory for composed models), built with timm's `build_model_with_cfg` (unless `create` is given). */
  model?: ModelClass<M> | ModelFactory<M>;
  /** timm's `build_model_with_cfg` options: fixed, or per architecture and call (feature cfg, filter, strictness). */
  build?: BuildOptions | ((name: string, kwargs: CreateModelOptions) => BuildOptions);
  /** Builds an architecture instead of `model` + `build` (timm's `_create_<family>` functions that do more). */
  create?: (name: string, args: A, kwargs: CreateModelOptions) => Promise<VisionModel | FeatureModel>;
  /** timm's `register_model_deprecations` for this module. */
  deprecations?: Readonly<Record<string, string | null>>;
  /**
   * When `archs` and `deprecations` are a table shared by several timm modules (a generated `moduleNames` entry):
   * the architecture and deprecated names that are this module's. Only those are registered.
   */
  names?: readonly string[];
}

/**
 * Registers every architecture of a family's arch table (timm's `@register_model` functions, which are each one
 * call with arguments). Arguments given to createModel override the table's. Idempotent: a second call is a no-op.
 */
export function registerFamily<A extends object, M extends VisionModel = VisionModel>(spec: FamilySpec<A, M>): void {
  const { module, cfgs, model, build, create, names } = spec;
  if (!create && !model) throw new Error(`registerFamily('${module}'): give a model class or a create function`);
  const mine = <V>(table: Readonly<Record<string, V>>): [string, V][] =>
    names ? names.filter((n) => Object.hasOwn(table, n)).map((n) => [n, table[n]!]) : Object.entries(table);
  for (const [name, args] of mine(spec.archs)) {
    registerModel({
      name,
      module,
      defaultCfg: cfgs[name],
      create: (kwargs: CreateModelOptions) => {
        if (create) return create(name, args, kwargs);
        const options = typeof build === 'function' ? build(name, kwargs) : build;
        return buildModelWithCfg(model!, name, { ...args, ...kwargs }, options);
      },
    });
  }
  const deprecations = spec.deprecations && mine(spec.deprecations);
  if (deprecations?.length) registerModelDeprecations(module, Object.fromEntries(deprecations));
}
