/**
 * What the generator writes for each family: its timm modules, and for a generated arch table, the argument type
 * and how timm's classes and partials (`{ $type, args }` in the kwargs facts) map to our argument values.
 */

/** A value timm's kwargs hold that JSON cannot: a class, function, partial or dataclass by qualified name. */
export interface TypeRef {
  $type: string;
  args?: Record<string, unknown>;
}

export interface FamilyGen {
  /** The package folder, from the repository root. */
  dir: string;
  /** timm modules whose facts the family's generated files hold. */
  modules: string[];
  /** Generate `src/archs.ts` (the arch table) from the kwargs facts. */
  archs?: {
    /** The model class's argument interface, and the module it comes from (relative to `src/`). */
    argsType: string;
    argsFrom: string;
    /** Fields the table may hold beyond the class's arguments (builder options such as `pruned`). */
    extraArgs?: string;
    /** timm model classes the module's entrypoints build (anything else is an error). */
    modelClasses: string[];
    /** timm's qualified name → our argument value. */
    types?: Record<string, (t: TypeRef) => unknown>;
    /** The argument that takes timm's `model_cfg` (what `_create_*` hands `build_model_with_cfg` besides kwargs). */
    modelCfgArg?: string;
  };
  /** Generate `src/pruned.ts` from the pruned facts. */
  pruned?: boolean;
}

const name = (value: string) => () => value;
const camelArgs = (t: TypeRef) => Object.fromEntries(Object.entries(t.args ?? {}).map(([k, v]) => [k.replace(/_([a-z0-9])/g, (_, c: string) => c.toUpperCase()), v]));

