// The `_gen_*` functions of timm's efficientnet.py: each builds the model kwargs for one family and creates it.
import type { CreateModelOptions, FeatureModel, VisionModel } from '@zoo/core';
import { BN_EPS_TF_DEFAULT, decodeArchDef, roundChannels } from './builder.js';
import { createEffnet } from './factory.js';
import type { NormLayer } from '@zoo/core';
import { PRUNED } from './pruned.js';

export type Kwargs = CreateModelOptions & Record<string, unknown>;
export type Created = Promise<VisionModel | FeatureModel>;

/** timm's `resolve_bn_args` + `norm_layer` default: BatchNorm with the given eps unless a norm layer is passed. */
export function popNorm(kw: Kwargs): NormLayer {
  const norm = (kw.normLayer as NormLayer | undefined) ?? { type: 'batchnorm', ...(kw.bnEps !== undefined ? { eps: kw.bnEps as number } : {}) };
  delete kw.normLayer;
  delete kw.bnEps;
  delete kw.bnMomentum;
  return norm as NormLayer;
}

/** timm's `resolve_act_layer(kwargs, default)`. */
export function popAct(kw: Kwargs, dflt: string): string {
  const a = (kw.actLayer as string | undefined) ?? dflt;
  delete kw.actLayer;
  return a;
}

/** The `tf_*` ports: TF BatchNorm eps and TF 'SAME' padding unless given. */
export function tfDefaults(kw: Kwargs): Kwargs {
  return { ...kw, bnEps: kw.bnEps ?? BN_EPS_TF_DEFAULT, padType: kw.padType ?? 'same' };
}

const rc = (multiplier: number, divisor = 8, roundLimit = 0.9) => (c: number) => roundChannels(c, multiplier, divisor, undefined, roundLimit);

function create(variant: string, kw: Kwargs, modelKwargs: Record<string, unknown>, opts: { pruned?: boolean } = {}): Created {
  const all = { ...modelKwargs, ...kw };
  if (opts.pruned) all.pruned = true;
  return createEffnet(variant, all as Kwargs, opts.pruned ? PRUNED[variant] : undefined);
}

export function genMnasnetA1(variant: string, channelMultiplier: number, kw: Kwargs): Created {
  const archDef = [
    ['ds_r1_k3_s1_e1_c16_noskip'], ['ir_r2_k3_s2_e6_c24'], ['ir_r3_k5_s2_e3_c40_se0.25'], ['ir_r4_k3_s2_e6_c80'],
    ['ir_r2_k3_s1_e6_c112_se0.25'], ['ir_r3_k5_s2_e6_c160_se0.25'], ['ir_r1_k3_s1_e6_c320'],
  ];
  kw = { ...kw };
  return create(variant, kw, { blockArgs: decodeArchDef(archDef), stemSize: 32, roundChsFn: rc(channelMultiplier), normLayer: popNorm(kw) });
}

export function genMnasnetB1(variant: string, channelMultiplier: number, kw: Kwargs): Created {
  const archDef = [
    ['ds_r1_k3_s1_c16_noskip'], ['ir_r3_k3_s2_e3_c24'], ['ir_r3_k5_s2_e3_c40'], ['ir_r3_k5_s2_e6_c80'],
    ['ir_r2_k3_s1_e6_c96'], ['ir_r4_k5_s2_e6_c192'], ['ir_r1_k3_s1_e6_c320_noskip'],
  ];
  kw = { ...kw };
  return create(variant, kw, { blockArgs: decodeArchDef(archDef), stemSize: 32, roundChsFn: rc(channelMultiplier), normLayer: popNorm(kw) });
}

export function genMnasnetSmall(variant: string, channelMultiplier: number, kw: Kwargs): Created {
  const archDef = [
    ['ds_r1_k3_s1_c8'], ['ir_r1_k3_s2_e3_c16'], ['ir_r2_k3_s2_e6_c16'], ['ir_r4_k5_s2_e6_c32_se0.25'],
    ['ir_r3_k3_s1_e6_c32_se0.25'], ['ir_r3_k5_s2_e6_c88_se0.25'], ['ir_r1_k3_s1_e6_c144'],
  ];
  kw = { ...kw };
  return create(variant, kw, { blockArgs: decodeArchDef(archDef), stemSize: 8, roundChsFn: rc(channelMultiplier), normLayer: popNorm(kw) });
}

