// timm's efficientnet.py and mobilenetv3.py: each architecture is one of timm's `_gen_*` calls (efficientnet-defs.ts,
// mobilenetv3-defs.ts), which decode its block strings and build it as `_create_effnet` / `_create_mnv3` do.
import { type CreateModelOptions, registerFamily } from '@zoo/core';
import { BN_EPS_TF_DEFAULT } from './builder.js';
import { defaultCfgs } from './cfgs.js';
import {
  type Created, genEfficientnet, genEfficientnetCondconv, genEfficientnetEdge, genEfficientnetLite, genEfficientnetV2Base, genEfficientnetV2L,
  genEfficientnetV2M, genEfficientnetV2S, genEfficientnetV2Xl, genEfficientnetX, genFbnetc, genMixnetM, genMixnetS, genMnasnetA1,
  genMnasnetB1, genMnasnetSmall, genMobilenetEdgetpu, genMobilenetV1, genMobilenetV2, genSpnasnet, genTestEfficientnet,
  genTinynet, type Kwargs, tfDefaults,
} from './efficientnet-defs.js';
import { genFbnetv3, genLcnet, genMobilenetV3, genMobilenetV3Rw, genMobilenetV4 } from './mobilenetv3-defs.js';

/** timm's modules whose architectures this package registers. */
export const MODULES = ['efficientnet', 'mobilenetv3'] as const;

/** An architecture: its `_gen_*` call with createModel's options. */
type Make = (kw: Kwargs) => Created;

const GN8 = { type: 'groupnorm', groupSize: 8 } as const;
const GN16 = { type: 'groupnorm', groupSize: 16 } as const;

