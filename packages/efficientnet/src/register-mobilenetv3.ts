// Every architecture of timm's mobilenetv3.py that this package builds: each is its arguments and one call, as in timm.
import { type CreateModelOptions, registerModel, registerModelDeprecations } from '@zoo/core';
import { defaultCfgs } from './cfgs.js';
import { type Created, type Kwargs, tfDefaults } from './gen-efficientnet.js';
import { genFbnetv3, genLcnet, genMobilenetV3, genMobilenetV3Rw, genMobilenetV4 } from './gen-mobilenetv3.js';
import { BN_EPS_TF_DEFAULT } from './builder.js';

/** timm's module name for these architectures. */
export const MOBILENETV3_MODULE = 'mobilenetv3';

/** Architectures of timm's mobilenetv3.py left out (none: every one is built). */
export const MOBILENETV3_LEFT_OUT: string[] = [];

const reg = (name: string, create: (kw: Kwargs) => Created) =>
  registerModel({ name, module: MOBILENETV3_MODULE, defaultCfg: defaultCfgs[name], create: (kw: CreateModelOptions) => create(kw as Kwargs) });

/** Registers the mobilenetv3-module architectures (idempotent). */
export function registerMobilenetv3(): void {
  reg('mobilenetv3_large_075', (kw) => genMobilenetV3('mobilenetv3_large_075', kw, { channelMultiplier: 0.75 }));
  reg('mobilenetv3_large_100', (kw) => genMobilenetV3('mobilenetv3_large_100', kw, { channelMultiplier: 1.0 }));
  reg('mobilenetv3_large_150d', (kw) => genMobilenetV3('mobilenetv3_large_150d', kw, { channelMultiplier: 1.5, depthMultiplier: 1.2 }));
  reg('mobilenetv3_small_050', (kw) => genMobilenetV3('mobilenetv3_small_050', kw, { channelMultiplier: 0.5 }));
  reg('mobilenetv3_small_075', (kw) => genMobilenetV3('mobilenetv3_small_075', kw, { channelMultiplier: 0.75 }));
  reg('mobilenetv3_small_100', (kw) => genMobilenetV3('mobilenetv3_small_100', kw, { channelMultiplier: 1.0 }));
  reg('mobilenetv3_rw', (kw) => genMobilenetV3Rw('mobilenetv3_rw', 1.0, { ...kw, bnEps: kw.bnEps ?? BN_EPS_TF_DEFAULT }));
  reg('tf_mobilenetv3_large_075', (kw) => genMobilenetV3('tf_mobilenetv3_large_075', tfDefaults(kw), { channelMultiplier: 0.75 }));
  reg('tf_mobilenetv3_large_100', (kw) => genMobilenetV3('tf_mobilenetv3_large_100', tfDefaults(kw), { channelMultiplier: 1.0 }));
  reg('tf_mobilenetv3_large_minimal_100', (kw) => genMobilenetV3('tf_mobilenetv3_large_minimal_100', tfDefaults(kw), { channelMultiplier: 1.0 }));
  reg('tf_mobilenetv3_small_075', (kw) => genMobilenetV3('tf_mobilenetv3_small_075', tfDefaults(kw), { channelMultiplier: 0.75 }));
  reg('tf_mobilenetv3_small_100', (kw) => genMobilenetV3('tf_mobilenetv3_small_100', tfDefaults(kw), { channelMultiplier: 1.0 }));
  reg('tf_mobilenetv3_small_minimal_100', (kw) => genMobilenetV3('tf_mobilenetv3_small_minimal_100', tfDefaults(kw), { channelMultiplier: 1.0 }));
  reg('fbnetv3_b', (kw) => genFbnetv3('fbnetv3_b', 1.0, kw));
  reg('fbnetv3_d', (kw) => genFbnetv3('fbnetv3_d', 1.0, kw));
  reg('fbnetv3_g', (kw) => genFbnetv3('fbnetv3_g', 1.0, kw));
  reg('lcnet_035', (kw) => genLcnet('lcnet_035', 0.35, kw));
  reg('lcnet_050', (kw) => genLcnet('lcnet_050', 0.5, kw));
  reg('lcnet_075', (kw) => genLcnet('lcnet_075', 0.75, kw));
  reg('lcnet_100', (kw) => genLcnet('lcnet_100', 1.0, kw));
  reg('lcnet_150', (kw) => genLcnet('lcnet_150', 1.5, kw));
  reg('mobilenetv4_conv_small_035', (kw) => genMobilenetV4('mobilenetv4_conv_small_035', 0.35, kw));
  reg('mobilenetv4_conv_small_050', (kw) => genMobilenetV4('mobilenetv4_conv_small_050', 0.5, kw));
  reg('mobilenetv4_conv_small', (kw) => genMobilenetV4('mobilenetv4_conv_small', 1.0, kw));
  reg('mobilenetv4_conv_medium', (kw) => genMobilenetV4('mobilenetv4_conv_medium', 1.0, kw));
  reg('mobilenetv4_conv_large', (kw) => genMobilenetV4('mobilenetv4_conv_large', 1.0, kw));
  reg('mobilenetv4_hybrid_medium', (kw) => genMobilenetV4('mobilenetv4_hybrid_medium', 1.0, kw));
  reg('mobilenetv4_hybrid_large', (kw) => genMobilenetV4('mobilenetv4_hybrid_large', 1.0, kw));
  reg('mobilenetv4_conv_aa_medium', (kw) => genMobilenetV4('mobilenetv4_conv_aa_medium', 1.0, { aaLayer: 'avg', ...kw }));
  reg('mobilenetv4_conv_blur_medium', (kw) => genMobilenetV4('mobilenetv4_conv_blur_medium', 1.0, { aaLayer: 'blurpc', ...kw }));
  reg('mobilenetv4_conv_aa_large', (kw) => genMobilenetV4('mobilenetv4_conv_aa_large', 1.0, { aaLayer: 'avg', ...kw }));
  reg('mobilenetv4_hybrid_medium_075', (kw) => genMobilenetV4('mobilenetv4_hybrid_medium_075', 0.75, kw));
  reg('mobilenetv4_hybrid_large_075', (kw) => genMobilenetV4('mobilenetv4_hybrid_large_075', 0.75, kw));

  registerModelDeprecations(MOBILENETV3_MODULE, {
    mobilenetv3_large_100_miil: 'mobilenetv3_large_100.miil_in21k_ft_in1k',
    mobilenetv3_large_100_miil_in21k: 'mobilenetv3_large_100.miil_in21k',
  });
}
