// Every architecture of timm's convnext.py: each is its arguments and one call, as in timm.
import { buildModelWithCfg, type CreateModelOptions, registerModel, registerModelDeprecations } from '@zoo/core';
import { defaultCfgs } from './cfgs.js';
import { ConvNeXt, type ConvNeXtArgs, checkpointFilterFn } from './convnext.js';

/** timm's module name for these architectures. */
export const MODULE = 'convnext';

const convnext = (name: string, args: ConvNeXtArgs) =>
  registerModel({
    name,
    module: MODULE,
    defaultCfg: defaultCfgs[name],
    create: (kwargs: CreateModelOptions) =>
      buildModelWithCfg(ConvNeXt, name, { ...args, ...kwargs }, {
        pretrainedFilterFn: checkpointFilterFn,
        featureCfg: { outIndices: [0, 1, 2, 3], flattenSequential: true },
        // fcmae weights have no classifier or final norm (timm loads them non-strictly).
        pretrainedStrict: !(kwargs.pretrainedCfg === 'fcmae' || String(kwargs.pretrainedCfg ?? '').startsWith('fcmae')),
      }),
  });

const ATTO = { depths: [2, 2, 6, 2], dims: [40, 80, 160, 320] };
const FEMTO = { depths: [2, 2, 6, 2], dims: [48, 96, 192, 384] };
const PICO = { depths: [2, 2, 6, 2], dims: [64, 128, 256, 512] };
const NANO = { depths: [2, 2, 8, 2], dims: [80, 160, 320, 640] };
const ZEPTO = { depths: [2, 2, 4, 2], dims: [32, 64, 128, 256] };
const TINY = { depths: [3, 3, 9, 3], dims: [96, 192, 384, 768] };
const D27 = [3, 3, 27, 3];
const V2 = { useGrn: true, lsInitValue: null };

/** Registers every ConvNeXt architecture (idempotent: calling it again is a no-op). */
export function register(): void {
  convnext('convnext_zepto_rms', { ...ZEPTO, convMlp: true, normLayer: 'simplenorm' });
  convnext('convnext_zepto_rms_ols', { ...ZEPTO, convMlp: true, normLayer: 'simplenorm', stemType: 'overlap_act' });
  convnext('convnext_atto', { ...ATTO, convMlp: true });
  convnext('convnext_atto_ols', { ...ATTO, convMlp: true, stemType: 'overlap_tiered' });
  convnext('convnext_atto_rms', { ...ATTO, convMlp: true, normLayer: 'rmsnorm2d' });
  convnext('convnext_femto', { ...FEMTO, convMlp: true });
  convnext('convnext_femto_ols', { ...FEMTO, convMlp: true, stemType: 'overlap_tiered' });
  convnext('convnext_pico', { ...PICO, convMlp: true });
  convnext('convnext_pico_ols', { ...PICO, convMlp: true, stemType: 'overlap_tiered' });
  convnext('convnext_nano', { ...NANO, convMlp: true });
  convnext('convnext_nano_ols', { ...NANO, convMlp: true, stemType: 'overlap' });
  convnext('convnext_tiny_hnf', { ...TINY, headNormFirst: true, convMlp: true });
  convnext('convnext_tiny', { ...TINY });
  convnext('convnext_small', { depths: D27, dims: [96, 192, 384, 768] });
  convnext('convnext_base', { depths: D27, dims: [128, 256, 512, 1024] });
  convnext('convnext_large', { depths: D27, dims: [192, 384, 768, 1536] });
  convnext('convnext_large_mlp', { depths: D27, dims: [192, 384, 768, 1536], headHiddenSize: 1536 });
  convnext('convnext_xlarge', { depths: D27, dims: [256, 512, 1024, 2048] });
  convnext('convnext_xxlarge', { depths: [3, 4, 30, 3], dims: [384, 768, 1536, 3072], normEps: 1e-5 });
  convnext('convnextv2_atto', { ...ATTO, ...V2, convMlp: true });
  convnext('convnextv2_femto', { ...FEMTO, ...V2, convMlp: true });
  convnext('convnextv2_pico', { ...PICO, ...V2, convMlp: true });
  convnext('convnextv2_nano', { ...NANO, ...V2, convMlp: true });
  convnext('convnextv2_tiny', { ...TINY, ...V2 });
  convnext('convnextv2_small', { depths: D27, dims: [96, 192, 384, 768], ...V2 });
  convnext('convnextv2_base', { depths: D27, dims: [128, 256, 512, 1024], ...V2 });
  convnext('convnextv2_large', { depths: D27, dims: [192, 384, 768, 1536], ...V2 });
  convnext('convnextv2_huge', { depths: D27, dims: [352, 704, 1408, 2816], ...V2 });
  convnext('test_convnext', { depths: [1, 2, 4, 2], dims: [24, 32, 48, 64], normEps: 1e-5, actLayer: 'gelu_tanh' });
  convnext('test_convnext2', { depths: [1, 1, 1, 1], dims: [32, 64, 96, 128], normEps: 1e-5, actLayer: 'gelu_tanh' });
  convnext('test_convnext3', { depths: [1, 1, 1, 1], dims: [32, 64, 96, 128], normEps: 1e-5, kernelSizes: [7, 5, 5, 3], actLayer: 'silu' });

  registerModelDeprecations(MODULE, {
    convnext_tiny_in22ft1k: 'convnext_tiny.fb_in22k_ft_in1k',
    convnext_small_in22ft1k: 'convnext_small.fb_in22k_ft_in1k',
    convnext_base_in22ft1k: 'convnext_base.fb_in22k_ft_in1k',
    convnext_large_in22ft1k: 'convnext_large.fb_in22k_ft_in1k',
    convnext_xlarge_in22ft1k: 'convnext_xlarge.fb_in22k_ft_in1k',
    convnext_tiny_384_in22ft1k: 'convnext_tiny.fb_in22k_ft_in1k_384',
    convnext_small_384_in22ft1k: 'convnext_small.fb_in22k_ft_in1k_384',
    convnext_base_384_in22ft1k: 'convnext_base.fb_in22k_ft_in1k_384',
    convnext_large_384_in22ft1k: 'convnext_large.fb_in22k_ft_in1k_384',
    convnext_xlarge_384_in22ft1k: 'convnext_xlarge.fb_in22k_ft_in1k_384',
    convnext_tiny_in22k: 'convnext_tiny.fb_in22k',
    convnext_small_in22k: 'convnext_small.fb_in22k',
    convnext_base_in22k: 'convnext_base.fb_in22k',
    convnext_large_in22k: 'convnext_large.fb_in22k',
    convnext_xlarge_in22k: 'convnext_xlarge.fb_in22k',
  });
}