export function genMobilenetV1(
  variant: string, kw: Kwargs,
  o: { channelMultiplier?: number; depthMultiplier?: number; groupSize?: number | null; fixStemHead?: boolean; headConv?: boolean } = {},
): Created {
  const { channelMultiplier = 1.0, depthMultiplier = 1.0, groupSize = null, fixStemHead = false, headConv = false } = o;
  const archDef = [['dsa_r1_k3_s1_c64'], ['dsa_r2_k3_s2_c128'], ['dsa_r2_k3_s2_c256'], ['dsa_r6_k3_s2_c512'], ['dsa_r2_k3_s2_c1024']];
  const roundChsFn = rc(channelMultiplier);
  const headFeatures = headConv ? (fixStemHead ? 1024 : Math.max(1024, roundChsFn(1024))) : 0;
  kw = { ...kw };
  return create(variant, kw, {
    blockArgs: decodeArchDef(archDef, { depthMultiplier, fixFirstLast: fixStemHead, groupSize }),
    numFeatures: headFeatures, stemSize: 32, fixStem: fixStemHead, roundChsFn, normLayer: popNorm(kw), actLayer: popAct(kw, 'relu6'),
  });
}

export function genMobilenetV2(
  variant: string, kw: Kwargs,
  o: { channelMultiplier?: number; depthMultiplier?: number; groupSize?: number | null; fixStemHead?: boolean } = {},
): Created {
  const { channelMultiplier = 1.0, depthMultiplier = 1.0, groupSize = null, fixStemHead = false } = o;
  const archDef = [
    ['ds_r1_k3_s1_c16'], ['ir_r2_k3_s2_e6_c24'], ['ir_r3_k3_s2_e6_c32'], ['ir_r4_k3_s2_e6_c64'], ['ir_r3_k3_s1_e6_c96'],
    ['ir_r3_k3_s2_e6_c160'], ['ir_r1_k3_s1_e6_c320'],
  ];
  const roundChsFn = rc(channelMultiplier);
  kw = { ...kw };
  return create(variant, kw, {
    blockArgs: decodeArchDef(archDef, { depthMultiplier, fixFirstLast: fixStemHead, groupSize }),
    numFeatures: fixStemHead ? 1280 : Math.max(1280, roundChsFn(1280)), stemSize: 32, fixStem: fixStemHead, roundChsFn,
    normLayer: popNorm(kw), actLayer: popAct(kw, 'relu6'),
  });
}

export function genFbnetc(variant: string, channelMultiplier: number, kw: Kwargs): Created {
  const archDef = [
    ['ir_r1_k3_s1_e1_c16'], ['ir_r1_k3_s2_e6_c24', 'ir_r2_k3_s1_e1_c24'],
    ['ir_r1_k5_s2_e6_c32', 'ir_r1_k5_s1_e3_c32', 'ir_r1_k5_s1_e6_c32', 'ir_r1_k3_s1_e6_c32'],
    ['ir_r1_k5_s2_e6_c64', 'ir_r1_k5_s1_e3_c64', 'ir_r2_k5_s1_e6_c64'], ['ir_r3_k5_s1_e6_c112', 'ir_r1_k5_s1_e3_c112'],
    ['ir_r4_k5_s2_e6_c184'], ['ir_r1_k3_s1_e6_c352'],
  ];
  kw = { ...kw };
  return create(variant, kw, {
    blockArgs: decodeArchDef(archDef), stemSize: 16, numFeatures: 1984, roundChsFn: rc(channelMultiplier), normLayer: popNorm(kw),
  });
}

