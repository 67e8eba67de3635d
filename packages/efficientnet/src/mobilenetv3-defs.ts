// The `_gen_*` functions of timm's mobilenetv3.py.
import { decodeArchDef, roundChannels } from './builder.js';
import { createMnv3 } from './factory.js';
import { type Created, type Kwargs, popAct, popNorm } from './efficientnet-defs.js';

const rc = (multiplier: number, roundLimit = 0.9) => (c: number) => roundChannels(c, multiplier, 8, undefined, roundLimit);

function create(variant: string, kw: Kwargs, modelKwargs: Record<string, unknown>): Created {
  return createMnv3(variant, { ...modelKwargs, ...kw } as Kwargs);
}

export function genMobilenetV3Rw(variant: string, channelMultiplier: number, kw: Kwargs): Created {
  const archDef = [
    ['ds_r1_k3_s1_e1_c16_nre_noskip'], ['ir_r1_k3_s2_e4_c24_nre', 'ir_r1_k3_s1_e3_c24_nre'], ['ir_r3_k5_s2_e3_c40_se0.25_nre'],
    ['ir_r1_k3_s2_e6_c80', 'ir_r1_k3_s1_e2.5_c80', 'ir_r2_k3_s1_e2.3_c80'], ['ir_r2_k3_s1_e6_c112_se0.25'],
    ['ir_r3_k5_s2_e6_c160_se0.25'], ['cn_r1_k1_s1_c960'],
  ];
  kw = { ...kw };
  return create(variant, kw, {
    blockArgs: decodeArchDef(archDef), headBias: false, roundChsFn: rc(channelMultiplier), normLayer: popNorm(kw),
    actLayer: popAct(kw, 'hard_swish'), seLayer: { gate: 'hard_sigmoid' },
  });
}

export function genMobilenetV3(
  variant: string, kw: Kwargs, o: { channelMultiplier?: number; depthMultiplier?: number; groupSize?: number | null } = {},
): Created {
  const { channelMultiplier = 1.0, depthMultiplier = 1.0, groupSize = null } = o;
  kw = { ...kw };
  let numFeatures: number;
  let actLayer: string;
  let archDef: string[][];
  if (variant.includes('small')) {
    numFeatures = 1024;
    if (variant.includes('minimal')) {
      actLayer = popAct(kw, 'relu');
      archDef = [
        ['ds_r1_k3_s2_e1_c16'], ['ir_r1_k3_s2_e4.5_c24', 'ir_r1_k3_s1_e3.67_c24'], ['ir_r1_k3_s2_e4_c40', 'ir_r2_k3_s1_e6_c40'],
        ['ir_r2_k3_s1_e3_c48'], ['ir_r3_k3_s2_e6_c96'], ['cn_r1_k1_s1_c576'],
      ];
    } else {
      actLayer = popAct(kw, 'hard_swish');
      archDef = [
        ['ds_r1_k3_s2_e1_c16_se0.25_nre'], ['ir_r1_k3_s2_e4.5_c24_nre', 'ir_r1_k3_s1_e3.67_c24_nre'],
        ['ir_r1_k5_s2_e4_c40_se0.25', 'ir_r2_k5_s1_e6_c40_se0.25'], ['ir_r2_k5_s1_e3_c48_se0.25'], ['ir_r3_k5_s2_e6_c96_se0.25'],
        ['cn_r1_k1_s1_c576'],
      ];
    }
  } else {
    numFeatures = 1280;
    if (variant.includes('minimal')) {
      actLayer = popAct(kw, 'relu');
      archDef = [
        ['ds_r1_k3_s1_e1_c16'], ['ir_r1_k3_s2_e4_c24', 'ir_r1_k3_s1_e3_c24'], ['ir_r3_k3_s2_e3_c40'],
        ['ir_r1_k3_s2_e6_c80', 'ir_r1_k3_s1_e2.5_c80', 'ir_r2_k3_s1_e2.3_c80'], ['ir_r2_k3_s1_e6_c112'], ['ir_r3_k3_s2_e6_c160'],
        ['cn_r1_k1_s1_c960'],
      ];
    } else {
      actLayer = popAct(kw, 'hard_swish');
      archDef = [
        ['ds_r1_k3_s1_e1_c16_nre'], ['ir_r1_k3_s2_e4_c24_nre', 'ir_r1_k3_s1_e3_c24_nre'], ['ir_r3_k5_s2_e3_c40_se0.25_nre'],
        ['ir_r1_k3_s2_e6_c80', 'ir_r1_k3_s1_e2.5_c80', 'ir_r2_k3_s1_e2.3_c80'], ['ir_r2_k3_s1_e6_c112_se0.25'],
        ['ir_r3_k5_s2_e6_c160_se0.25'], ['cn_r1_k1_s1_c960'],
      ];
    }
  }
  return create(variant, kw, {
    blockArgs: decodeArchDef(archDef, { depthMultiplier, groupSize }), numFeatures, stemSize: 16, fixStem: channelMultiplier < 0.75,
    roundChsFn: rc(channelMultiplier), normLayer: popNorm(kw), actLayer,
    seLayer: { gate: 'hard_sigmoid', forceAct: 'relu', rdRoundFn: (c: number) => roundChannels(c) },
  });
}

