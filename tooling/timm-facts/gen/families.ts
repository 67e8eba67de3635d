/**
 * What the generator writes for each family: its timm modules, and for a generated arch table, the argument type
 * and how timm's classes and partials (`{ $type, args }` in the kwargs facts) map to our argument values.
 */

import { encodeArchDef } from './block-strings.ts';

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
    types?: Record<string, (t: TypeRef, map: (v: unknown) => unknown) => unknown>;
    /** Arguments a timm model class implies (timm's `LevitDistilled` is `Levit` with `distilled: true`), merged into each row. */
    modelClassArgs?: Record<string, Record<string, unknown>>;
    /** The argument that takes timm's `model_cfg` (what `_create_*` hands `build_model_with_cfg` besides kwargs). */
    modelCfgArg?: string;
    /** The modules whose architectures the table holds, when not all of the family's (another class builds the rest). */
    modules?: string[];
    /** timm kwargs written in another form: the raw fact value → the row fields that stand for it (`{}` leaves it out). */
    kwargs?: Record<string, (v: unknown, arch: string) => Record<string, unknown>>;
  };
  /** Generate `src/pruned.ts` from the pruned facts. */
  pruned?: boolean;
}

const name = (value: string) => () => value;
const drop = () => ({});
const camelArgs = (t: TypeRef) => Object.fromEntries(Object.entries(t.args ?? {}).map(([k, v]) => [k.replace(/_([a-z0-9])/g, (_, c: string) => c.toUpperCase()), v]));

/** A byobnet dataclass as our cfg: its fields mapped (camelCase, nested cfgs too); a block's null fields ("the model's") dropped. */
const byoCfg = (dropNull: boolean) => (t: TypeRef, map: (v: unknown) => unknown) =>
  Object.fromEntries(Object.entries(map(t.args ?? {}) as Record<string, unknown>).filter(([, v]) => !dropNull || v !== null));

/** A dataclass as a plain cfg object: its fields mapped (camelCase, nested dataclasses too). */
const dataclass = byoCfg(false);

