// Every architecture of timm's vision_transformer.py and deit.py: each is its arguments and one call, as in timm.
import { buildModelWithCfg, type CreateModelOptions, registerModel, registerModelDeprecations } from '@zoo/core';
import { defaultCfgs } from './cfgs.js';
import { checkpointFilterFn, VisionTransformer, type VisionTransformerArgs } from './vit.js';

/** timm's module names for these architectures. */
export const VIT_MODULE = 'vision_transformer';
export const DEIT_MODULE = 'deit';

const featureCfg = { featureCls: 'getter' as const, outIndices: 3 };

const vit = (name: string, args: VisionTransformerArgs) =>
  registerModel({
    name,
    module: VIT_MODULE,
    defaultCfg: defaultCfgs[name],
    create: (kwargs: CreateModelOptions) => {
      // timm: SigLIP weights carry an attention-pool head; without it, load non-strictly.
      const strict = !(name.includes('siglip') && kwargs.globalPool !== 'map');
      return buildModelWithCfg(VisionTransformer, name, { ...args, ...kwargs }, {
        featureCfg,
        // timm: FlexiViT weights prefer bilinear, non-antialiased patch / pos-embed resampling.
        pretrainedFilterFn: (sd, model) =>
          checkpointFilterFn(sd, model, name.includes('flexi') ? { interpolation: 'bilinear', antialias: false } : {}),
        pretrainedStrict: strict,
      });
    },
  });

const deit = (name: string, args: VisionTransformerArgs) =>
  registerModel({
    name,
    module: DEIT_MODULE,
    defaultCfg: defaultCfgs[name],
    create: (kwargs: CreateModelOptions) => {
      return buildModelWithCfg(VisionTransformer, name, { ...args, ...kwargs }, {
        featureCfg,
        pretrainedFilterFn: (sd, model) => checkpointFilterFn(sd, model, { adaptLayerScale: true }),
      });
    },
  });