export function genSpnasnet(variant: string, channelMultiplier: number, kw: Kwargs): Created {
  const archDef = [
    ['ds_r1_k3_s1_c16_noskip'], ['ir_r3_k3_s2_e3_c24'], ['ir_r1_k5_s2_e6_c40', 'ir_r3_k3_s1_e3_c40'],
    ['ir_r1_k5_s2_e6_c80', 'ir_r3_k3_s1_e3_c80'], ['ir_r1_k5_s1_e6_c96', 'ir_r3_k5_s1_e3_c96'], ['ir_r4_k5_s2_e6_c192'],
    ['ir_r1_k3_s1_e6_c320_noskip'],
  ];
  kw = { ...kw };
  return create(variant, kw, { blockArgs: decodeArchDef(archDef), stemSize: 32, roundChsFn: rc(channelMultiplier), normLayer: popNorm(kw) });
}

export function genEfficientnet(
  variant: string, kw: Kwargs,
  o: { channelMultiplier?: number; depthMultiplier?: number; channelDivisor?: number; groupSize?: number | null; pruned?: boolean } = {},
): Created {
  const { channelMultiplier = 1.0, depthMultiplier = 1.0, channelDivisor = 8, groupSize = null } = o;
  const archDef = [
    ['ds_r1_k3_s1_e1_c16_se0.25'], ['ir_r2_k3_s2_e6_c24_se0.25'], ['ir_r2_k5_s2_e6_c40_se0.25'], ['ir_r3_k3_s2_e6_c80_se0.25'],
    ['ir_r3_k5_s1_e6_c112_se0.25'], ['ir_r4_k5_s2_e6_c192_se0.25'], ['ir_r1_k3_s1_e6_c320_se0.25'],
  ];
  const roundChsFn = rc(channelMultiplier, channelDivisor);
  kw = { ...kw };
  return create(variant, kw, {
    blockArgs: decodeArchDef(archDef, { depthMultiplier, groupSize }), numFeatures: roundChsFn(1280), stemSize: 32, roundChsFn,
    actLayer: popAct(kw, 'swish'), normLayer: popNorm(kw),
  }, { pruned: o.pruned });
}

export function genEfficientnetEdge(variant: string, kw: Kwargs, o: { channelMultiplier?: number; depthMultiplier?: number; groupSize?: number | null } = {}): Created {
  const { channelMultiplier = 1.0, depthMultiplier = 1.0, groupSize = null } = o;
  const archDef = [
    ['er_r1_k3_s1_e4_c24_fc24_noskip'], ['er_r2_k3_s2_e8_c32'], ['er_r4_k3_s2_e8_c48'], ['ir_r5_k5_s2_e8_c96'],
    ['ir_r4_k5_s1_e8_c144'], ['ir_r2_k5_s2_e8_c192'],
  ];
  const roundChsFn = rc(channelMultiplier);
  kw = { ...kw };
  return create(variant, kw, {
    blockArgs: decodeArchDef(archDef, { depthMultiplier, groupSize }), numFeatures: roundChsFn(1280), stemSize: 32, roundChsFn,
    normLayer: popNorm(kw), actLayer: popAct(kw, 'relu'),
  });
}

export function genEfficientnetLite(variant: string, kw: Kwargs, o: { channelMultiplier?: number; depthMultiplier?: number } = {}): Created {
  const { channelMultiplier = 1.0, depthMultiplier = 1.0 } = o;
  const archDef = [
    ['ds_r1_k3_s1_e1_c16'], ['ir_r2_k3_s2_e6_c24'], ['ir_r2_k5_s2_e6_c40'], ['ir_r3_k3_s2_e6_c80'], ['ir_r3_k5_s1_e6_c112'],
    ['ir_r4_k5_s2_e6_c192'], ['ir_r1_k3_s1_e6_c320'],
  ];
  kw = { ...kw };
  return create(variant, kw, {
    blockArgs: decodeArchDef(archDef, { depthMultiplier, fixFirstLast: true }), numFeatures: 1280, stemSize: 32, fixStem: true,
    roundChsFn: rc(channelMultiplier), actLayer: popAct(kw, 'relu6'), normLayer: popNorm(kw),
  });
}

