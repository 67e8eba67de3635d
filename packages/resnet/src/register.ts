// Every architecture of timm's resnet.py: each is its arguments and one call, as in timm.
import { buildModelWithCfg, type CreateModelOptions, registerModel, registerModelDeprecations } from '@zoo/core';
import { defaultCfgs } from './cfgs.js';
import { PRUNED } from './pruned.js';
import { ResNet, type ResNetArgs } from './resnet.js';

/** timm's module name for these architectures. */
export const MODULE = 'resnet';

const resnet = (name: string, args: ResNetArgs, opts: { pruned?: boolean } = {}) =>
  registerModel({
    name,
    module: MODULE,
    defaultCfg: defaultCfgs[name],
    create: (kwargs: CreateModelOptions) =>
      buildModelWithCfg(ResNet, name, { ...args, ...kwargs, ...(opts.pruned ? { pruned: true } : {}) }, {
        prunedDefinition: PRUNED[name],
      }),
  });

/** Registers every ResNet architecture (idempotent: calling it again is a no-op). */
export function register(): void {
  resnet('resnet10t', { block: 'basic', layers: [1, 1, 1, 1], stemWidth: 32, stemType: 'deep_tiered', avgDown: true });
  resnet('resnet14t', { block: 'bottleneck', layers: [1, 1, 1, 1], stemWidth: 32, stemType: 'deep_tiered', avgDown: true });
  resnet('resnet18', { block: 'basic', layers: [2, 2, 2, 2] });
  resnet('resnet18d', { block: 'basic', layers: [2, 2, 2, 2], stemWidth: 32, stemType: 'deep', avgDown: true });
  resnet('resnet34', { block: 'basic', layers: [3, 4, 6, 3] });
  resnet('resnet34d', { block: 'basic', layers: [3, 4, 6, 3], stemWidth: 32, stemType: 'deep', avgDown: true });
  resnet('resnet26', { block: 'bottleneck', layers: [2, 2, 2, 2] });
  resnet('resnet26t', { block: 'bottleneck', layers: [2, 2, 2, 2], stemWidth: 32, stemType: 'deep_tiered', avgDown: true });
  resnet('resnet26d', { block: 'bottleneck', layers: [2, 2, 2, 2], stemWidth: 32, stemType: 'deep', avgDown: true });
  resnet('resnet50', { block: 'bottleneck', layers: [3, 4, 6, 3] });
  resnet('resnet50c', { block: 'bottleneck', layers: [3, 4, 6, 3], stemWidth: 32, stemType: 'deep' });
  resnet('resnet50d', { block: 'bottleneck', layers: [3, 4, 6, 3], stemWidth: 32, stemType: 'deep', avgDown: true });
  resnet('resnet50s', { block: 'bottleneck', layers: [3, 4, 6, 3], stemWidth: 64, stemType: 'deep' });
  resnet('resnet50t', { block: 'bottleneck', layers: [3, 4, 6, 3], stemWidth: 32, stemType: 'deep_tiered', avgDown: true });
  resnet('resnet101', { block: 'bottleneck', layers: [3, 4, 23, 3] });
  resnet('resnet101c', { block: 'bottleneck', layers: [3, 4, 23, 3], stemWidth: 32, stemType: 'deep' });
  resnet('resnet101d', { block: 'bottleneck', layers: [3, 4, 23, 3], stemWidth: 32, stemType: 'deep', avgDown: true });
  resnet('resnet101s', { block: 'bottleneck', layers: [3, 4, 23, 3], stemWidth: 64, stemType: 'deep' });
  resnet('resnet152', { block: 'bottleneck', layers: [3, 8, 36, 3] });
  resnet('resnet152c', { block: 'bottleneck', layers: [3, 8, 36, 3], stemWidth: 32, stemType: 'deep' });
  resnet('resnet152d', { block: 'bottleneck', layers: [3, 8, 36, 3], stemWidth: 32, stemType: 'deep', avgDown: true });
  resnet('resnet152s', { block: 'bottleneck', layers: [3, 8, 36, 3], stemWidth: 64, stemType: 'deep' });
  resnet('resnet200', { block: 'bottleneck', layers: [3, 24, 36, 3] });
  resnet('resnet200d', { block: 'bottleneck', layers: [3, 24, 36, 3], stemWidth: 32, stemType: 'deep', avgDown: true });
  resnet('wide_resnet50_2', { block: 'bottleneck', layers: [3, 4, 6, 3], baseWidth: 128 });
  resnet('wide_resnet101_2', { block: 'bottleneck', layers: [3, 4, 23, 3], baseWidth: 128 });
  resnet('resnet50_gn', { block: 'bottleneck', layers: [3, 4, 6, 3], normLayer: 'groupnorm' });
  resnet('resnext50_32x4d', { block: 'bottleneck', layers: [3, 4, 6, 3], cardinality: 32, baseWidth: 4 });
  resnet('resnext50d_32x4d', { block: 'bottleneck', layers: [3, 4, 6, 3], cardinality: 32, baseWidth: 4, stemWidth: 32, stemType: 'deep', avgDown: true });
  resnet('resnext101_32x4d', { block: 'bottleneck', layers: [3, 4, 23, 3], cardinality: 32, baseWidth: 4 });
  resnet('resnext101_32x8d', { block: 'bottleneck', layers: [3, 4, 23, 3], cardinality: 32, baseWidth: 8 });
  resnet('resnext101_32x16d', { block: 'bottleneck', layers: [3, 4, 23, 3], cardinality: 32, baseWidth: 16 });
  resnet('resnext101_32x32d', { block: 'bottleneck', layers: [3, 4, 23, 3], cardinality: 32, baseWidth: 32 });
  resnet('resnext101_64x4d', { block: 'bottleneck', layers: [3, 4, 23, 3], cardinality: 64, baseWidth: 4 });
  resnet('ecaresnet26t', { block: 'bottleneck', layers: [2, 2, 2, 2], stemWidth: 32, stemType: 'deep_tiered', avgDown: true, blockArgs: { attnLayer: 'eca' } });
  resnet('ecaresnet50d', { block: 'bottleneck', layers: [3, 4, 6, 3], stemWidth: 32, stemType: 'deep', avgDown: true, blockArgs: { attnLayer: 'eca' } });
  resnet('ecaresnet50d_pruned', { block: 'bottleneck', layers: [3, 4, 6, 3], stemWidth: 32, stemType: 'deep', avgDown: true, blockArgs: { attnLayer: 'eca' } }, { pruned: true });
  resnet('ecaresnet50t', { block: 'bottleneck', layers: [3, 4, 6, 3], stemWidth: 32, stemType: 'deep_tiered', avgDown: true, blockArgs: { attnLayer: 'eca' } });
  resnet('ecaresnetlight', { block: 'bottleneck', layers: [1, 1, 11, 3], stemWidth: 32, avgDown: true, blockArgs: { attnLayer: 'eca' } });
  resnet('ecaresnet101d', { block: 'bottleneck', layers: [3, 4, 23, 3], stemWidth: 32, stemType: 'deep', avgDown: true, blockArgs: { attnLayer: 'eca' } });
  resnet('ecaresnet101d_pruned', { block: 'bottleneck', layers: [3, 4, 23, 3], stemWidth: 32, stemType: 'deep', avgDown: true, blockArgs: { attnLayer: 'eca' } }, { pruned: true });
  resnet('ecaresnet200d', { block: 'bottleneck', layers: [3, 24, 36, 3], stemWidth: 32, stemType: 'deep', avgDown: true, blockArgs: { attnLayer: 'eca' } });
  resnet('ecaresnet269d', { block: 'bottleneck', layers: [3, 30, 48, 8], stemWidth: 32, stemType: 'deep', avgDown: true, blockArgs: { attnLayer: 'eca' } });
  resnet('ecaresnext26t_32x4d', { block: 'bottleneck', layers: [2, 2, 2, 2], cardinality: 32, baseWidth: 4, stemWidth: 32, stemType: 'deep_tiered', avgDown: true, blockArgs: { attnLayer: 'eca' } });
  resnet('ecaresnext50t_32x4d', { block: 'bottleneck', layers: [2, 2, 2, 2], cardinality: 32, baseWidth: 4, stemWidth: 32, stemType: 'deep_tiered', avgDown: true, blockArgs: { attnLayer: 'eca' } });
  resnet('seresnet18', { block: 'basic', layers: [2, 2, 2, 2], blockArgs: { attnLayer: 'se' } });
  resnet('seresnet34', { block: 'basic', layers: [3, 4, 6, 3], blockArgs: { attnLayer: 'se' } });
  resnet('seresnet50', { block: 'bottleneck', layers: [3, 4, 6, 3], blockArgs: { attnLayer: 'se' } });
  resnet('seresnet50t', { block: 'bottleneck', layers: [3, 4, 6, 3], stemWidth: 32, stemType: 'deep_tiered', avgDown: true, blockArgs: { attnLayer: 'se' } });
  resnet('seresnet101', { block: 'bottleneck', layers: [3, 4, 23, 3], blockArgs: { attnLayer: 'se' } });
  resnet('seresnet152', { block: 'bottleneck', layers: [3, 8, 36, 3], blockArgs: { attnLayer: 'se' } });
  resnet('seresnet152d', { block: 'bottleneck', layers: [3, 8, 36, 3], stemWidth: 32, stemType: 'deep', avgDown: true, blockArgs: { attnLayer: 'se' } });
  resnet('seresnet200d', { block: 'bottleneck', layers: [3, 24, 36, 3], stemWidth: 32, stemType: 'deep', avgDown: true, blockArgs: { attnLayer: 'se' } });
  resnet('seresnet269d', { block: 'bottleneck', layers: [3, 30, 48, 8], stemWidth: 32, stemType: 'deep', avgDown: true, blockArgs: { attnLayer: 'se' } });
  resnet('seresnext26d_32x4d', { block: 'bottleneck', layers: [2, 2, 2, 2], cardinality: 32, baseWidth: 4, stemWidth: 32, stemType: 'deep', avgDown: true, blockArgs: { attnLayer: 'se' } });
  resnet('seresnext26t_32x4d', { block: 'bottleneck', layers: [2, 2, 2, 2], cardinality: 32, baseWidth: 4, stemWidth: 32, stemType: 'deep_tiered', avgDown: true, blockArgs: { attnLayer: 'se' } });
  resnet('seresnext50_32x4d', { block: 'bottleneck', layers: [3, 4, 6, 3], cardinality: 32, baseWidth: 4, blockArgs: { attnLayer: 'se' } });
  resnet('seresnext101_32x4d', { block: 'bottleneck', layers: [3, 4, 23, 3], cardinality: 32, baseWidth: 4, blockArgs: { attnLayer: 'se' } });
  resnet('seresnext101_32x8d', { block: 'bottleneck', layers: [3, 4, 23, 3], cardinality: 32, baseWidth: 8, blockArgs: { attnLayer: 'se' } });
  resnet('seresnext101d_32x8d', { block: 'bottleneck', layers: [3, 4, 23, 3], cardinality: 32, baseWidth: 8, stemWidth: 32, stemType: 'deep', avgDown: true, blockArgs: { attnLayer: 'se' } });
  resnet('seresnext101_64x4d', { block: 'bottleneck', layers: [3, 4, 23, 3], cardinality: 64, baseWidth: 4, blockArgs: { attnLayer: 'se' } });
  resnet('senet154', { block: 'bottleneck', layers: [3, 8, 36, 3], cardinality: 64, baseWidth: 4, stemType: 'deep', downKernelSize: 3, blockReduceFirst: 2, blockArgs: { attnLayer: 'se' } });
  resnet('resnetblur18', { block: 'basic', layers: [2, 2, 2, 2], aaLayer: 'blurpool' });
  resnet('resnetblur50', { block: 'bottleneck', layers: [3, 4, 6, 3], aaLayer: 'blurpool' });
  resnet('resnetblur50d', { block: 'bottleneck', layers: [3, 4, 6, 3], aaLayer: 'blurpool', stemWidth: 32, stemType: 'deep', avgDown: true });
  resnet('resnetblur101d', { block: 'bottleneck', layers: [3, 4, 23, 3], aaLayer: 'blurpool', stemWidth: 32, stemType: 'deep', avgDown: true });
  resnet('resnetaa34d', { block: 'basic', layers: [3, 4, 6, 3], aaLayer: 'avgpool', stemWidth: 32, stemType: 'deep', avgDown: true });
  resnet('resnetaa50', { block: 'bottleneck', layers: [3, 4, 6, 3], aaLayer: 'avgpool' });
  resnet('resnetaa50d', { block: 'bottleneck', layers: [3, 4, 6, 3], aaLayer: 'avgpool', stemWidth: 32, stemType: 'deep', avgDown: true });
  resnet('resnetaa101d', { block: 'bottleneck', layers: [3, 4, 23, 3], aaLayer: 'avgpool', stemWidth: 32, stemType: 'deep', avgDown: true });
  resnet('seresnetaa50d', { block: 'bottleneck', layers: [3, 4, 6, 3], aaLayer: 'avgpool', stemWidth: 32, stemType: 'deep', avgDown: true, blockArgs: { attnLayer: 'se' } });
  resnet('seresnextaa101d_32x8d', { block: 'bottleneck', layers: [3, 4, 23, 3], cardinality: 32, baseWidth: 8, stemWidth: 32, stemType: 'deep', avgDown: true, aaLayer: 'avgpool', blockArgs: { attnLayer: 'se' } });
  resnet('seresnextaa201d_32x8d', { block: 'bottleneck', layers: [3, 24, 36, 4], cardinality: 32, baseWidth: 8, stemWidth: 64, stemType: 'deep', avgDown: true, aaLayer: 'avgpool', blockArgs: { attnLayer: 'se' } });
  resnet('resnetrs50', { block: 'bottleneck', layers: [3, 4, 6, 3], stemWidth: 32, stemType: 'deep', replaceStemPool: true, avgDown: true, blockArgs: { attnLayer: { type: 'se', rdRatio: 0.25 } } });
  resnet('resnetrs101', { block: 'bottleneck', layers: [3, 4, 23, 3], stemWidth: 32, stemType: 'deep', replaceStemPool: true, avgDown: true, blockArgs: { attnLayer: { type: 'se', rdRatio: 0.25 } } });
  resnet('resnetrs152', { block: 'bottleneck', layers: [3, 8, 36, 3], stemWidth: 32, stemType: 'deep', replaceStemPool: true, avgDown: true, blockArgs: { attnLayer: { type: 'se', rdRatio: 0.25 } } });
  resnet('resnetrs200', { block: 'bottleneck', layers: [3, 24, 36, 3], stemWidth: 32, stemType: 'deep', replaceStemPool: true, avgDown: true, blockArgs: { attnLayer: { type: 'se', rdRatio: 0.25 } } });
  resnet('resnetrs270', { block: 'bottleneck', layers: [4, 29, 53, 4], stemWidth: 32, stemType: 'deep', replaceStemPool: true, avgDown: true, blockArgs: { attnLayer: { type: 'se', rdRatio: 0.25 } } });
  resnet('resnetrs350', { block: 'bottleneck', layers: [4, 36, 72, 4], stemWidth: 32, stemType: 'deep', replaceStemPool: true, avgDown: true, blockArgs: { attnLayer: { type: 'se', rdRatio: 0.25 } } });
  resnet('resnetrs420', { block: 'bottleneck', layers: [4, 44, 87, 4], stemWidth: 32, stemType: 'deep', replaceStemPool: true, avgDown: true, blockArgs: { attnLayer: { type: 'se', rdRatio: 0.25 } } });
  resnet('test_resnet', { block: ['basic', 'basic', 'bottleneck', 'basic'], layers: [1, 1, 1, 1], stemWidth: 16, stemType: 'deep', avgDown: true, channels: [32, 48, 48, 96] });

  registerModelDeprecations(MODULE, {
    tv_resnet34: 'resnet34.tv_in1k',
    tv_resnet50: 'resnet50.tv_in1k',
    tv_resnet101: 'resnet101.tv_in1k',
    tv_resnet152: 'resnet152.tv_in1k',
    tv_resnext50_32x4d: 'resnext50_32x4d.tv_in1k',
    ig_resnext101_32x8d: 'resnext101_32x8d.fb_wsl_ig1b_ft_in1k',
    ig_resnext101_32x16d: 'resnext101_32x8d.fb_wsl_ig1b_ft_in1k',
    ig_resnext101_32x32d: 'resnext101_32x8d.fb_wsl_ig1b_ft_in1k',
    ig_resnext101_32x48d: 'resnext101_32x8d.fb_wsl_ig1b_ft_in1k',
    ssl_resnet18: 'resnet18.fb_ssl_yfcc100m_ft_in1k',
    ssl_resnet50: 'resnet50.fb_ssl_yfcc100m_ft_in1k',
    ssl_resnext50_32x4d: 'resnext50_32x4d.fb_ssl_yfcc100m_ft_in1k',
    ssl_resnext101_32x4d: 'resnext101_32x4d.fb_ssl_yfcc100m_ft_in1k',
    ssl_resnext101_32x8d: 'resnext101_32x8d.fb_ssl_yfcc100m_ft_in1k',
    ssl_resnext101_32x16d: 'resnext101_32x16d.fb_ssl_yfcc100m_ft_in1k',
    swsl_resnet18: 'resnet18.fb_swsl_ig1b_ft_in1k',
    swsl_resnet50: 'resnet50.fb_swsl_ig1b_ft_in1k',
    swsl_resnext50_32x4d: 'resnext50_32x4d.fb_swsl_ig1b_ft_in1k',
    swsl_resnext101_32x4d: 'resnext101_32x4d.fb_swsl_ig1b_ft_in1k',
    swsl_resnext101_32x8d: 'resnext101_32x8d.fb_swsl_ig1b_ft_in1k',
    swsl_resnext101_32x16d: 'resnext101_32x16d.fb_swsl_ig1b_ft_in1k',
    gluon_resnet18_v1b: 'resnet18.gluon_in1k',
    gluon_resnet34_v1b: 'resnet34.gluon_in1k',
    gluon_resnet50_v1b: 'resnet50.gluon_in1k',
    gluon_resnet101_v1b: 'resnet101.gluon_in1k',
    gluon_resnet152_v1b: 'resnet152.gluon_in1k',
    gluon_resnet50_v1c: 'resnet50c.gluon_in1k',
    gluon_resnet101_v1c: 'resnet101c.gluon_in1k',
    gluon_resnet152_v1c: 'resnet152c.gluon_in1k',
    gluon_resnet50_v1d: 'resnet50d.gluon_in1k',
    gluon_resnet101_v1d: 'resnet101d.gluon_in1k',
    gluon_resnet152_v1d: 'resnet152d.gluon_in1k',
    gluon_resnet50_v1s: 'resnet50s.gluon_in1k',
    gluon_resnet101_v1s: 'resnet101s.gluon_in1k',
    gluon_resnet152_v1s: 'resnet152s.gluon_in1k',
    gluon_resnext50_32x4d: 'resnext50_32x4d.gluon_in1k',
    gluon_resnext101_32x4d: 'resnext101_32x4d.gluon_in1k',
    gluon_resnext101_64x4d: 'resnext101_64x4d.gluon_in1k',
    gluon_seresnext50_32x4d: 'seresnext50_32x4d.gluon_in1k',
    gluon_seresnext101_32x4d: 'seresnext101_32x4d.gluon_in1k',
    gluon_seresnext101_64x4d: 'seresnext101_64x4d.gluon_in1k',
    gluon_senet154: 'senet154.gluon_in1k',
    seresnext26tn_32x4d: 'seresnext26t_32x4d',
  });
}