export function genFbnetv3(variant: string, channelMultiplier: number, kw: Kwargs): Created {
  const vl = variant.split('_').pop();
  let stemSize: number;
  let archDef: string[][];
  if (vl === 'a' || vl === 'b') {
    stemSize = 16;
    archDef = [
      ['ds_r2_k3_s1_e1_c16'], ['ir_r1_k5_s2_e4_c24', 'ir_r3_k5_s1_e2_c24'], ['ir_r1_k5_s2_e5_c40_se0.25', 'ir_r4_k5_s1_e3_c40_se0.25'],
      ['ir_r1_k5_s2_e5_c72', 'ir_r4_k3_s1_e3_c72'], ['ir_r1_k3_s1_e5_c120_se0.25', 'ir_r5_k5_s1_e3_c120_se0.25'],
      ['ir_r1_k3_s2_e6_c184_se0.25', 'ir_r5_k5_s1_e4_c184_se0.25', 'ir_r1_k5_s1_e6_c224_se0.25'], ['cn_r1_k1_s1_c1344'],
    ];
  } else if (vl === 'd') {
    stemSize = 24;
    archDef = [
      ['ds_r2_k3_s1_e1_c16'], ['ir_r1_k3_s2_e5_c24', 'ir_r5_k3_s1_e2_c24'], ['ir_r1_k5_s2_e4_c40_se0.25', 'ir_r4_k3_s1_e3_c40_se0.25'],
      ['ir_r1_k3_s2_e5_c72', 'ir_r4_k3_s1_e3_c72'], ['ir_r1_k3_s1_e5_c128_se0.25', 'ir_r6_k5_s1_e3_c128_se0.25'],
      ['ir_r1_k3_s2_e6_c208_se0.25', 'ir_r5_k5_s1_e5_c208_se0.25', 'ir_r1_k5_s1_e6_c240_se0.25'], ['cn_r1_k1_s1_c1440'],
    ];
  } else if (vl === 'g') {
    stemSize = 32;
    archDef = [
      ['ds_r3_k3_s1_e1_c24'], ['ir_r1_k5_s2_e4_c40', 'ir_r4_k5_s1_e2_c40'], ['ir_r1_k5_s2_e4_c56_se0.25', 'ir_r4_k5_s1_e3_c56_se0.25'],
      ['ir_r1_k5_s2_e5_c104', 'ir_r4_k3_s1_e3_c104'], ['ir_r1_k3_s1_e5_c160_se0.25', 'ir_r8_k5_s1_e3_c160_se0.25'],
      ['ir_r1_k3_s2_e6_c264_se0.25', 'ir_r6_k5_s1_e5_c264_se0.25', 'ir_r2_k5_s1_e6_c288_se0.25'], ['cn_r1_k1_s1_c1728'],
    ];
  } else throw new Error(`Unknown FBNetV3 variant ${variant}`);
  const roundChsFn = rc(channelMultiplier, 0.95);
  kw = { ...kw };
  return create(variant, kw, {
    blockArgs: decodeArchDef(archDef), numFeatures: 1984, headBias: false, stemSize, roundChsFn, seFromExp: false,
    normLayer: popNorm(kw), actLayer: popAct(kw, 'hard_swish'), seLayer: { gate: 'hard_sigmoid', rdRoundFn: roundChsFn },
  });
}

