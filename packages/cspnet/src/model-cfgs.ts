// timm's cspnet `model_cfgs`: every architecture is a stem and a stage table (CspModelCfg), kept as data.
import { makeDivisible } from '@zoo/core';
import type { CspBlockType, CspModelCfg } from './cspnet.js';

interface Cs3Options {
  widthMultiplier?: number;
  depthMultiplier?: number;
  avgDown?: boolean;
  actLayer?: string;
  focus?: boolean;
  attnLayer?: string | null;
  attnKwargs?: { rdRatio?: number } | null;
  bottleRatio?: number;
  blockType?: CspBlockType;
}

/** timm's `_cs3_cfg`: the CS3-DarkNet family scaled by width and depth. */
export function cs3Cfg(o: Cs3Options = {}): CspModelCfg {
  const { widthMultiplier: w = 1, depthMultiplier: d = 1, avgDown = false, actLayer = 'silu', focus = false, attnLayer = null,
    attnKwargs = null, bottleRatio = 1, blockType = 'dark' } = o;
  const stem = focus
    ? { outChs: makeDivisible(64 * w), kernelSize: 6, stride: 2, padding: 2, pool: '' }
    : { outChs: [32, 64].map((c) => makeDivisible(c * w)), kernelSize: 3, stride: 2, pool: '' };
  return {
    stem,
    stages: {
      outChs: [128, 256, 512, 1024].map((c) => makeDivisible(c * w)),
      depth: [3, 6, 9, 3].map((x) => Math.trunc(x * d)),
      stride: 2,
      bottleRatio,
      blockRatio: 0.5,
      avgDown,
      attnLayer,
      attnKwargs,
      stageType: 'cs3',
      blockType,
    },
    actLayer,
  };
}

export const MODEL_CFGS: Record<string, CspModelCfg> = {
  cspresnet50: {
    stem: { outChs: 64, kernelSize: 7, stride: 4, pool: 'max' },
    stages: { depth: [3, 3, 5, 2], outChs: [128, 256, 512, 1024], stride: [1, 2], expandRatio: 2, bottleRatio: 0.5, crossLinear: true },
  },
  cspresnet50d: {
    stem: { outChs: [32, 32, 64], kernelSize: 3, stride: 4, pool: 'max' },
    stages: { depth: [3, 3, 5, 2], outChs: [128, 256, 512, 1024], stride: [1, 2], expandRatio: 2, bottleRatio: 0.5, blockRatio: 1, crossLinear: true },
  },
  cspresnet50w: {
    stem: { outChs: [32, 32, 64], kernelSize: 3, stride: 4, pool: 'max' },
    stages: { depth: [3, 3, 5, 2], outChs: [256, 512, 1024, 2048], stride: [1, 2], expandRatio: 1, bottleRatio: 0.25, blockRatio: 0.5, crossLinear: true },
  },
  cspresnext50: {
    stem: { outChs: 64, kernelSize: 7, stride: 4, pool: 'max' },
    stages: { depth: [3, 3, 5, 2], outChs: [256, 512, 1024, 2048], stride: [1, 2], groups: 32, expandRatio: 1, bottleRatio: 1, blockRatio: 0.5, crossLinear: true },
  },
  cspdarknet53: {
    stem: { outChs: 32, kernelSize: 3, stride: 1, pool: '' },
    stages: {
      depth: [1, 2, 8, 8, 4], outChs: [64, 128, 256, 512, 1024], stride: 2, expandRatio: [2, 1], bottleRatio: [0.5, 1],
      blockRatio: [1, 0.5], downGrowth: true, blockType: 'dark',
    },
  },
  darknet17: {
    stem: { outChs: 32, kernelSize: 3, stride: 1, pool: '' },
    stages: { depth: [1, 1, 1, 1, 1], outChs: [64, 128, 256, 512, 1024], stride: [2], bottleRatio: [0.5], blockRatio: [1], stageType: 'dark', blockType: 'dark' },
  },
  darknet21: {
    stem: { outChs: 32, kernelSize: 3, stride: 1, pool: '' },
    stages: { depth: [1, 1, 1, 2, 2], outChs: [64, 128, 256, 512, 1024], stride: [2], bottleRatio: [0.5], blockRatio: [1], stageType: 'dark', blockType: 'dark' },
  },
  sedarknet21: {
    stem: { outChs: 32, kernelSize: 3, stride: 1, pool: '' },
    stages: { depth: [1, 1, 1, 2, 2], outChs: [64, 128, 256, 512, 1024], stride: 2, bottleRatio: 0.5, blockRatio: 1, attnLayer: 'se', stageType: 'dark', blockType: 'dark' },
  },
  darknet53: {
    stem: { outChs: 32, kernelSize: 3, stride: 1, pool: '' },
    stages: { depth: [1, 2, 8, 8, 4], outChs: [64, 128, 256, 512, 1024], stride: 2, bottleRatio: 0.5, blockRatio: 1, stageType: 'dark', blockType: 'dark' },
  },
  darknetaa53: {
    stem: { outChs: 32, kernelSize: 3, stride: 1, pool: '' },
    stages: { depth: [1, 2, 8, 8, 4], outChs: [64, 128, 256, 512, 1024], stride: 2, bottleRatio: 0.5, blockRatio: 1, avgDown: true, stageType: 'dark', blockType: 'dark' },
  },
  cs3darknet_s: cs3Cfg({ widthMultiplier: 0.5, depthMultiplier: 0.5 }),
  cs3darknet_m: cs3Cfg({ widthMultiplier: 0.75, depthMultiplier: 0.67 }),
  cs3darknet_l: cs3Cfg(),
  cs3darknet_x: cs3Cfg({ widthMultiplier: 1.25, depthMultiplier: 1.33 }),
  cs3darknet_focus_s: cs3Cfg({ widthMultiplier: 0.5, depthMultiplier: 0.5, focus: true }),
  cs3darknet_focus_m: cs3Cfg({ widthMultiplier: 0.75, depthMultiplier: 0.67, focus: true }),
  cs3darknet_focus_l: cs3Cfg({ focus: true }),
  cs3darknet_focus_x: cs3Cfg({ widthMultiplier: 1.25, depthMultiplier: 1.33, focus: true }),
  cs3sedarknet_l: cs3Cfg({ attnLayer: 'se', attnKwargs: { rdRatio: 0.25 } }),
  cs3sedarknet_x: cs3Cfg({ attnLayer: 'se', widthMultiplier: 1.25, depthMultiplier: 1.33 }),
  cs3sedarknet_xdw: {
    stem: { outChs: [32, 64], kernelSize: 3, stride: 2, pool: '' },
    stages: { depth: [3, 6, 12, 4], outChs: [256, 512, 1024, 2048], stride: 2, groups: [1, 1, 256, 512], bottleRatio: 0.5, blockRatio: 0.5, attnLayer: 'se' },
    actLayer: 'silu',
  },
  cs3edgenet_x: cs3Cfg({ widthMultiplier: 1.25, depthMultiplier: 1.33, bottleRatio: 1.5, blockType: 'edge' }),
  cs3se_edgenet_x: cs3Cfg({ widthMultiplier: 1.25, depthMultiplier: 1.33, bottleRatio: 1.5, blockType: 'edge', attnLayer: 'se', attnKwargs: { rdRatio: 0.25 } }),
};