export const FAMILIES: FamilyGen[] = [
  {
    dir: 'packages/convnext',
    modules: ['convnext'],
    archs: { argsType: 'ConvNeXtArgs', argsFrom: './convnext.js', modelClasses: ['timm.models.convnext.ConvNeXt'] },
  },
  {
    dir: 'packages/resnet',
    modules: ['resnet'],
    pruned: true,
    archs: {
      argsType: 'ResNetArgs',
      argsFrom: './resnet.js',
      extraArgs: '{ pruned?: boolean }',
      modelClasses: ['timm.models.resnet.ResNet'],
      types: {
        'timm.models.resnet.BasicBlock': name('basic'),
        'timm.models.resnet.Bottleneck': name('bottleneck'),
        'timm.layers.blur_pool.BlurPool2d': name('blurpool'),
        'torch.nn.modules.pooling.AvgPool2d': name('avgpool'),
        'timm.layers.squeeze_excite.SEModule': (t) => ({ type: 'se', ...camelArgs(t) }),
      },
    },
  },
  {
    dir: 'packages/densenet',
    modules: ['densenet'],
    archs: {
      argsType: 'DenseNetArgs',
      argsFrom: './densenet.js',
      modelClasses: ['timm.models.densenet.DenseNet'],
      types: { 'timm.layers.blur_pool.BlurPool2d': name('blurpool') },
    },
  },
  { dir: 'packages/cspnet', modules: ['cspnet'] },
  {
    dir: 'packages/inception',
    modules: ['inception_v3'],
    archs: { argsType: 'InceptionV3Args', argsFrom: './inception-v3.js', modelClasses: ['timm.models.inception_v3.InceptionV3'] },
  },
  {
    dir: 'packages/ghostnet',
    modules: ['ghostnet'],
    archs: { argsType: 'GhostNetArgs', argsFrom: './ghostnet.js', modelClasses: ['timm.models.ghostnet.GhostNet'] },
  },
  {
    dir: 'packages/repvit',
    modules: ['repvit'],
    archs: { argsType: 'RepVitArgs', argsFrom: './repvit.js', modelClasses: ['timm.models.repvit.RepVit'] },
  },
  {
    dir: 'packages/hgnet',
    modules: ['hgnet'],
    archs: { argsType: 'HighPerfGpuNetArgs', argsFrom: './hgnet.js', modelClasses: ['timm.models.hgnet.HighPerfGpuNet'], modelCfgArg: 'cfg' },
  },
  {
    dir: 'packages/beit',
    modules: ['beit'],
    archs: { argsType: 'BeitArgs', argsFrom: './beit.js', modelClasses: ['timm.models.beit.Beit'] },
  },
  {
    dir: 'packages/vit-relpos',
    modules: ['vision_transformer_relpos'],
    archs: {
      argsType: 'VisionTransformerRelPosArgs',
      argsFrom: './vit-relpos.js',
      modelClasses: ['timm.models.vision_transformer_relpos.VisionTransformerRelPos'],
      types: { 'timm.models.vision_transformer_relpos.ResPostRelPosBlock': name('res_post') },
    },
  },
  {
    dir: 'packages/hrnet',
    modules: ['hrnet'],
    archs: { argsType: 'HighResolutionNetArgs', argsFrom: './hrnet.js', modelClasses: ['timm.models.hrnet.HighResolutionNet'], modelCfgArg: 'cfg' },
  },
  {
    dir: 'packages/dla',
    modules: ['dla'],
    archs: {
      argsType: 'DLAArgs',
      argsFrom: './dla.js',
      modelClasses: ['timm.models.dla.DLA'],
      types: {
        'timm.models.dla.DlaBasic': name('basic'),
        'timm.models.dla.DlaBottleneck': name('bottleneck'),
        'timm.models.dla.DlaBottle2neck': name('bottle2neck'),
      },
    },
  },
  {
    dir: 'packages/regnet',
    modules: ['regnet'],
    archs: {
      argsType: 'RegNetArgs',
      argsFrom: './regnet.js',
      modelClasses: ['timm.models.regnet.RegNet'],
      modelCfgArg: 'cfg',
      types: {
        // RegNetCfg's fields as our camelCase cfg; its norm layer is 'batchnorm' or a GroupNormAct partial.
        'timm.models.regnet.RegNetCfg': (t) => {
          const cfg = camelArgs(t);
          const norm = cfg.normLayer as TypeRef | string;
          if (typeof norm === 'object') {
            if (norm.$type !== 'timm.layers.norm_act.GroupNormAct') throw new Error(`regnet: no mapping for norm layer ${norm.$type}`);
            cfg.normLayer = { type: 'groupnorm', groupSize: norm.args?.group_size };
          }
          return cfg;
        },
      },
    },
  },
  {
    dir: 'packages/nfnet',
    modules: ['nfnet'],
    archs: {
      argsType: 'NormFreeNetArgs',
      argsFrom: './nfnet.js',
      modelClasses: ['timm.models.nfnet.NormFreeNet'],
      modelCfgArg: 'cfg',
      types: {
        // NfCfg's fields as our camelCase cfg; its attention kwargs (SE's rd_ratio, rd_divisor) camelCased too.
        'timm.models.nfnet.NfCfg': (t) => {
          const cfg = camelArgs(t);
          if (cfg.attnKwargs) cfg.attnKwargs = camelArgs({ $type: 'attn_kwargs', args: cfg.attnKwargs as Record<string, unknown> });
          return cfg;
        },
      },
    },
  },
  {
    dir: 'packages/rexnet',
    modules: ['rexnet'],
    archs: { argsType: 'RexNetArgs', argsFrom: './rexnet.js', modelClasses: ['timm.models.rexnet.RexNet'] },
  },
  {
    dir: 'packages/vgg',
    modules: ['vgg'],
    archs: {
      argsType: 'VGGArgs',
      argsFrom: './vgg.js',
      modelClasses: ['timm.models.vgg.VGG'],
      modelCfgArg: 'cfg',
      types: { 'torch.nn.modules.batchnorm.BatchNorm2d': name('batchnorm') },
    },
  },
  { dir: 'packages/efficientnet', modules: ['efficientnet', 'mobilenetv3'], pruned: true },
  { dir: 'packages/vit', modules: ['vision_transformer', 'deit'] },
  { dir: 'packages/xception', modules: ['xception_aligned', 'xception'] },
];