/** timm's efficientnet.py architectures (every one is built). */
function efficientnetArchs(): Record<string, Make> {
  const archs: Record<string, Make> = {};
  const reg = (name: string, make: Make) => {
    archs[name] = make;
  };

  reg('mnasnet_050', (kw) => genMnasnetB1('mnasnet_050', 0.5, kw));
  reg('mnasnet_075', (kw) => genMnasnetB1('mnasnet_075', 0.75, kw));
  reg('mnasnet_100', (kw) => genMnasnetB1('mnasnet_100', 1.0, kw));
  reg('mnasnet_140', (kw) => genMnasnetB1('mnasnet_140', 1.4, kw));
  reg('semnasnet_050', (kw) => genMnasnetA1('semnasnet_050', 0.5, kw));
  reg('semnasnet_075', (kw) => genMnasnetA1('semnasnet_075', 0.75, kw));
  reg('semnasnet_100', (kw) => genMnasnetA1('semnasnet_100', 1.0, kw));
  reg('semnasnet_140', (kw) => genMnasnetA1('semnasnet_140', 1.4, kw));
  reg('mnasnet_small', (kw) => genMnasnetSmall('mnasnet_small', 1.0, kw));
  reg('mobilenetv1_100', (kw) => genMobilenetV1('mobilenetv1_100', kw, { channelMultiplier: 1.0 }));
  reg('mobilenetv1_100h', (kw) => genMobilenetV1('mobilenetv1_100h', kw, { channelMultiplier: 1.0, headConv: true }));
  reg('mobilenetv1_125', (kw) => genMobilenetV1('mobilenetv1_125', kw, { channelMultiplier: 1.25 }));
  reg('mobilenetv2_035', (kw) => genMobilenetV2('mobilenetv2_035', kw, { channelMultiplier: 0.35 }));
  reg('mobilenetv2_050', (kw) => genMobilenetV2('mobilenetv2_050', kw, { channelMultiplier: 0.5 }));
  reg('mobilenetv2_075', (kw) => genMobilenetV2('mobilenetv2_075', kw, { channelMultiplier: 0.75 }));
  reg('mobilenetv2_100', (kw) => genMobilenetV2('mobilenetv2_100', kw, { channelMultiplier: 1.0 }));
  reg('mobilenetv2_140', (kw) => genMobilenetV2('mobilenetv2_140', kw, { channelMultiplier: 1.4 }));
  reg('mobilenetv2_110d', (kw) => genMobilenetV2('mobilenetv2_110d', kw, { channelMultiplier: 1.1, depthMultiplier: 1.2, fixStemHead: true }));
  reg('mobilenetv2_120d', (kw) => genMobilenetV2('mobilenetv2_120d', kw, { channelMultiplier: 1.2, depthMultiplier: 1.4, fixStemHead: true }));
  // The pretrained fbnetc_100 was trained with TF's BatchNorm eps.
  reg('fbnetc_100', (kw) => genFbnetc('fbnetc_100', 1.0, kw.pretrained ? { ...kw, bnEps: kw.bnEps ?? BN_EPS_TF_DEFAULT } : kw));
  reg('spnasnet_100', (kw) => genSpnasnet('spnasnet_100', 1.0, kw));

  const effnet: [string, number, number][] = [
    ['b0', 1.0, 1.0], ['b1', 1.0, 1.1], ['b2', 1.1, 1.2], ['b3', 1.2, 1.4], ['b4', 1.4, 1.8], ['b5', 1.6, 2.2],
    ['b6', 1.8, 2.6], ['b7', 2.0, 3.1], ['b8', 2.2, 3.6], ['l2', 4.3, 5.3],
  ];
  for (const [v, cm, dm] of effnet) {
    const name = `efficientnet_${v}`;
    reg(name, (kw) => genEfficientnet(name, kw, { channelMultiplier: cm, depthMultiplier: dm }));
  }
  reg('efficientnet_b0_gn', (kw) => genEfficientnet('efficientnet_b0_gn', { normLayer: GN8, ...kw }));
  reg('efficientnet_b0_g8_gn', (kw) => genEfficientnet('efficientnet_b0_g8_gn', { normLayer: GN8, ...kw }, { groupSize: 8 }));
  reg('efficientnet_b0_g16_evos', (kw) => genEfficientnet('efficientnet_b0_g16_evos', kw, { groupSize: 16, channelDivisor: 16 }));
  reg('efficientnet_b3_gn', (kw) => genEfficientnet('efficientnet_b3_gn', { normLayer: GN16, ...kw }, { channelMultiplier: 1.2, depthMultiplier: 1.4, channelDivisor: 16 }));
  reg('efficientnet_b3_g8_gn', (kw) => genEfficientnet('efficientnet_b3_g8_gn', { normLayer: GN16, ...kw }, { channelMultiplier: 1.2, depthMultiplier: 1.4, groupSize: 8, channelDivisor: 16 }));
  reg('efficientnet_blur_b0', (kw) => genEfficientnet('efficientnet_blur_b0', { aaLayer: 'blurpc', ...kw }));
  reg('efficientnet_es', (kw) => genEfficientnetEdge('efficientnet_es', kw));
  reg('efficientnet_es_pruned', (kw) => genEfficientnetEdge('efficientnet_es_pruned', kw));
  reg('efficientnet_em', (kw) => genEfficientnetEdge('efficientnet_em', kw, { depthMultiplier: 1.1 }));
  reg('efficientnet_el', (kw) => genEfficientnetEdge('efficientnet_el', kw, { channelMultiplier: 1.2, depthMultiplier: 1.4 }));
  reg('efficientnet_el_pruned', (kw) => genEfficientnetEdge('efficientnet_el_pruned', kw, { channelMultiplier: 1.2, depthMultiplier: 1.4 }));
  reg('efficientnet_cc_b0_4e', (kw) => genEfficientnetCondconv('efficientnet_cc_b0_4e', kw));
  reg('efficientnet_cc_b0_8e', (kw) => genEfficientnetCondconv('efficientnet_cc_b0_8e', kw, { expertsMultiplier: 2 }));
  reg('efficientnet_cc_b1_8e', (kw) => genEfficientnetCondconv('efficientnet_cc_b1_8e', kw, { depthMultiplier: 1.1, expertsMultiplier: 2 }));
  const lite: [string, number, number][] = [['lite0', 1.0, 1.0], ['lite1', 1.0, 1.1], ['lite2', 1.1, 1.2], ['lite3', 1.2, 1.4], ['lite4', 1.4, 1.8]];
  for (const [v, cm, dm] of lite) {
    const name = `efficientnet_${v}`;
    reg(name, (kw) => genEfficientnetLite(name, kw, { channelMultiplier: cm, depthMultiplier: dm }));
  }
  const prunedArgs: [string, number, number][] = [['b1', 1.0, 1.1], ['b2', 1.1, 1.2], ['b3', 1.2, 1.4]];
  for (const [v, cm, dm] of prunedArgs) {
    const name = `efficientnet_${v}_pruned`;
    reg(name, (kw) => genEfficientnet(name, tfDefaults(kw), { channelMultiplier: cm, depthMultiplier: dm, pruned: true }));
  }
  reg('efficientnetv2_rw_t', (kw) => genEfficientnetV2S('efficientnetv2_rw_t', kw, { channelMultiplier: 0.8, depthMultiplier: 0.9 }));
  reg('gc_efficientnetv2_rw_t', (kw) => genEfficientnetV2S('gc_efficientnetv2_rw_t', { seLayer: 'gc', ...kw }, { channelMultiplier: 0.8, depthMultiplier: 0.9 }));
  reg('efficientnetv2_rw_s', (kw) => genEfficientnetV2S('efficientnetv2_rw_s', kw, { rw: true }));
  reg('efficientnetv2_rw_m', (kw) => genEfficientnetV2S('efficientnetv2_rw_m', kw, { channelMultiplier: 1.2, depthMultiplier: [1.2, 1.2, 1.2, 1.2, 1.6, 1.6], rw: true }));
  reg('efficientnetv2_s', (kw) => genEfficientnetV2S('efficientnetv2_s', kw));
  reg('efficientnetv2_m', (kw) => genEfficientnetV2M('efficientnetv2_m', kw));
  reg('efficientnetv2_l', (kw) => genEfficientnetV2L('efficientnetv2_l', kw));
  reg('efficientnetv2_xl', (kw) => genEfficientnetV2Xl('efficientnetv2_xl', kw));
  for (const [v, cm, dm] of effnet) {
    const name = `tf_efficientnet_${v}`;
    reg(name, (kw) => genEfficientnet(name, tfDefaults(kw), { channelMultiplier: cm, depthMultiplier: dm }));
  }
  reg('tf_efficientnet_es', (kw) => genEfficientnetEdge('tf_efficientnet_es', tfDefaults(kw)));
  reg('tf_efficientnet_em', (kw) => genEfficientnetEdge('tf_efficientnet_em', tfDefaults(kw), { depthMultiplier: 1.1 }));
  reg('tf_efficientnet_el', (kw) => genEfficientnetEdge('tf_efficientnet_el', tfDefaults(kw), { channelMultiplier: 1.2, depthMultiplier: 1.4 }));
  reg('tf_efficientnet_cc_b0_4e', (kw) => genEfficientnetCondconv('tf_efficientnet_cc_b0_4e', tfDefaults(kw)));
  reg('tf_efficientnet_cc_b0_8e', (kw) => genEfficientnetCondconv('tf_efficientnet_cc_b0_8e', tfDefaults(kw), { expertsMultiplier: 2 }));
  reg('tf_efficientnet_cc_b1_8e', (kw) => genEfficientnetCondconv('tf_efficientnet_cc_b1_8e', tfDefaults(kw), { depthMultiplier: 1.1, expertsMultiplier: 2 }));
  for (const [v, cm, dm] of lite) {
    const name = `tf_efficientnet_${v}`;
    reg(name, (kw) => genEfficientnetLite(name, tfDefaults(kw), { channelMultiplier: cm, depthMultiplier: dm }));
  }
  reg('tf_efficientnetv2_s', (kw) => genEfficientnetV2S('tf_efficientnetv2_s', tfDefaults(kw)));
  reg('tf_efficientnetv2_m', (kw) => genEfficientnetV2M('tf_efficientnetv2_m', tfDefaults(kw)));
  reg('tf_efficientnetv2_l', (kw) => genEfficientnetV2L('tf_efficientnetv2_l', tfDefaults(kw)));
  reg('tf_efficientnetv2_xl', (kw) => genEfficientnetV2Xl('tf_efficientnetv2_xl', tfDefaults(kw)));
  reg('tf_efficientnetv2_b0', (kw) => genEfficientnetV2Base('tf_efficientnetv2_b0', tfDefaults(kw)));
  reg('tf_efficientnetv2_b1', (kw) => genEfficientnetV2Base('tf_efficientnetv2_b1', tfDefaults(kw), { depthMultiplier: 1.1 }));
  reg('tf_efficientnetv2_b2', (kw) => genEfficientnetV2Base('tf_efficientnetv2_b2', tfDefaults(kw), { channelMultiplier: 1.1, depthMultiplier: 1.2 }));
  reg('tf_efficientnetv2_b3', (kw) => genEfficientnetV2Base('tf_efficientnetv2_b3', tfDefaults(kw), { channelMultiplier: 1.2, depthMultiplier: 1.4 }));
  reg('efficientnet_x_b3', (kw) => genEfficientnetX('efficientnet_x_b3', kw, { channelMultiplier: 1.2, depthMultiplier: 1.4 }));
  reg('efficientnet_x_b5', (kw) => genEfficientnetX('efficientnet_x_b5', kw, { channelMultiplier: 1.6, depthMultiplier: 2.2 }));
  reg('efficientnet_h_b5', (kw) => genEfficientnetX('efficientnet_h_b5', kw, { channelMultiplier: 1.92, depthMultiplier: 2.2, version: 2 }));
  reg('mixnet_s', (kw) => genMixnetS('mixnet_s', 1.0, kw));
  reg('mixnet_m', (kw) => genMixnetM('mixnet_m', kw));
  reg('mixnet_l', (kw) => genMixnetM('mixnet_l', kw, { channelMultiplier: 1.3 }));
  reg('mixnet_xl', (kw) => genMixnetM('mixnet_xl', kw, { channelMultiplier: 1.6, depthMultiplier: 1.2 }));
  reg('mixnet_xxl', (kw) => genMixnetM('mixnet_xxl', kw, { channelMultiplier: 2.4, depthMultiplier: 1.3 }));
  reg('tf_mixnet_s', (kw) => genMixnetS('tf_mixnet_s', 1.0, tfDefaults(kw)));
  reg('tf_mixnet_m', (kw) => genMixnetM('tf_mixnet_m', tfDefaults(kw)));
  reg('tf_mixnet_l', (kw) => genMixnetM('tf_mixnet_l', tfDefaults(kw), { channelMultiplier: 1.3 }));
  reg('tinynet_a', (kw) => genTinynet('tinynet_a', 1.0, 1.2, kw));
  reg('tinynet_b', (kw) => genTinynet('tinynet_b', 0.75, 1.1, kw));
  reg('tinynet_c', (kw) => genTinynet('tinynet_c', 0.54, 0.85, kw));
  reg('tinynet_d', (kw) => genTinynet('tinynet_d', 0.54, 0.695, kw));
  reg('tinynet_e', (kw) => genTinynet('tinynet_e', 0.51, 0.6, kw));
  for (const n of ['mobilenet_edgetpu_100', 'mobilenet_edgetpu_v2_xs', 'mobilenet_edgetpu_v2_s', 'mobilenet_edgetpu_v2_m', 'mobilenet_edgetpu_v2_l']) {
    reg(n, (kw) => genMobilenetEdgetpu(n, kw));
  }
  reg('test_efficientnet', (kw) => genTestEfficientnet('test_efficientnet', kw));
  reg('test_efficientnet_gn', (kw) => genTestEfficientnet('test_efficientnet_gn', { normLayer: GN8, ...kw }));
  reg('test_efficientnet_evos', (kw) => genTestEfficientnet('test_efficientnet_evos', { normLayer: { type: 'evonorms0', groupSize: 8 }, ...kw }));
  reg('test_efficientnet_ln', (kw) => genTestEfficientnet('test_efficientnet_ln', { normLayer: { type: 'layernorm' }, ...kw }));
  return archs;
}