export function genLcnet(variant: string, channelMultiplier: number, kw: Kwargs): Created {
  const archDef = [
    ['dsa_r1_k3_s1_c32'], ['dsa_r2_k3_s2_c64'], ['dsa_r2_k3_s2_c128'], ['dsa_r1_k3_s2_c256', 'dsa_r1_k5_s1_c256'],
    ['dsa_r4_k5_s1_c256'], ['dsa_r2_k5_s2_c512_se0.25'],
  ];
  kw = { ...kw };
  return create(variant, kw, {
    blockArgs: decodeArchDef(archDef), stemSize: 16, roundChsFn: rc(channelMultiplier), normLayer: popNorm(kw),
    actLayer: popAct(kw, 'hard_swish'), seLayer: { gate: 'hard_sigmoid', forceAct: 'relu' }, numFeatures: 1280,
  });
}

const MNV4_CONV: Record<string, { stem: number; arch: string[][] }> = {
  small: {
    stem: 32,
    arch: [
      ['cn_r1_k3_s2_e1_c32', 'cn_r1_k1_s1_e1_c32'],
      ['cn_r1_k3_s2_e1_c96', 'cn_r1_k1_s1_e1_c64'],
      ['uir_r1_a5_k5_s2_e3_c96', 'uir_r4_a0_k3_s1_e2_c96', 'uir_r1_a3_k0_s1_e4_c96'],
      ['uir_r1_a3_k3_s2_e6_c128', 'uir_r1_a5_k5_s1_e4_c128', 'uir_r1_a0_k5_s1_e4_c128', 'uir_r1_a0_k5_s1_e3_c128', 'uir_r2_a0_k3_s1_e4_c128'],
      ['cn_r1_k1_s1_c960'],
    ],
  },
  medium: {
    stem: 32,
    arch: [
      ['er_r1_k3_s2_e4_c48'],
      ['uir_r1_a3_k5_s2_e4_c80', 'uir_r1_a3_k3_s1_e2_c80'],
      [
        'uir_r1_a3_k5_s2_e6_c160', 'uir_r2_a3_k3_s1_e4_c160', 'uir_r1_a3_k5_s1_e4_c160', 'uir_r1_a3_k3_s1_e4_c160',
        'uir_r1_a3_k0_s1_e4_c160', 'uir_r1_a0_k0_s1_e2_c160', 'uir_r1_a3_k0_s1_e4_c160',
      ],
      [
        'uir_r1_a5_k5_s2_e6_c256', 'uir_r1_a5_k5_s1_e4_c256', 'uir_r2_a3_k5_s1_e4_c256', 'uir_r1_a0_k0_s1_e4_c256',
        'uir_r1_a3_k0_s1_e4_c256', 'uir_r1_a3_k5_s1_e2_c256', 'uir_r1_a5_k5_s1_e4_c256', 'uir_r2_a0_k0_s1_e4_c256',
        'uir_r1_a5_k0_s1_e2_c256',
      ],
      ['cn_r1_k1_s1_c960'],
    ],
  },
  large: {
    stem: 24,
    arch: [
      ['er_r1_k3_s2_e4_c48'],
      ['uir_r1_a3_k5_s2_e4_c96', 'uir_r1_a3_k3_s1_e4_c96'],
      ['uir_r1_a3_k5_s2_e4_c192', 'uir_r3_a3_k3_s1_e4_c192', 'uir_r1_a3_k5_s1_e4_c192', 'uir_r5_a5_k3_s1_e4_c192', 'uir_r1_a3_k0_s1_e4_c192'],
      [
        'uir_r4_a5_k5_s2_e4_c512', 'uir_r1_a5_k0_s1_e4_c512', 'uir_r1_a5_k3_s1_e4_c512', 'uir_r2_a5_k0_s1_e4_c512',
        'uir_r1_a5_k3_s1_e4_c512', 'uir_r1_a5_k5_s1_e4_c512', 'uir_r3_a5_k0_s1_e4_c512',
      ],
      ['cn_r1_k1_s1_c960'],
    ],
  },
};