export function genEfficientnetV2Base(variant: string, kw: Kwargs, o: { channelMultiplier?: number; depthMultiplier?: number; groupSize?: number | null } = {}): Created {
  const { channelMultiplier = 1.0, depthMultiplier = 1.0, groupSize = null } = o;
  const archDef = [
    ['cn_r1_k3_s1_e1_c16_skip'], ['er_r2_k3_s2_e4_c32'], ['er_r2_k3_s2_e4_c48'], ['ir_r3_k3_s2_e4_c96_se0.25'],
    ['ir_r5_k3_s1_e6_c112_se0.25'], ['ir_r8_k3_s2_e6_c192_se0.25'],
  ];
  const roundChsFn = rc(channelMultiplier, 8, 0);
  kw = { ...kw };
  return create(variant, kw, {
    blockArgs: decodeArchDef(archDef, { depthMultiplier, groupSize }), numFeatures: roundChsFn(1280), stemSize: 32, roundChsFn,
    normLayer: popNorm(kw), actLayer: popAct(kw, 'silu'),
  });
}

export function genEfficientnetV2S(
  variant: string, kw: Kwargs, o: { channelMultiplier?: number; depthMultiplier?: number | number[]; groupSize?: number | null; rw?: boolean } = {},
): Created {
  const { channelMultiplier = 1.0, depthMultiplier = 1.0, groupSize = null, rw = false } = o;
  const archDef = [
    ['cn_r2_k3_s1_e1_c24_skip'], ['er_r4_k3_s2_e4_c48'], ['er_r4_k3_s2_e4_c64'], ['ir_r6_k3_s2_e4_c128_se0.25'],
    ['ir_r9_k3_s1_e6_c160_se0.25'], ['ir_r15_k3_s2_e6_c256_se0.25'],
  ];
  let numFeatures = 1280;
  if (rw) {
    archDef[0] = ['er_r2_k3_s1_e1_c24'];
    archDef[archDef.length - 1] = ['ir_r15_k3_s2_e6_c272_se0.25'];
    numFeatures = 1792;
  }
  const roundChsFn = rc(channelMultiplier);
  kw = { ...kw };
  return create(variant, kw, {
    blockArgs: decodeArchDef(archDef, { depthMultiplier, groupSize }), numFeatures: roundChsFn(numFeatures), stemSize: 24, roundChsFn,
    normLayer: popNorm(kw), actLayer: popAct(kw, 'silu'),
  });
}

function genEfficientnetV2Big(variant: string, kw: Kwargs, archDef: string[][], stemSize: number, o: { channelMultiplier?: number; depthMultiplier?: number; groupSize?: number | null }): Created {
  const { channelMultiplier = 1.0, depthMultiplier = 1.0, groupSize = null } = o;
  kw = { ...kw };
  return create(variant, kw, {
    blockArgs: decodeArchDef(archDef, { depthMultiplier, groupSize }), numFeatures: 1280, stemSize, roundChsFn: rc(channelMultiplier),
    normLayer: popNorm(kw), actLayer: popAct(kw, 'silu'),
  });
}

export function genEfficientnetV2M(variant: string, kw: Kwargs, o: { channelMultiplier?: number; depthMultiplier?: number; groupSize?: number | null } = {}): Created {
  return genEfficientnetV2Big(variant, kw, [
    ['cn_r3_k3_s1_e1_c24_skip'], ['er_r5_k3_s2_e4_c48'], ['er_r5_k3_s2_e4_c80'], ['ir_r7_k3_s2_e4_c160_se0.25'],
    ['ir_r14_k3_s1_e6_c176_se0.25'], ['ir_r18_k3_s2_e6_c304_se0.25'], ['ir_r5_k3_s1_e6_c512_se0.25'],
  ], 24, o);
}