/** Registers every ViT / DeiT architecture built here (idempotent: calling it again is a no-op). */
export function register(): void {
  vit('vit_tiny_patch16_224', { patchSize: 16, embedDim: 192, depth: 12, numHeads: 3 });
  vit('vit_tiny_patch16_384', { patchSize: 16, embedDim: 192, depth: 12, numHeads: 3 });
  vit('vit_small_patch32_224', { patchSize: 32, embedDim: 384, depth: 12, numHeads: 6 });
  vit('vit_small_patch32_384', { patchSize: 32, embedDim: 384, depth: 12, numHeads: 6 });
  vit('vit_small_patch16_224', { patchSize: 16, embedDim: 384, depth: 12, numHeads: 6 });
  vit('vit_small_patch16_384', { patchSize: 16, embedDim: 384, depth: 12, numHeads: 6 });
  vit('vit_small_patch8_224', { patchSize: 8, embedDim: 384, depth: 12, numHeads: 6 });
  vit('vit_base_patch32_224', { patchSize: 32, embedDim: 768, depth: 12, numHeads: 12 });
  vit('vit_base_patch32_384', { patchSize: 32, embedDim: 768, depth: 12, numHeads: 12 });
  vit('vit_base_patch16_224', { patchSize: 16, embedDim: 768, depth: 12, numHeads: 12 });
  vit('vit_base_patch16_384', { patchSize: 16, embedDim: 768, depth: 12, numHeads: 12 });
  vit('vit_base_patch8_224', { patchSize: 8, embedDim: 768, depth: 12, numHeads: 12 });
  vit('vit_large_patch32_224', { patchSize: 32, embedDim: 1024, depth: 24, numHeads: 16 });
  vit('vit_large_patch32_384', { patchSize: 32, embedDim: 1024, depth: 24, numHeads: 16 });
  vit('vit_large_patch16_224', { patchSize: 16, embedDim: 1024, depth: 24, numHeads: 16 });
  vit('vit_large_patch16_384', { patchSize: 16, embedDim: 1024, depth: 24, numHeads: 16 });
  vit('vit_large_patch14_224', { patchSize: 14, embedDim: 1024, depth: 24, numHeads: 16 });
  vit('vit_huge_patch14_224', { patchSize: 14, embedDim: 1280, depth: 32, numHeads: 16 });
  vit('vit_giant_patch14_224', { patchSize: 14, embedDim: 1408, mlpRatio: 4.363636363636363, depth: 40, numHeads: 16 });
  vit('vit_gigantic_patch14_224', { patchSize: 14, embedDim: 1664, mlpRatio: 4.923076923076923, depth: 48, numHeads: 16 });
  vit('vit_base_patch16_224_miil', { patchSize: 16, embedDim: 768, depth: 12, numHeads: 12, qkvBias: false });
  vit('vit_medium_patch16_gap_240', { patchSize: 16, embedDim: 512, depth: 12, numHeads: 8, classToken: false, globalPool: 'avg', qkvBias: false, initValues: 1e-06, fcNorm: false });
  vit('vit_medium_patch16_gap_256', { patchSize: 16, embedDim: 512, depth: 12, numHeads: 8, classToken: false, globalPool: 'avg', qkvBias: false, initValues: 1e-06, fcNorm: false });
  vit('vit_medium_patch16_gap_384', { patchSize: 16, embedDim: 512, depth: 12, numHeads: 8, classToken: false, globalPool: 'avg', qkvBias: false, initValues: 1e-06, fcNorm: false });
  vit('vit_betwixt_patch16_gap_256', { patchSize: 16, embedDim: 640, depth: 12, numHeads: 10, classToken: false, globalPool: 'avg', qkvBias: false, initValues: 1e-06, fcNorm: false });
  vit('vit_base_patch16_gap_224', { patchSize: 16, embedDim: 768, depth: 12, numHeads: 16, classToken: false, globalPool: 'avg', fcNorm: false });
  vit('vit_huge_patch14_gap_224', { patchSize: 14, embedDim: 1280, depth: 32, numHeads: 16, classToken: false, globalPool: 'avg', fcNorm: false });
  vit('vit_huge_patch16_gap_448', { patchSize: 16, embedDim: 1280, depth: 32, numHeads: 16, classToken: false, globalPool: 'avg', fcNorm: false });
  vit('vit_giant_patch16_gap_224', { patchSize: 16, embedDim: 1408, depth: 40, numHeads: 16, mlpRatio: 4.363636363636363, classToken: false, globalPool: 'avg', fcNorm: false });
  vit('vit_xsmall_patch16_clip_224', { embedDim: 256, depth: 10, numHeads: 4, preNorm: true, normLayer: 'layernorm', normEps: 1e-05 });
  vit('vit_medium_patch32_clip_224', { patchSize: 32, embedDim: 512, depth: 12, numHeads: 8, preNorm: true, normLayer: 'layernorm', normEps: 1e-05 });
  vit('vit_medium_patch16_clip_224', { embedDim: 512, depth: 12, numHeads: 8, preNorm: true, normLayer: 'layernorm', normEps: 1e-05 });
  vit('vit_betwixt_patch32_clip_224', { patchSize: 32, embedDim: 640, depth: 12, numHeads: 10, preNorm: true, normLayer: 'layernorm', normEps: 1e-05 });
  vit('vit_base_patch32_clip_224', { patchSize: 32, embedDim: 768, depth: 12, numHeads: 12, preNorm: true, normLayer: 'layernorm', normEps: 1e-05 });
  vit('vit_base_patch32_clip_256', { patchSize: 32, embedDim: 768, depth: 12, numHeads: 12, preNorm: true, normLayer: 'layernorm', normEps: 1e-05 });
  vit('vit_base_patch32_clip_384', { patchSize: 32, embedDim: 768, depth: 12, numHeads: 12, preNorm: true, normLayer: 'layernorm', normEps: 1e-05 });
  vit('vit_base_patch32_clip_448', { patchSize: 32, embedDim: 768, depth: 12, numHeads: 12, preNorm: true, normLayer: 'layernorm', normEps: 1e-05 });
  vit('vit_base_patch16_clip_224', { patchSize: 16, embedDim: 768, depth: 12, numHeads: 12, preNorm: true, normLayer: 'layernorm', normEps: 1e-05 });
  vit('vit_base_patch16_clip_384', { patchSize: 16, embedDim: 768, depth: 12, numHeads: 12, preNorm: true, normLayer: 'layernorm', normEps: 1e-05 });
  vit('vit_base_patch16_plus_clip_240', { patchSize: 16, embedDim: 896, depth: 12, numHeads: 14, preNorm: true, normLayer: 'layernorm', normEps: 1e-05 });
  vit('vit_large_patch14_clip_224', { patchSize: 14, embedDim: 1024, depth: 24, numHeads: 16, preNorm: true, normLayer: 'layernorm', normEps: 1e-05 });
  vit('vit_large_patch14_clip_336', { patchSize: 14, embedDim: 1024, depth: 24, numHeads: 16, preNorm: true, normLayer: 'layernorm', normEps: 1e-05 });
  vit('vit_huge_patch14_clip_224', { patchSize: 14, embedDim: 1280, depth: 32, numHeads: 16, preNorm: true, normLayer: 'layernorm', normEps: 1e-05 });
  vit('vit_huge_patch14_clip_336', { patchSize: 14, embedDim: 1280, depth: 32, numHeads: 16, preNorm: true, normLayer: 'layernorm', normEps: 1e-05 });
  vit('vit_huge_patch14_clip_378', { patchSize: 14, embedDim: 1280, depth: 32, numHeads: 16, preNorm: true, normLayer: 'layernorm', normEps: 1e-05 });
  vit('vit_giant_patch14_clip_224', { patchSize: 14, embedDim: 1408, mlpRatio: 4.363636363636363, depth: 40, numHeads: 16, preNorm: true, normLayer: 'layernorm', normEps: 1e-05 });
  vit('vit_gigantic_patch14_clip_224', { patchSize: 14, embedDim: 1664, mlpRatio: 4.923076923076923, depth: 48, numHeads: 16, preNorm: true, normLayer: 'layernorm', normEps: 1e-05 });
  vit('vit_gigantic_patch14_clip_378', { patchSize: 14, embedDim: 1664, mlpRatio: 4.923076923076923, depth: 48, numHeads: 16, preNorm: true, normLayer: 'layernorm', normEps: 1e-05 });
  vit('vit_base_patch32_clip_quickgelu_224', { patchSize: 32, embedDim: 768, depth: 12, numHeads: 12, preNorm: true, normLayer: 'layernorm', normEps: 1e-05, actLayer: 'quick_gelu' });
  vit('vit_base_patch16_clip_quickgelu_224', { patchSize: 16, embedDim: 768, depth: 12, numHeads: 12, preNorm: true, normLayer: 'layernorm', normEps: 1e-05, actLayer: 'quick_gelu' });
  vit('vit_large_patch14_clip_quickgelu_224', { patchSize: 14, embedDim: 1024, depth: 24, numHeads: 16, preNorm: true, normLayer: 'layernorm', normEps: 1e-05, actLayer: 'quick_gelu' });
  vit('vit_large_patch14_clip_quickgelu_336', { patchSize: 14, embedDim: 1024, depth: 24, numHeads: 16, preNorm: true, normLayer: 'layernorm', normEps: 1e-05, actLayer: 'quick_gelu' });
  vit('vit_huge_patch14_clip_quickgelu_224', { patchSize: 14, embedDim: 1280, depth: 32, numHeads: 16, preNorm: true, normLayer: 'layernorm', normEps: 1e-05, actLayer: 'quick_gelu' });
  vit('vit_huge_patch14_clip_quickgelu_378', { patchSize: 14, embedDim: 1280, depth: 32, numHeads: 16, preNorm: true, normLayer: 'layernorm', normEps: 1e-05, actLayer: 'quick_gelu' });
  vit('vit_gigantic_patch14_clip_quickgelu_224', { patchSize: 14, embedDim: 1664, mlpRatio: 4.923076923076923, depth: 48, numHeads: 16, preNorm: true, normLayer: 'layernorm', normEps: 1e-05, actLayer: 'quick_gelu' });
  vit('vit_base_patch32_plus_256', { patchSize: 32, embedDim: 896, depth: 12, numHeads: 14, initValues: 1e-05 });
  vit('vit_base_patch16_plus_240', { patchSize: 16, embedDim: 896, depth: 12, numHeads: 14, initValues: 1e-05 });
  vit('vit_base_patch16_rpn_224', { patchSize: 16, embedDim: 768, depth: 12, numHeads: 12, qkvBias: false, initValues: 1e-05, classToken: false, blockFn: 'res_post', globalPool: 'avg' });
  vit('vit_small_patch16_36x1_224', { patchSize: 16, embedDim: 384, depth: 36, numHeads: 6, initValues: 1e-05 });
  vit('vit_small_patch16_18x2_224', { patchSize: 16, embedDim: 384, depth: 18, numHeads: 6, initValues: 1e-05, blockFn: 'parallel_things' });
  vit('vit_base_patch16_18x2_224', { patchSize: 16, embedDim: 768, depth: 18, numHeads: 12, initValues: 1e-05, blockFn: 'parallel_things' });
  vit('eva_large_patch14_196', { patchSize: 14, embedDim: 1024, depth: 24, numHeads: 16, globalPool: 'avg' });
  vit('eva_large_patch14_336', { patchSize: 14, embedDim: 1024, depth: 24, numHeads: 16, globalPool: 'avg' });
  vit('flexivit_small', { patchSize: 16, embedDim: 384, depth: 12, numHeads: 6, noEmbedClass: true });
  vit('flexivit_base', { patchSize: 16, embedDim: 768, depth: 12, numHeads: 12, noEmbedClass: true });
  vit('flexivit_large', { patchSize: 16, embedDim: 1024, depth: 24, numHeads: 16, noEmbedClass: true });
  vit('vit_base_patch16_xp_224', { patchSize: 16, embedDim: 768, depth: 12, numHeads: 12, preNorm: true, noEmbedClass: true, normLayer: 'rmsnorm', blockFn: 'parallel_scaling', qkvBias: false, qkNorm: true });
  vit('vit_large_patch14_xp_224', { patchSize: 14, embedDim: 1024, depth: 24, numHeads: 16, preNorm: true, noEmbedClass: true, normLayer: 'rmsnorm', blockFn: 'parallel_scaling', qkvBias: false, qkNorm: true });
  vit('vit_huge_patch14_xp_224', { patchSize: 14, embedDim: 1280, depth: 32, numHeads: 16, preNorm: true, noEmbedClass: true, normLayer: 'rmsnorm', blockFn: 'parallel_scaling', qkvBias: false, qkNorm: true });
  vit('vit_small_patch14_dinov2', { patchSize: 14, embedDim: 384, depth: 12, numHeads: 6, initValues: 1e-05 });
  vit('vit_base_patch14_dinov2', { patchSize: 14, embedDim: 768, depth: 12, numHeads: 12, initValues: 1e-05 });
  vit('vit_large_patch14_dinov2', { patchSize: 14, embedDim: 1024, depth: 24, numHeads: 16, initValues: 1e-05 });
  vit('vit_giant_patch14_dinov2', { patchSize: 14, embedDim: 1536, depth: 40, numHeads: 24, initValues: 1e-05, mlpRatio: 5.33334, mlpLayer: 'swiglu_packed', actLayer: 'silu' });
  vit('vit_small_patch14_reg4_dinov2', { patchSize: 14, embedDim: 384, depth: 12, numHeads: 6, initValues: 1e-05, regTokens: 4, noEmbedClass: true });
  vit('vit_base_patch14_reg4_dinov2', { patchSize: 14, embedDim: 768, depth: 12, numHeads: 12, initValues: 1e-05, regTokens: 4, noEmbedClass: true });
  vit('vit_large_patch14_reg4_dinov2', { patchSize: 14, embedDim: 1024, depth: 24, numHeads: 16, initValues: 1e-05, regTokens: 4, noEmbedClass: true });
  vit('vit_giant_patch14_reg4_dinov2', { patchSize: 14, embedDim: 1536, depth: 40, numHeads: 24, initValues: 1e-05, mlpRatio: 5.33334, mlpLayer: 'swiglu_packed', actLayer: 'silu', regTokens: 4, noEmbedClass: true });
  vit('vit_base_patch14_reg1_tipsv2', { patchSize: 14, embedDim: 768, depth: 12, numHeads: 12, initValues: 1.0, regTokens: 1, noEmbedClass: true });
  vit('vit_large_patch14_reg1_tipsv2', { patchSize: 14, embedDim: 1024, depth: 24, numHeads: 16, initValues: 1.0, regTokens: 1, noEmbedClass: true });
  vit('vit_so400m_patch14_reg1_tipsv2', { patchSize: 14, embedDim: 1152, depth: 27, numHeads: 16, initValues: 1.0, mlpRatio: 3.736111111111111, regTokens: 1, noEmbedClass: true });
  vit('vit_giant_patch14_reg1_tipsv2', { patchSize: 14, embedDim: 1536, depth: 40, numHeads: 24, initValues: 1.0, mlpRatio: 5.33334, mlpLayer: 'swiglu_packed', actLayer: 'silu', regTokens: 1, noEmbedClass: true });
  vit('vit_base_patch32_siglip_256', { patchSize: 32, embedDim: 768, depth: 12, numHeads: 12, classToken: false, globalPool: 'map', actLayer: 'gelu_tanh' });
  vit('vit_base_patch16_siglip_224', { patchSize: 16, embedDim: 768, depth: 12, numHeads: 12, classToken: false, globalPool: 'map' });
  vit('vit_base_patch16_siglip_256', { patchSize: 16, embedDim: 768, depth: 12, numHeads: 12, classToken: false, globalPool: 'map' });
  vit('vit_base_patch16_siglip_384', { patchSize: 16, embedDim: 768, depth: 12, numHeads: 12, classToken: false, globalPool: 'map' });
  vit('vit_base_patch16_siglip_512', { patchSize: 16, embedDim: 768, depth: 12, numHeads: 12, classToken: false, globalPool: 'map' });
  vit('vit_large_patch16_siglip_256', { patchSize: 16, embedDim: 1024, depth: 24, numHeads: 16, classToken: false, globalPool: 'map' });
  vit('vit_large_patch16_siglip_384', { patchSize: 16, embedDim: 1024, depth: 24, numHeads: 16, classToken: false, globalPool: 'map' });
  vit('vit_large_patch16_siglip_512', { patchSize: 16, embedDim: 1024, depth: 24, numHeads: 16, classToken: false, globalPool: 'map', actLayer: 'gelu_tanh' });
  vit('vit_so400m_patch14_siglip_224', { patchSize: 14, embedDim: 1152, depth: 27, numHeads: 16, mlpRatio: 3.7362, classToken: false, globalPool: 'map' });
  vit('vit_so400m_patch14_siglip_378', { patchSize: 14, embedDim: 1152, depth: 27, numHeads: 16, mlpRatio: 3.7362, classToken: false, globalPool: 'map' });
  vit('vit_so400m_patch14_siglip_384', { patchSize: 14, embedDim: 1152, depth: 27, numHeads: 16, mlpRatio: 3.7362, classToken: false, globalPool: 'map' });
  vit('vit_so400m_patch16_siglip_256', { patchSize: 16, embedDim: 1152, depth: 27, numHeads: 16, mlpRatio: 3.7362, classToken: false, globalPool: 'map', actLayer: 'gelu_tanh' });
  vit('vit_so400m_patch16_siglip_384', { patchSize: 16, embedDim: 1152, depth: 27, numHeads: 16, mlpRatio: 3.7362, classToken: false, globalPool: 'map', actLayer: 'gelu_tanh' });
  vit('vit_so400m_patch16_siglip_512', { patchSize: 16, embedDim: 1152, depth: 27, numHeads: 16, mlpRatio: 3.7362, classToken: false, globalPool: 'map', actLayer: 'gelu_tanh' });
  vit('vit_giantopt_patch16_siglip_256', { patchSize: 16, embedDim: 1536, depth: 40, numHeads: 16, classToken: false, globalPool: 'map', actLayer: 'gelu_tanh' });
  vit('vit_giantopt_patch16_siglip_384', { patchSize: 16, embedDim: 1536, depth: 40, numHeads: 16, classToken: false, globalPool: 'map', actLayer: 'gelu_tanh' });
  vit('vit_base_patch32_siglip_gap_256', { patchSize: 32, embedDim: 768, depth: 12, numHeads: 12, classToken: false, globalPool: 'avg', fcNorm: false, actLayer: 'gelu_tanh' });
  vit('vit_base_patch16_siglip_gap_224', { patchSize: 16, embedDim: 768, depth: 12, numHeads: 12, classToken: false, globalPool: 'avg', fcNorm: false });
  vit('vit_base_patch16_siglip_gap_256', { patchSize: 16, embedDim: 768, depth: 12, numHeads: 12, classToken: false, globalPool: 'avg', fcNorm: false });
  vit('vit_base_patch16_siglip_gap_384', { patchSize: 16, embedDim: 768, depth: 12, numHeads: 12, classToken: false, globalPool: 'avg', fcNorm: false });
  vit('vit_base_patch16_siglip_gap_512', { patchSize: 16, embedDim: 768, depth: 12, numHeads: 12, classToken: false, globalPool: 'avg', fcNorm: false });
  vit('vit_large_patch16_siglip_gap_256', { patchSize: 16, embedDim: 1024, depth: 24, numHeads: 16, classToken: false, globalPool: 'avg', fcNorm: false });
  vit('vit_large_patch16_siglip_gap_384', { patchSize: 16, embedDim: 1024, depth: 24, numHeads: 16, classToken: false, globalPool: 'avg', fcNorm: false });
  vit('vit_large_patch16_siglip_gap_512', { patchSize: 16, embedDim: 1024, depth: 24, numHeads: 16, classToken: false, globalPool: 'avg', fcNorm: false, actLayer: 'gelu_tanh' });
  vit('vit_so400m_patch14_siglip_gap_224', { patchSize: 14, embedDim: 1152, depth: 27, numHeads: 16, mlpRatio: 3.7362, classToken: false, globalPool: 'avg', fcNorm: false });
  vit('vit_so400m_patch14_siglip_gap_378', { patchSize: 14, embedDim: 1152, depth: 27, numHeads: 16, mlpRatio: 3.7362, classToken: false, globalPool: 'avg', fcNorm: false });
  vit('vit_so400m_patch14_siglip_gap_384', { patchSize: 14, embedDim: 1152, depth: 27, numHeads: 16, mlpRatio: 3.7362, classToken: false, globalPool: 'avg', fcNorm: false });
  vit('vit_so400m_patch14_siglip_gap_448', { patchSize: 14, embedDim: 1152, depth: 27, numHeads: 16, mlpRatio: 3.7362, classToken: false, globalPool: 'avg', fcNorm: false });
  vit('vit_so400m_patch14_siglip_gap_896', { patchSize: 14, embedDim: 1152, depth: 27, numHeads: 16, mlpRatio: 3.7362, classToken: false, globalPool: 'avg', fcNorm: false });
  vit('vit_so400m_patch16_siglip_gap_256', { patchSize: 16, embedDim: 1152, depth: 27, numHeads: 16, mlpRatio: 3.7362, classToken: false, globalPool: 'avg', fcNorm: false, actLayer: 'gelu_tanh' });
  vit('vit_so400m_patch16_siglip_gap_384', { patchSize: 16, embedDim: 1152, depth: 27, numHeads: 16, mlpRatio: 3.7362, classToken: false, globalPool: 'avg', fcNorm: false, actLayer: 'gelu_tanh' });
  vit('vit_so400m_patch16_siglip_gap_512', { patchSize: 16, embedDim: 1152, depth: 27, numHeads: 16, mlpRatio: 3.7362, classToken: false, globalPool: 'avg', fcNorm: false, actLayer: 'gelu_tanh' });
  vit('vit_giantopt_patch16_siglip_gap_256', { patchSize: 16, embedDim: 1536, depth: 40, numHeads: 16, classToken: false, globalPool: 'avg', fcNorm: false, actLayer: 'gelu_tanh' });
  vit('vit_giantopt_patch16_siglip_gap_384', { patchSize: 16, embedDim: 1536, depth: 40, numHeads: 16, classToken: false, globalPool: 'avg', fcNorm: false, actLayer: 'gelu_tanh' });
  vit('vit_wee_patch16_reg1_gap_256', { patchSize: 16, embedDim: 256, depth: 14, numHeads: 4, initValues: 1e-05, mlpRatio: 5, classToken: false, noEmbedClass: true, regTokens: 1, globalPool: 'avg' });
  vit('vit_dwee_patch16_reg1_gap_256', { patchSize: 16, embedDim: 256, depth: 14, numHeads: 4, initValues: 1e-05, mlpRatio: 5, classToken: false, noEmbedClass: true, regTokens: 1, globalPool: 'avg', attnLayer: 'diff' });
  vit('vit_pwee_patch16_reg1_gap_256', { patchSize: 16, embedDim: 256, depth: 16, numHeads: 4, initValues: 1e-05, mlpRatio: 5, classToken: false, noEmbedClass: true, regTokens: 1, globalPool: 'avg', blockFn: 'parallel_scaling' });
  vit('vit_dpwee_patch16_reg1_gap_256', { patchSize: 16, embedDim: 256, depth: 16, numHeads: 4, initValues: 1e-05, mlpRatio: 5, classToken: false, noEmbedClass: true, regTokens: 1, globalPool: 'avg', blockFn: 'diff_parallel_scaling' });
  vit('vit_little_patch16_reg1_gap_256', { patchSize: 16, embedDim: 320, depth: 14, numHeads: 5, initValues: 1e-05, mlpRatio: 5.6, classToken: false, noEmbedClass: true, regTokens: 1, globalPool: 'avg' });
  vit('vit_dlittle_patch16_reg1_gap_256', { patchSize: 16, embedDim: 320, depth: 14, numHeads: 5, initValues: 1e-05, mlpRatio: 5.6, classToken: false, noEmbedClass: true, regTokens: 1, globalPool: 'avg', attnLayer: 'diff' });
  vit('vit_little_patch16_reg4_gap_256', { patchSize: 16, embedDim: 320, depth: 14, numHeads: 5, initValues: 1e-05, mlpRatio: 5.6, classToken: false, noEmbedClass: true, regTokens: 4, globalPool: 'avg' });
  vit('vit_medium_patch16_reg1_gap_256', { patchSize: 16, embedDim: 512, depth: 12, numHeads: 8, initValues: 1e-05, classToken: false, noEmbedClass: true, regTokens: 1, globalPool: 'avg' });
  vit('vit_medium_patch16_reg4_gap_256', { patchSize: 16, embedDim: 512, depth: 12, numHeads: 8, initValues: 1e-05, classToken: false, noEmbedClass: true, regTokens: 4, globalPool: 'avg' });
  vit('vit_mediumd_patch16_reg4_gap_256', { patchSize: 16, embedDim: 512, depth: 20, numHeads: 8, initValues: 1e-05, classToken: false, noEmbedClass: true, regTokens: 4, globalPool: 'avg' });
  vit('vit_mediumd_patch16_reg4_gap_384', { patchSize: 16, embedDim: 512, depth: 20, numHeads: 8, initValues: 1e-05, classToken: false, noEmbedClass: true, regTokens: 4, globalPool: 'avg' });
  vit('vit_betwixt_patch16_reg1_gap_256', { patchSize: 16, embedDim: 640, depth: 12, numHeads: 10, initValues: 1e-05, classToken: false, noEmbedClass: true, regTokens: 1, globalPool: 'avg' });
  vit('vit_betwixt_patch16_reg4_gap_256', { patchSize: 16, embedDim: 640, depth: 12, numHeads: 10, initValues: 1e-05, classToken: false, noEmbedClass: true, regTokens: 4, globalPool: 'avg' });
  vit('vit_betwixt_patch16_reg4_gap_384', { patchSize: 16, embedDim: 640, depth: 12, numHeads: 10, initValues: 1e-05, classToken: false, noEmbedClass: true, regTokens: 4, globalPool: 'avg' });
  vit('vit_base_patch16_reg4_gap_256', { patchSize: 16, embedDim: 768, depth: 12, numHeads: 12, classToken: false, noEmbedClass: true, globalPool: 'avg', regTokens: 4 });
  vit('vit_so150m_patch16_reg4_map_256', { patchSize: 16, embedDim: 896, depth: 18, numHeads: 14, mlpRatio: 2.572, classToken: false, regTokens: 4, globalPool: 'map' });
  vit('vit_so150m_patch16_reg4_gap_256', { patchSize: 16, embedDim: 896, depth: 18, numHeads: 14, mlpRatio: 2.572, classToken: false, regTokens: 4, globalPool: 'avg', fcNorm: false });
  vit('vit_so150m_patch16_reg4_gap_384', { patchSize: 16, embedDim: 896, depth: 18, numHeads: 14, mlpRatio: 2.572, classToken: false, regTokens: 4, globalPool: 'avg', fcNorm: false });
  vit('vit_so150m2_patch16_reg1_gap_256', { patchSize: 16, embedDim: 832, depth: 21, numHeads: 13, mlpRatio: 2.6153846153846154, initValues: 1e-05, qkvBias: false, classToken: false, regTokens: 1, globalPool: 'avg' });
  vit('vit_so150m2_patch16_reg1_gap_384', { patchSize: 16, embedDim: 832, depth: 21, numHeads: 13, mlpRatio: 2.6153846153846154, initValues: 1e-05, qkvBias: false, classToken: false, regTokens: 1, globalPool: 'avg' });
  vit('vit_so150m2_patch16_reg1_gap_448', { patchSize: 16, embedDim: 832, depth: 21, numHeads: 13, mlpRatio: 2.6153846153846154, initValues: 1e-05, qkvBias: false, classToken: false, regTokens: 1, globalPool: 'avg' });
  vit('vit_intern300m_patch14_448', { patchSize: 14, embedDim: 1024, depth: 24, numHeads: 16, initValues: 0.1, finalNorm: false, dynamicImgSize: true });
  vit('aimv2_large_patch14_224', { patchSize: 14, embedDim: 1024, depth: 24, numHeads: 8, classToken: false, fcNorm: false, mlpRatio: 2.75, globalPool: 'avg', qkvBias: false, projBias: false, actLayer: 'silu', normLayer: 'rmsnorm', normEps: 1e-05, embedNormLayer: 'rmsnorm', mlpLayer: 'swiglu' });
  vit('aimv2_huge_patch14_224', { patchSize: 14, embedDim: 1536, depth: 24, numHeads: 12, classToken: false, fcNorm: false, mlpRatio: 2.6667, globalPool: 'avg', qkvBias: false, projBias: false, actLayer: 'silu', normLayer: 'rmsnorm', normEps: 1e-05, embedNormLayer: 'rmsnorm', mlpLayer: 'swiglu' });
  vit('aimv2_1b_patch14_224', { patchSize: 14, embedDim: 2048, depth: 24, numHeads: 16, classToken: false, fcNorm: false, mlpRatio: 2.75, globalPool: 'avg', qkvBias: false, projBias: false, actLayer: 'silu', normLayer: 'rmsnorm', normEps: 1e-05, embedNormLayer: 'rmsnorm', mlpLayer: 'swiglu' });
  vit('aimv2_3b_patch14_224', { patchSize: 14, embedDim: 3072, depth: 24, numHeads: 24, classToken: false, fcNorm: false, mlpRatio: 2.6667, globalPool: 'avg', qkvBias: false, projBias: false, actLayer: 'silu', normLayer: 'rmsnorm', normEps: 1e-05, embedNormLayer: 'rmsnorm', mlpLayer: 'swiglu' });
  vit('aimv2_large_patch14_336', { patchSize: 14, embedDim: 1024, depth: 24, numHeads: 8, classToken: false, fcNorm: false, mlpRatio: 2.75, globalPool: 'avg', qkvBias: false, projBias: false, actLayer: 'silu', normLayer: 'rmsnorm', normEps: 1e-05, embedNormLayer: 'rmsnorm', mlpLayer: 'swiglu' });
  vit('aimv2_huge_patch14_336', { patchSize: 14, embedDim: 1536, depth: 24, numHeads: 12, classToken: false, fcNorm: false, mlpRatio: 2.6667, globalPool: 'avg', qkvBias: false, projBias: false, actLayer: 'silu', normLayer: 'rmsnorm', normEps: 1e-05, embedNormLayer: 'rmsnorm', mlpLayer: 'swiglu' });
  vit('aimv2_1b_patch14_336', { patchSize: 14, embedDim: 2048, depth: 24, numHeads: 16, classToken: false, fcNorm: false, mlpRatio: 2.75, globalPool: 'avg', qkvBias: false, projBias: false, actLayer: 'silu', normLayer: 'rmsnorm', normEps: 1e-05, embedNormLayer: 'rmsnorm', mlpLayer: 'swiglu' });
  vit('aimv2_3b_patch14_336', { patchSize: 14, embedDim: 3072, depth: 24, numHeads: 24, classToken: false, fcNorm: false, mlpRatio: 2.6667, globalPool: 'avg', qkvBias: false, projBias: false, actLayer: 'silu', normLayer: 'rmsnorm', normEps: 1e-05, embedNormLayer: 'rmsnorm', mlpLayer: 'swiglu' });
  vit('aimv2_large_patch14_448', { patchSize: 14, embedDim: 1024, depth: 24, numHeads: 8, classToken: false, fcNorm: false, mlpRatio: 2.75, globalPool: 'avg', qkvBias: false, projBias: false, actLayer: 'silu', normLayer: 'rmsnorm', normEps: 1e-05, embedNormLayer: 'rmsnorm', mlpLayer: 'swiglu' });
  vit('aimv2_huge_patch14_448', { patchSize: 14, embedDim: 1536, depth: 24, numHeads: 12, classToken: false, fcNorm: false, mlpRatio: 2.6667, globalPool: 'avg', qkvBias: false, projBias: false, actLayer: 'silu', normLayer: 'rmsnorm', normEps: 1e-05, embedNormLayer: 'rmsnorm', mlpLayer: 'swiglu' });
  vit('aimv2_1b_patch14_448', { patchSize: 14, embedDim: 2048, depth: 24, numHeads: 16, classToken: false, fcNorm: false, mlpRatio: 2.75, globalPool: 'avg', qkvBias: false, projBias: false, actLayer: 'silu', normLayer: 'rmsnorm', normEps: 1e-05, embedNormLayer: 'rmsnorm', mlpLayer: 'swiglu' });
  vit('aimv2_3b_patch14_448', { patchSize: 14, embedDim: 3072, depth: 24, numHeads: 24, classToken: false, fcNorm: false, mlpRatio: 2.6667, globalPool: 'avg', qkvBias: false, projBias: false, actLayer: 'silu', normLayer: 'rmsnorm', normEps: 1e-05, embedNormLayer: 'rmsnorm', mlpLayer: 'swiglu' });
  vit('test_vit', { patchSize: 16, embedDim: 64, depth: 6, numHeads: 2, mlpRatio: 3, dynamicImgSize: true });
  vit('test_vit2', { patchSize: 16, embedDim: 64, depth: 8, numHeads: 2, mlpRatio: 3, classToken: false, regTokens: 1, globalPool: 'avg', initValues: 1e-05, dynamicImgSize: true });
  vit('test_vit3', { patchSize: 16, embedDim: 96, depth: 9, numHeads: 3, mlpRatio: 2, classToken: false, regTokens: 1, globalPool: 'map', poolIncludePrefix: true, initValues: 1e-05 });
  vit('test_vit4', { patchSize: 16, embedDim: 96, depth: 9, numHeads: 3, mlpRatio: 3, classToken: false, regTokens: 1, globalPool: 'avg', initValues: 1e-05, dynamicImgSize: true, normLayer: 'rmsnorm' });
  vit('beit3_base_patch16_224', { patchSize: 16, embedDim: 768, depth: 12, numHeads: 12, mlpRatio: 4, scaleAttnNorm: true, scaleMlpNorm: true, classToken: true, globalPool: 'avg', normLayer: 'layernorm', normEps: 1e-05 });
  vit('beit3_large_patch16_224', { patchSize: 16, embedDim: 1024, depth: 24, numHeads: 16, mlpRatio: 4, scaleAttnNorm: true, scaleMlpNorm: true, classToken: true, globalPool: 'avg', normLayer: 'layernorm', normEps: 1e-05 });
  vit('beit3_giant_patch14_224', { patchSize: 14, embedDim: 1408, depth: 40, numHeads: 16, mlpRatio: 4.3637, scaleAttnNorm: true, scaleMlpNorm: true, classToken: true, globalPool: 'avg', normLayer: 'layernorm', normEps: 1e-05 });
  vit('beit3_giant_patch14_336', { imgSize: 336, patchSize: 14, embedDim: 1408, depth: 40, numHeads: 16, mlpRatio: 4.3637, scaleAttnNorm: true, scaleMlpNorm: true, classToken: true, globalPool: 'avg', normLayer: 'layernorm', normEps: 1e-05 });
  registerModelDeprecations(VIT_MODULE, {
    vit_tiny_patch16_224_in21k: 'vit_tiny_patch16_224.augreg_in21k',
    vit_small_patch32_224_in21k: 'vit_small_patch32_224.augreg_in21k',
    vit_small_patch16_224_in21k: 'vit_small_patch16_224.augreg_in21k',
    vit_base_patch32_224_in21k: 'vit_base_patch32_224.augreg_in21k',
    vit_base_patch16_224_in21k: 'vit_base_patch16_224.augreg_in21k',
    vit_base_patch8_224_in21k: 'vit_base_patch8_224.augreg_in21k',
    vit_large_patch32_224_in21k: 'vit_large_patch32_224.orig_in21k',
    vit_large_patch16_224_in21k: 'vit_large_patch16_224.augreg_in21k',
    vit_huge_patch14_224_in21k: 'vit_huge_patch14_224.orig_in21k',
    vit_base_patch32_224_sam: 'vit_base_patch32_224.sam',
    vit_base_patch16_224_sam: 'vit_base_patch16_224.sam',
    vit_small_patch16_224_dino: 'vit_small_patch16_224.dino',
    vit_small_patch8_224_dino: 'vit_small_patch8_224.dino',
    vit_base_patch16_224_dino: 'vit_base_patch16_224.dino',
    vit_base_patch8_224_dino: 'vit_base_patch8_224.dino',
    vit_base_patch16_224_miil_in21k: 'vit_base_patch16_224_miil.in21k',
    vit_base_patch32_224_clip_laion2b: 'vit_base_patch32_clip_224.laion2b',
    vit_large_patch14_224_clip_laion2b: 'vit_large_patch14_clip_224.laion2b',
    vit_huge_patch14_224_clip_laion2b: 'vit_huge_patch14_clip_224.laion2b',
    vit_giant_patch14_224_clip_laion2b: 'vit_giant_patch14_clip_224.laion2b',
  });
  deit('deit_tiny_patch16_224', { patchSize: 16, embedDim: 192, depth: 12, numHeads: 3 });
  deit('deit_small_patch16_224', { patchSize: 16, embedDim: 384, depth: 12, numHeads: 6 });
  deit('deit_base_patch16_224', { patchSize: 16, embedDim: 768, depth: 12, numHeads: 12 });
  deit('deit_base_patch16_384', { patchSize: 16, embedDim: 768, depth: 12, numHeads: 12 });
  deit('deit_tiny_distilled_patch16_224', { patchSize: 16, embedDim: 192, depth: 12, numHeads: 3, distilled: true });
  deit('deit_small_distilled_patch16_224', { patchSize: 16, embedDim: 384, depth: 12, numHeads: 6, distilled: true });
  deit('deit_base_distilled_patch16_224', { patchSize: 16, embedDim: 768, depth: 12, numHeads: 12, distilled: true });
  deit('deit_base_distilled_patch16_384', { patchSize: 16, embedDim: 768, depth: 12, numHeads: 12, distilled: true });
  deit('deit3_small_patch16_224', { patchSize: 16, embedDim: 384, depth: 12, numHeads: 6, noEmbedClass: true, initValues: 1e-06 });
  deit('deit3_small_patch16_384', { patchSize: 16, embedDim: 384, depth: 12, numHeads: 6, noEmbedClass: true, initValues: 1e-06 });
  deit('deit3_medium_patch16_224', { patchSize: 16, embedDim: 512, depth: 12, numHeads: 8, noEmbedClass: true, initValues: 1e-06 });
  deit('deit3_base_patch16_224', { patchSize: 16, embedDim: 768, depth: 12, numHeads: 12, noEmbedClass: true, initValues: 1e-06 });
  deit('deit3_base_patch16_384', { patchSize: 16, embedDim: 768, depth: 12, numHeads: 12, noEmbedClass: true, initValues: 1e-06 });
  deit('deit3_large_patch16_224', { patchSize: 16, embedDim: 1024, depth: 24, numHeads: 16, noEmbedClass: true, initValues: 1e-06 });
  deit('deit3_large_patch16_384', { patchSize: 16, embedDim: 1024, depth: 24, numHeads: 16, noEmbedClass: true, initValues: 1e-06 });
  deit('deit3_huge_patch14_224', { patchSize: 14, embedDim: 1280, depth: 32, numHeads: 16, noEmbedClass: true, initValues: 1e-06 });
  registerModelDeprecations(DEIT_MODULE, {
    deit3_small_patch16_224_in21ft1k: 'deit3_small_patch16_224.fb_in22k_ft_in1k',
    deit3_small_patch16_384_in21ft1k: 'deit3_small_patch16_384.fb_in22k_ft_in1k',
    deit3_medium_patch16_224_in21ft1k: 'deit3_medium_patch16_224.fb_in22k_ft_in1k',
    deit3_base_patch16_224_in21ft1k: 'deit3_base_patch16_224.fb_in22k_ft_in1k',
    deit3_base_patch16_384_in21ft1k: 'deit3_base_patch16_384.fb_in22k_ft_in1k',
    deit3_large_patch16_224_in21ft1k: 'deit3_large_patch16_224.fb_in22k_ft_in1k',
    deit3_large_patch16_384_in21ft1k: 'deit3_large_patch16_384.fb_in22k_ft_in1k',
    deit3_huge_patch14_224_in21ft1k: 'deit3_huge_patch14_224.fb_in22k_ft_in1k',
  });
}