const MNV4_HYBRID: Record<string, { stem: number; act: string; arch: string[][] }> = {
  medium: {
    stem: 32,
    act: 'relu',
    arch: [
      ['er_r1_k3_s2_e4_c48'],
      ['uir_r1_a3_k5_s2_e4_c80', 'uir_r1_a3_k3_s1_e2_c80'],
      [
        'uir_r1_a3_k5_s2_e6_c160', 'uir_r1_a0_k0_s1_e2_c160', 'uir_r1_a3_k3_s1_e4_c160', 'uir_r1_a3_k5_s1_e4_c160',
        'mqa_r1_k3_h4_s1_v2_d64_c160', 'uir_r1_a3_k3_s1_e4_c160', 'mqa_r1_k3_h4_s1_v2_d64_c160', 'uir_r1_a3_k0_s1_e4_c160',
        'mqa_r1_k3_h4_s1_v2_d64_c160', 'uir_r1_a3_k3_s1_e4_c160', 'mqa_r1_k3_h4_s1_v2_d64_c160', 'uir_r1_a3_k0_s1_e4_c160',
      ],
      [
        'uir_r1_a5_k5_s2_e6_c256', 'uir_r1_a5_k5_s1_e4_c256', 'uir_r2_a3_k5_s1_e4_c256', 'uir_r1_a0_k0_s1_e2_c256',
        'uir_r1_a3_k5_s1_e2_c256', 'uir_r1_a0_k0_s1_e2_c256', 'uir_r1_a0_k0_s1_e4_c256', 'mqa_r1_k3_h4_s1_d64_c256',
        'uir_r1_a3_k0_s1_e4_c256', 'mqa_r1_k3_h4_s1_d64_c256', 'uir_r1_a5_k5_s1_e4_c256', 'mqa_r1_k3_h4_s1_d64_c256',
        'uir_r1_a5_k0_s1_e4_c256', 'mqa_r1_k3_h4_s1_d64_c256', 'uir_r1_a5_k0_s1_e4_c256',
      ],
      ['cn_r1_k1_s1_c960'],
    ],
  },
  large: {
    stem: 24,
    act: 'gelu',
    arch: [
      ['er_r1_k3_s2_e4_c48'],
      ['uir_r1_a3_k5_s2_e4_c96', 'uir_r1_a3_k3_s1_e4_c96'],
      [
        'uir_r1_a3_k5_s2_e4_c192', 'uir_r3_a3_k3_s1_e4_c192', 'uir_r1_a3_k5_s1_e4_c192', 'uir_r2_a5_k3_s1_e4_c192',
        'mqa_r1_k3_h8_s1_v2_d48_c192', 'uir_r1_a5_k3_s1_e4_c192', 'mqa_r1_k3_h8_s1_v2_d48_c192', 'uir_r1_a5_k3_s1_e4_c192',
        'mqa_r1_k3_h8_s1_v2_d48_c192', 'uir_r1_a5_k3_s1_e4_c192', 'mqa_r1_k3_h8_s1_v2_d48_c192', 'uir_r1_a3_k0_s1_e4_c192',
      ],
      [
        'uir_r4_a5_k5_s2_e4_c512', 'uir_r1_a5_k0_s1_e4_c512', 'uir_r1_a5_k3_s1_e4_c512', 'uir_r2_a5_k0_s1_e4_c512',
        'uir_r1_a5_k3_s1_e4_c512', 'uir_r1_a5_k5_s1_e4_c512', 'mqa_r1_k3_h8_s1_d64_c512', 'uir_r1_a5_k0_s1_e4_c512',
        'mqa_r1_k3_h8_s1_d64_c512', 'uir_r1_a5_k0_s1_e4_c512', 'mqa_r1_k3_h8_s1_d64_c512', 'uir_r1_a5_k0_s1_e4_c512',
        'mqa_r1_k3_h8_s1_d64_c512', 'uir_r1_a5_k0_s1_e4_c512',
      ],
      ['cn_r1_k1_s1_c960'],
    ],
  },
};

/** timm's `_gen_mobilenet_v4`: conv variants, and hybrids with mobile multi-query attention and layer scale. */
export function genMobilenetV4(variant: string, channelMultiplier: number, kw: Kwargs, o: { groupSize?: number | null } = {}): Created {
  const size = variant.includes('small') ? 'small' : variant.includes('medium') ? 'medium' : variant.includes('large') ? 'large' : null;
  const hybrid = variant.includes('hybrid');
  const def = size ? (hybrid ? MNV4_HYBRID[size] : { ...MNV4_CONV[size]!, act: 'relu' }) : undefined;
  if (!def) throw new Error(`Unknown variant ${variant}.`);
  kw = { ...kw };
  return create(variant, kw, {
    blockArgs: decodeArchDef(def.arch, { groupSize: o.groupSize ?? null }), headBias: false, headNorm: true, numFeatures: 1280,
    stemSize: def.stem, fixStem: channelMultiplier < 1.0, roundChsFn: rc(channelMultiplier), normLayer: popNorm(kw),
    actLayer: popAct(kw, def.act), layerScaleInitValue: hybrid ? 1e-5 : null,
  });
}