export function genEfficientnetV2L(variant: string, kw: Kwargs, o: { channelMultiplier?: number; depthMultiplier?: number; groupSize?: number | null } = {}): Created {
  return genEfficientnetV2Big(variant, kw, [
    ['cn_r4_k3_s1_e1_c32_skip'], ['er_r7_k3_s2_e4_c64'], ['er_r7_k3_s2_e4_c96'], ['ir_r10_k3_s2_e4_c192_se0.25'],
    ['ir_r19_k3_s1_e6_c224_se0.25'], ['ir_r25_k3_s2_e6_c384_se0.25'], ['ir_r7_k3_s1_e6_c640_se0.25'],
  ], 32, o);
}

export function genEfficientnetV2Xl(variant: string, kw: Kwargs, o: { channelMultiplier?: number; depthMultiplier?: number; groupSize?: number | null } = {}): Created {
  return genEfficientnetV2Big(variant, kw, [
    ['cn_r4_k3_s1_e1_c32_skip'], ['er_r8_k3_s2_e4_c64'], ['er_r8_k3_s2_e4_c96'], ['ir_r16_k3_s2_e4_c192_se0.25'],
    ['ir_r24_k3_s1_e6_c256_se0.25'], ['ir_r32_k3_s2_e6_c512_se0.25'], ['ir_r8_k3_s1_e6_c640_se0.25'],
  ], 32, o);
}

export function genMixnetS(variant: string, channelMultiplier: number, kw: Kwargs): Created {
  const archDef = [
    ['ds_r1_k3_s1_e1_c16'],
    ['ir_r1_k3_a1.1_p1.1_s2_e6_c24', 'ir_r1_k3_a1.1_p1.1_s1_e3_c24'],
    ['ir_r1_k3.5.7_s2_e6_c40_se0.5_nsw', 'ir_r3_k3.5_a1.1_p1.1_s1_e6_c40_se0.5_nsw'],
    ['ir_r1_k3.5.7_p1.1_s2_e6_c80_se0.25_nsw', 'ir_r2_k3.5_p1.1_s1_e6_c80_se0.25_nsw'],
    ['ir_r1_k3.5.7_a1.1_p1.1_s1_e6_c120_se0.5_nsw', 'ir_r2_k3.5.7.9_a1.1_p1.1_s1_e3_c120_se0.5_nsw'],
    ['ir_r1_k3.5.7.9.11_s2_e6_c200_se0.5_nsw', 'ir_r2_k3.5.7.9_p1.1_s1_e6_c200_se0.5_nsw'],
  ];
  kw = { ...kw };
  return create(variant, kw, {
    blockArgs: decodeArchDef(archDef), numFeatures: 1536, stemSize: 16, roundChsFn: rc(channelMultiplier), normLayer: popNorm(kw),
  });
}

export function genMixnetM(variant: string, kw: Kwargs, o: { channelMultiplier?: number; depthMultiplier?: number } = {}): Created {
  const { channelMultiplier = 1.0, depthMultiplier = 1.0 } = o;
  const archDef = [
    ['ds_r1_k3_s1_e1_c24'],
    ['ir_r1_k3.5.7_a1.1_p1.1_s2_e6_c32', 'ir_r1_k3_a1.1_p1.1_s1_e3_c32'],
    ['ir_r1_k3.5.7.9_s2_e6_c40_se0.5_nsw', 'ir_r3_k3.5_a1.1_p1.1_s1_e6_c40_se0.5_nsw'],
    ['ir_r1_k3.5.7_s2_e6_c80_se0.25_nsw', 'ir_r3_k3.5.7.9_a1.1_p1.1_s1_e6_c80_se0.25_nsw'],
    ['ir_r1_k3_s1_e6_c120_se0.5_nsw', 'ir_r3_k3.5.7.9_a1.1_p1.1_s1_e3_c120_se0.5_nsw'],
    ['ir_r1_k3.5.7.9_s2_e6_c200_se0.5_nsw', 'ir_r3_k3.5.7.9_p1.1_s1_e6_c200_se0.5_nsw'],
  ];
  kw = { ...kw };
  return create(variant, kw, {
    blockArgs: decodeArchDef(archDef, { depthMultiplier, depthTrunc: 'round' }), numFeatures: 1536, stemSize: 24,
    roundChsFn: rc(channelMultiplier), normLayer: popNorm(kw),
  });
}