/** timm's mobilenetv3.py architectures (every one is built). */
function mobilenetv3Archs(): Record<string, Make> {
  const archs: Record<string, Make> = {};
  const reg = (name: string, make: Make) => {
    archs[name] = make;
  };

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
  return archs;
}

const create = (_name: string, make: Make, kwargs: CreateModelOptions) => make(kwargs as Kwargs);

/** Registers every architecture of timm's efficientnet and mobilenetv3 modules (idempotent). */
export function register(): void {
  registerFamily({
    module: 'efficientnet',
    archs: efficientnetArchs(),
    cfgs: defaultCfgs,
    create,
    deprecations: {
      tf_efficientnet_b0_ap: 'tf_efficientnet_b0.ap_in1k',
      tf_efficientnet_b1_ap: 'tf_efficientnet_b1.ap_in1k',
      tf_efficientnet_b2_ap: 'tf_efficientnet_b2.ap_in1k',
      tf_efficientnet_b3_ap: 'tf_efficientnet_b3.ap_in1k',
      tf_efficientnet_b4_ap: 'tf_efficientnet_b4.ap_in1k',
      tf_efficientnet_b5_ap: 'tf_efficientnet_b5.ap_in1k',
      tf_efficientnet_b6_ap: 'tf_efficientnet_b6.ap_in1k',
      tf_efficientnet_b7_ap: 'tf_efficientnet_b7.ap_in1k',
      tf_efficientnet_b8_ap: 'tf_efficientnet_b8.ap_in1k',
      tf_efficientnet_b0_ns: 'tf_efficientnet_b0.ns_jft_in1k',
      tf_efficientnet_b1_ns: 'tf_efficientnet_b1.ns_jft_in1k',
      tf_efficientnet_b2_ns: 'tf_efficientnet_b2.ns_jft_in1k',
      tf_efficientnet_b3_ns: 'tf_efficientnet_b3.ns_jft_in1k',
      tf_efficientnet_b4_ns: 'tf_efficientnet_b4.ns_jft_in1k',
      tf_efficientnet_b5_ns: 'tf_efficientnet_b5.ns_jft_in1k',
      tf_efficientnet_b6_ns: 'tf_efficientnet_b6.ns_jft_in1k',
      tf_efficientnet_b7_ns: 'tf_efficientnet_b7.ns_jft_in1k',
      tf_efficientnet_l2_ns_475: 'tf_efficientnet_l2.ns_jft_in1k_475',
      tf_efficientnet_l2_ns: 'tf_efficientnet_l2.ns_jft_in1k',
      tf_efficientnetv2_s_in21ft1k: 'tf_efficientnetv2_s.in21k_ft_in1k',
      tf_efficientnetv2_m_in21ft1k: 'tf_efficientnetv2_m.in21k_ft_in1k',
      tf_efficientnetv2_l_in21ft1k: 'tf_efficientnetv2_l.in21k_ft_in1k',
      tf_efficientnetv2_xl_in21ft1k: 'tf_efficientnetv2_xl.in21k_ft_in1k',
      tf_efficientnetv2_s_in21k: 'tf_efficientnetv2_s.in21k',
      tf_efficientnetv2_m_in21k: 'tf_efficientnetv2_m.in21k',
      tf_efficientnetv2_l_in21k: 'tf_efficientnetv2_l.in21k',
      tf_efficientnetv2_xl_in21k: 'tf_efficientnetv2_xl.in21k',
      efficientnet_b2a: 'efficientnet_b2',
      efficientnet_b3a: 'efficientnet_b3',
      mnasnet_a1: 'semnasnet_100',
      mnasnet_b1: 'mnasnet_100',
    },
  });
  registerFamily({
    module: 'mobilenetv3',
    archs: mobilenetv3Archs(),
    cfgs: defaultCfgs,
    create,
    deprecations: {
      mobilenetv3_large_100_miil: 'mobilenetv3_large_100.miil_in21k_ft_in1k',
      mobilenetv3_large_100_miil_in21k: 'mobilenetv3_large_100.miil_in21k',
    },
  });
}