/** A backbone call a hybrid's entrypoint made (dump_facts' BACKBONE_CALLS) as `{ model, ...kwargs }`, without device / dtype / pretrained. */
const backboneCall = (model: string) => (t: TypeRef, map: (v: unknown) => unknown) => {
  const { device: _device, dtype: _dtype, pretrained: _pretrained, ...args } = map(t.args ?? {}) as Record<string, unknown>;
  return { model, ...args };
};

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
  {
    dir: 'packages/cspnet',
    modules: ['cspnet'],
    archs: {
      argsType: 'CspNetArgs',
      argsFrom: './cspnet.js',
      modelClasses: ['timm.models.cspnet.CspNet'],
      modelCfgArg: 'cfg',
      // timm's CspModelCfg and its stem / stage dataclasses (stage fields already expanded per stage) as our cfg.
      types: {
        'timm.models.cspnet.CspModelCfg': dataclass,
        'timm.models.cspnet.CspStemCfg': dataclass,
        'timm.models.cspnet.CspStagesCfg': dataclass,
      },
    },
  },
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
    dir: 'packages/pvt',
    modules: ['pvt_v2'],
    archs: { argsType: 'PyramidVisionTransformerV2Args', argsFrom: './pvt-v2.js', modelClasses: ['timm.models.pvt_v2.PyramidVisionTransformerV2'] },
  },
  {
    dir: 'packages/fastvit',
    modules: ['fastvit'],
    archs: {
      argsType: 'FastVitArgs',
      argsFrom: './fastvit.js',
      modelClasses: ['timm.models.fastvit.FastVit'],
      types: {
        'timm.models.fastvit.RepConditionalPosEnc': (t) => ({ type: 'repcpe', ...camelArgs(t) }),
        'timm.layers.norm.LayerNorm2d': (t) => ({ type: 'layernorm2d', ...camelArgs(t) }),
      },
    },
  },
  {
    dir: 'packages/xcit',
    modules: ['xcit'],
    archs: { argsType: 'XcitArgs', argsFrom: './xcit.js', modelClasses: ['timm.models.xcit.Xcit'] },
  },
  {
    dir: 'packages/hiera',
    modules: ['hiera'],
    archs: { argsType: 'HieraArgs', argsFrom: './hiera.js', modelClasses: ['timm.models.hiera.Hiera'] },
  },
  {
    dir: 'packages/levit',
    modules: ['levit'],
    archs: {
      argsType: 'LevitArgs',
      argsFrom: './levit.js',
      modelClasses: ['timm.models.levit.Levit', 'timm.models.levit.LevitDistilled'],
      modelClassArgs: { 'timm.models.levit.LevitDistilled': { distilled: true } },
    },
  },
  {
    dir: 'packages/tiny-vit',
    modules: ['tiny_vit'],
    archs: { argsType: 'TinyVitArgs', argsFrom: './tiny-vit.js', modelClasses: ['timm.models.tiny_vit.TinyVit'] },
  },
  {
    dir: 'packages/efficientvit',
    modules: ['efficientvit_mit'],
    archs: {
      argsType: 'EfficientVitArgs',
      argsFrom: './efficientvit.js',
      modelClasses: ['timm.models.efficientvit_mit.EfficientVit', 'timm.models.efficientvit_mit.EfficientVitLarge'],
      modelClassArgs: { 'timm.models.efficientvit_mit.EfficientVitLarge': { large: true } },
    },
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
    dir: 'packages/vit-hybrid',
    modules: ['vision_transformer_hybrid'],
    archs: {
      argsType: 'VitHybridArgs',
      argsFrom: './vit-hybrid.js',
      modelClasses: ['timm.models.vision_transformer.VisionTransformer'],
      types: {
        // timm's partial(HybridEmbed, backbone=<built backbone>, **embed_args): the backbone as the call that built it.
        'timm.layers.hybrid_embed.HybridEmbed': (t, map) => map(t.args ?? {}),
        'timm.models.resnetv2.ResNetV2': backboneCall('resnetv2'),
        'timm.models.resnetv2.create_resnetv2_stem': backboneCall('resnetv2_stem'),
        'timm.models.resnet.resnet26d': backboneCall('resnet26d'),
        'timm.models.resnet.resnet50d': backboneCall('resnet50d'),
        'timm.models.vision_transformer_hybrid.ConvStem': backboneCall('conv_stem'),
        'timm.layers.std_conv.StdConv2dSame': (t) => ({ type: 'stdconv_same', ...camelArgs(t) }),
        'torch.nn.modules.activation.GELU': name('gelu'),
      },
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
    dir: 'packages/resnetv2',
    modules: ['resnetv2'],
    archs: {
      argsType: 'ResNetV2Args',
      argsFrom: './resnetv2.js',
      modelClasses: ['timm.models.resnetv2.ResNetV2'],
      types: {
        // Conv layers by name; a weight-standardised one keeps timm's eps (BiT binds 1e-8).
        'timm.layers.create_conv2d.create_conv2d': name('conv2d'),
        'timm.layers.std_conv.StdConv2d': (t) => (t.args?.eps === undefined ? 'stdconv' : { type: 'stdconv', eps: t.args.eps }),
        'timm.layers.std_conv.StdConv2dSame': (t) => (t.args?.eps === undefined ? 'stdconv_same' : { type: 'stdconv_same', eps: t.args.eps }),
        'timm.layers.norm_act.BatchNormAct2d': name('batchnorm'),
        'timm.layers.norm_act.GroupNormAct': name('groupnorm'),
        'timm.layers.evo_norm.EvoNorm2dS0': name('evonorms0'),
        'timm.layers.filter_response_norm.FilterResponseNormTlu2d': name('frntlu'),
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
  {
    dir: 'packages/mlp-mixer',
    modules: ['mlp_mixer'],
    archs: {
      argsType: 'MlpMixerArgs',
      argsFrom: './mlp-mixer.js',
      modelClasses: ['timm.models.mlp_mixer.MlpMixer'],
      types: {
        'timm.models.mlp_mixer.ResBlock': (t) => (t.args?.init_values === undefined ? 'res' : { type: 'res', initValues: t.args.init_values }),
        'timm.models.mlp_mixer.SpatialGatingBlock': name('spatial_gating'),
        'timm.models.mlp_mixer.Affine': name('affine'),
        'timm.layers.mlp.GluMlp': name('glu'),
        'timm.layers.mlp.GatedMlp': name('gated'),
        'torch.nn.modules.activation.SiLU': name('silu'),
      },
    },
  },
  {
    dir: 'packages/metaformer',
    modules: ['metaformer'],
    archs: {
      argsType: 'MetaFormerArgs',
      argsFrom: './metaformer.js',
      modelClasses: ['timm.models.metaformer.MetaFormer'],
      types: {
        'timm.models.metaformer.SepConv': name('sepconv'),
        'timm.models.metaformer.Attention': name('attention'),
        'timm.models.metaformer.LayerNorm2dNoBias': name('layernorm2d_nobias'),
        'timm.models.metaformer.LayerNormNoBias': name('layernorm_nobias'),
        'timm.models.metaformer.GroupNorm1NoBias': name('groupnorm1_nobias'),
        'timm.layers.norm.GroupNorm1': name('groupnorm1'),
        'torch.nn.modules.activation.GELU': name('gelu'),
      },
    },
  },
  {
    dir: 'packages/byobnet',
    modules: ['byobnet'],
    archs: {
      argsType: 'ByobNetArgs',
      argsFrom: './byobnet.js',
      modelClasses: ['timm.models.byobnet.ByobNet'],
      modelCfgArg: 'cfg',
      types: {
        // ByoModelCfg / ByoBlockCfg as core's camelCase cfg data; unset fields (null) left out, kwargs dicts camelCased.
        'timm.models.byobnet.ByoModelCfg': byoCfg(false),
        'timm.models.byobnet.ByoBlockCfg': byoCfg(true),
        // RepVGG's alternating group size (`_rep_vgg_bcfg`'s lambda over `groups`).
        'timm.models.byobnet._rep_vgg_bcfg.<locals>.<lambda>': (t) => ({ type: 'alternate', groups: t.args?.groups }),
        'timm.layers.evo_norm.EvoNorm2dS0a': (t) => ({ type: 'evonorms0a', ...camelArgs(t) }),
      },
    },
  },
  {
    dir: 'packages/efficientnet',
    modules: ['efficientnet', 'mobilenetv3'],
    pruned: true,
    archs: {
      argsType: 'EfficientNetArch',
      argsFrom: './register.js',
      modelClasses: ['timm.models.efficientnet.EfficientNet', 'timm.models.mobilenetv3.MobileNetV3'],
      // The decoded, depth-scaled block args as timm's block strings (decoded again at build); `features_only` is
      // createModel's own option.
      kwargs: { block_args: (v, arch) => ({ blocks: encodeArchDef(v as Record<string, unknown>[][], arch) }), features_only: drop },
      types: {
        // timm's `round_channels` partial and its SqueezeExcite partial as data (register.ts turns them into functions).
        'timm.models._efficientnet_builder.round_channels': (t) => camelArgs(t),
        'timm.models._efficientnet_blocks.SqueezeExcite': (t, map) => {
          const { gate_layer: gate, force_act_layer: forceAct, rd_round_fn: rdRoundFn, ...rest } = t.args ?? {};
          if (Object.keys(rest).length) throw new Error(`efficientnet: SqueezeExcite partial with ${Object.keys(rest).join(', ')}`);
          return Object.fromEntries(Object.entries({ gate, forceAct: map(forceAct), rdRoundFn: map(rdRoundFn) }).filter(([, v]) => v !== undefined));
        },
        'torch.nn.modules.activation.ReLU': name('relu'),
        'torch.nn.modules.activation.ReLU6': name('relu6'),
        'torch.nn.modules.activation.SiLU': name('silu'),
        'torch.nn.modules.activation.Hardswish': name('hard_swish'),
        'timm.layers.activations.GELU': name('gelu'),
        'torch.nn.modules.batchnorm.BatchNorm2d': (t) => ({ type: 'batchnorm', ...camelArgs(t) }),
        'timm.layers.norm_act.GroupNormAct': (t) => ({ type: 'groupnorm', ...camelArgs(t) }),
        'timm.layers.norm_act.LayerNormAct2d': (t) => ({ type: 'layernorm', ...camelArgs(t) }),
        'timm.layers.evo_norm.EvoNorm2dS0': (t) => ({ type: 'evonorms0', ...camelArgs(t) }),
      },
    },
  },
  {
    dir: 'packages/mobilevit',
    modules: ['mobilevit'],
    archs: {
      argsType: 'MobileVitArgs',
      argsFrom: './mobilevit.js',
      modelClasses: ['timm.models.byobnet.ByobNet'],
      modelCfgArg: 'cfg',
      types: {
        // Core's ByoModelCfg language, as for byobnet; MobileViT's blocks are core's 'mobilevit' / 'mobilevit2' types.
        'timm.models.byobnet.ByoModelCfg': byoCfg(false),
        'timm.models.byobnet.ByoBlockCfg': byoCfg(true),
      },
    },
  },
  {
    dir: 'packages/eva',
    modules: ['eva'],
    archs: {
      argsType: 'EvaArgs',
      argsFrom: './eva.js',
      modelClasses: ['timm.models.eva.Eva'],
      types: { 'timm.layers.norm.LayerNorm': (t) => ({ type: 'layernorm', ...camelArgs(t) }) },
    },
  },
  {
    dir: 'packages/vit',
    modules: ['vision_transformer', 'deit'],
    archs: {
      argsType: 'VisionTransformerArgs',
      argsFrom: './vit.js',
      modelClasses: ['timm.models.vision_transformer.VisionTransformer', 'timm.models.deit.VisionTransformerDistilled'],
      modelClassArgs: { 'timm.models.deit.VisionTransformerDistilled': { distilled: true } },
      types: {
        'timm.layers.norm.LayerNorm': (t) => (t.args?.eps === undefined ? 'layernorm' : { type: 'layernorm', eps: t.args.eps }),
        'timm.layers.norm.RmsNorm': (t) => (t.args?.eps === undefined ? 'rmsnorm' : { type: 'rmsnorm', eps: t.args.eps }),
        'timm.layers.mlp.SwiGLU': name('swiglu'),
        // SwiGLUPacked: timm's GluMlp with SiLU, gate first.
        'timm.layers.mlp.GluMlp': (t) => {
          const act = (t.args?.act_layer as TypeRef | undefined)?.$type;
          if (act !== 'torch.nn.modules.activation.SiLU' || t.args?.gate_last !== false) throw new Error(`vit: GluMlp ${JSON.stringify(t.args)} is not SwiGLUPacked`);
          return 'swiglu_packed';
        },
        'torch.nn.modules.activation.SiLU': name('silu'),
        'timm.models.vision_transformer.ResPostBlock': name('res_post'),
        'timm.models.vision_transformer.ParallelThingsBlock': name('parallel_things'),
        'timm.models.vision_transformer.ParallelScalingBlock': name('parallel_scaling'),
        'timm.models.vision_transformer.DiffParallelScalingBlock': name('diff_parallel_scaling'),
      },
    },
  },
  {
    dir: 'packages/xception',
    modules: ['xception_aligned', 'xception'],
    // The one legacy `xception` architecture takes no arguments: the table is XceptionAligned's.
    archs: {
      argsType: 'XceptionAlignedArgs',
      argsFrom: './xception-aligned.js',
      modelClasses: ['timm.models.xception_aligned.XceptionAligned'],
      modules: ['xception_aligned'],
      types: { 'torch.nn.modules.batchnorm.BatchNorm2d': (t) => (t.args?.eps === undefined ? 'batchnorm' : { type: 'batchnorm', eps: t.args.eps }) },
    },
  },
  {
    dir: 'packages/swin',
    modules: ['swin_transformer', 'swin_transformer_v2'],
    archs: {
      argsType: 'SwinArgs',
      argsFrom: './swin.js',
      modelClasses: ['timm.models.swin_transformer.SwinTransformer', 'timm.models.swin_transformer_v2.SwinTransformerV2'],
    },
  },
  {
    dir: 'packages/maxxvit',
    modules: ['maxxvit'],
    archs: {
      argsType: 'MaxxVitArgs',
      argsFrom: './maxxvit.js',
      modelClasses: ['timm.models.maxxvit.MaxxVit'],
      modelCfgArg: 'cfg',
      types: {
        // MaxxVitCfg and its conv / transformer cfgs as our camelCase cfg (every field, as timm's dataclasses hold them).
        'timm.models.maxxvit.MaxxVitCfg': byoCfg(false),
        'timm.models.maxxvit.MaxxVitConvCfg': byoCfg(false),
        'timm.models.maxxvit.MaxxVitTransformerCfg': byoCfg(false),
      },
    },
  },
];