export function genTinynet(variant: string, modelWidth: number, depthMultiplier: number, kw: Kwargs): Created {
  const archDef = [
    ['ds_r1_k3_s1_e1_c16_se0.25'], ['ir_r2_k3_s2_e6_c24_se0.25'], ['ir_r2_k5_s2_e6_c40_se0.25'], ['ir_r3_k3_s2_e6_c80_se0.25'],
    ['ir_r3_k5_s1_e6_c112_se0.25'], ['ir_r4_k5_s2_e6_c192_se0.25'], ['ir_r1_k3_s1_e6_c320_se0.25'],
  ];
  kw = { ...kw };
  return create(variant, kw, {
    blockArgs: decodeArchDef(archDef, { depthMultiplier, depthTrunc: 'round' }),
    numFeatures: Math.max(1280, roundChannels(1280, modelWidth, 8)), stemSize: 32, fixStem: true, roundChsFn: rc(modelWidth),
    actLayer: popAct(kw, 'swish'), normLayer: popNorm(kw),
  });
}

export function genMobilenetEdgetpu(variant: string, kw: Kwargs, o: { channelMultiplier?: number; depthMultiplier?: number } = {}): Created {
  const { channelMultiplier = 1.0, depthMultiplier = 1.0 } = o;
  kw = { ...kw };
  let stemSize = 32;
  let stemKernelSize = 3;
  let numFeatures = 1280;
  let archDef: string[][];
  const actLayer = popAct(kw, 'relu');
  if (variant.includes('edgetpu_v2')) {
    stemSize = 64;
    stemKernelSize = 5;
    let groupSize = 64;
    let chs: number[];
    if (variant.includes('edgetpu_v2_xs')) {
      stemSize = 32;
      stemKernelSize = 3;
      chs = [16, 32, 48, 96, 144, 160, 192];
    } else if (variant.includes('edgetpu_v2_s')) {
      chs = [24, 48, 64, 128, 160, 192, 256];
    } else if (variant.includes('edgetpu_v2_m')) {
      chs = [32, 64, 80, 160, 192, 240, 320];
      numFeatures = 1344;
    } else if (variant.includes('edgetpu_v2_l')) {
      stemKernelSize = 7;
      groupSize = 128;
      chs = [32, 64, 96, 192, 240, 256, 384];
      numFeatures = 1408;
    } else throw new Error(`Unknown variant ${variant}`);
    const gs = groupSize;
    archDef = [
      [`cn_r1_k1_s1_c${chs[0]}`],
      [`er_r1_k3_s2_e8_c${chs[1]}`, `er_r1_k3_s1_e4_gs${gs}_c${chs[1]}`],
      [`er_r1_k3_s2_e8_c${chs[2]}`, `er_r1_k3_s1_e4_gs${gs}_c${chs[2]}`, `er_r1_k3_s1_e4_c${chs[2]}`, `er_r1_k3_s1_e4_gs${gs}_c${chs[2]}`],
      [`er_r1_k3_s2_e8_c${chs[3]}`, `ir_r3_k3_s1_e4_c${chs[3]}`],
      [`ir_r1_k3_s1_e8_c${chs[4]}`, `ir_r3_k3_s1_e4_c${chs[4]}`],
      [`ir_r1_k3_s2_e8_c${chs[5]}`, `ir_r3_k3_s1_e4_c${chs[5]}`],
      [`ir_r1_k3_s1_e8_c${chs[6]}`],
    ];
  } else {
    archDef = [
      ['cn_r1_k1_s1_c16'], ['er_r1_k3_s2_e8_c32', 'er_r3_k3_s1_e4_c32'], ['er_r1_k3_s2_e8_c48', 'er_r3_k3_s1_e4_c48'],
      ['ir_r1_k3_s2_e8_c96', 'ir_r3_k3_s1_e4_c96'], ['ir_r1_k3_s1_e8_c96_noskip', 'ir_r3_k3_s1_e4_c96'],
      ['ir_r1_k5_s2_e8_c160', 'ir_r3_k5_s1_e4_c160'], ['ir_r1_k3_s1_e8_c192'],
    ];
  }
  return create(variant, kw, {
    blockArgs: decodeArchDef(archDef, { depthMultiplier }), numFeatures, stemSize, stemKernelSize, roundChsFn: rc(channelMultiplier),
    normLayer: popNorm(kw), actLayer,
  });
}

export function genTestEfficientnet(variant: string, kw: Kwargs, o: { channelMultiplier?: number; depthMultiplier?: number } = {}): Created {
  const { channelMultiplier = 1.0, depthMultiplier = 1.0 } = o;
  const archDef = [
    ['cn_r1_k3_s1_e1_c16_skip'], ['er_r1_k3_s2_e4_c24'], ['er_r1_k3_s2_e4_c32'], ['ir_r1_k3_s2_e4_c48_se0.25'], ['ir_r1_k3_s2_e4_c64_se0.25'],
  ];
  const roundChsFn = rc(channelMultiplier, 8, 0);
  kw = { ...kw };
  return create(variant, kw, {
    blockArgs: decodeArchDef(archDef, { depthMultiplier }), numFeatures: roundChsFn(256), stemSize: 24, roundChsFn,
    normLayer: popNorm(kw), actLayer: popAct(kw, 'silu'),
  });
}

export function genEfficientnetX(
  variant: string, kw: Kwargs, o: { channelMultiplier?: number; depthMultiplier?: number; channelDivisor?: number; groupSize?: number | null; version?: number } = {},
): Created {
  const { channelMultiplier = 1.0, depthMultiplier = 1.0, channelDivisor = 8, groupSize = null, version = 1 } = o;
  const e = version === 1 ? 6 : 4;
  const archDef = [
    ['ds_r1_k3_s1_e1_c16_se0.25_d1'], [`er_r2_k3_s2_e${e}_c24_se0.25_nre`], [`er_r2_k5_s2_e${e}_c40_se0.25_nre`],
    [`ir_r3_k3_s2_e${e}_c80_se0.25`], ['ir_r3_k5_s1_e6_c112_se0.25'], ['ir_r4_k5_s2_e6_c192_se0.25'], ['ir_r1_k3_s1_e6_c320_se0.25'],
  ];
  const roundChsFn = rc(channelMultiplier, channelDivisor);
  kw = { ...kw };
  return create(variant, kw, {
    blockArgs: decodeArchDef(archDef, { depthMultiplier, groupSize }), numFeatures: roundChsFn(1280), stemSize: 32, roundChsFn,
    actLayer: popAct(kw, 'silu'), normLayer: popNorm(kw),
  });
}

export type { NormLayer };

export function genEfficientnetCondconv(
  variant: string, kw: Kwargs, o: { channelMultiplier?: number; depthMultiplier?: number; expertsMultiplier?: number } = {},
): Created {
  const { channelMultiplier = 1.0, depthMultiplier = 1.0, expertsMultiplier = 1 } = o;
  const archDef = [
    ['ds_r1_k3_s1_e1_c16_se0.25'], ['ir_r2_k3_s2_e6_c24_se0.25'], ['ir_r2_k5_s2_e6_c40_se0.25'], ['ir_r3_k3_s2_e6_c80_se0.25'],
    ['ir_r3_k5_s1_e6_c112_se0.25_cc4'], ['ir_r4_k5_s2_e6_c192_se0.25_cc4'], ['ir_r1_k3_s1_e6_c320_se0.25_cc4'],
  ];
  const roundChsFn = rc(channelMultiplier);
  kw = { ...kw };
  return create(variant, kw, {
    blockArgs: decodeArchDef(archDef, { depthMultiplier, expertsMultiplier }), numFeatures: roundChsFn(1280), stemSize: 32,
    roundChsFn, normLayer: popNorm(kw), actLayer: popAct(kw, 'swish'),
  });
}
