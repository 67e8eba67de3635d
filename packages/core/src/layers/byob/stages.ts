import type { FeatureInfoEntry } from '../../features/feature-info.js';
import { Sequential } from '../../module.js';
import { makeDivisible, stageDilation } from '../helpers.js';
import { type ByoBlockArgs, createByoBlock } from './blocks.js';
import { type ByoBlockCfg, type ByoKwargs, expandBlocksCfg, type ResolvedByoModelCfg, resolveGroupSize } from './cfg.js';
import { type ByoLayers, byoAttnFactory, byoSelfAttnFactory } from './layers.js';

/** camelCase keys (`bottle_in` → `bottleIn`), for kwargs written the way timm spells them. */
function camelKeys(k: ByoKwargs): ByoKwargs {
  return Object.fromEntries(Object.entries(k).map(([key, v]) => [key.replace(/_([a-z0-9])/g, (_, c: string) => c.toUpperCase()), v]));
}

/** timm's `override_kwargs`: the block's kwargs when set (even empty), else the model's. */
function overrideKwargs(block: ByoKwargs | null | undefined, model: ByoKwargs | undefined): ByoKwargs {
  return camelKeys((block ?? model) || {});
}

/** timm's `update_block_kwargs`: a block cfg's attention / self-attention / block-kwarg overrides of the model's. */
export function blockLayers(layers: ByoLayers, b: ByoBlockCfg, cfg: ResolvedByoModelCfg): { layers: ByoLayers; kwargs: ByoKwargs } {
  let out = layers;
  const attnSet = b.attnLayer !== undefined && b.attnLayer !== null;
  if (attnSet || (b.attnKwargs !== undefined && b.attnKwargs !== null)) {
    const attn = attnSet && !b.attnLayer ? null : byoAttnFactory(b.attnLayer || cfg.attnLayer, overrideKwargs(b.attnKwargs, cfg.attnKwargs));
    out = { ...out, attn };
  }
  const selfSet = b.selfAttnLayer !== undefined && b.selfAttnLayer !== null;
  if (selfSet || (b.selfAttnKwargs !== undefined && b.selfAttnKwargs !== null)) {
    const selfAttn = selfSet && !b.selfAttnLayer ? null : byoSelfAttnFactory(b.selfAttnLayer || cfg.selfAttnLayer, overrideKwargs(b.selfAttnKwargs, cfg.selfAttnKwargs));
    out = { ...out, selfAttn };
  }
  return { layers: out, kwargs: overrideKwargs(b.blockKwargs, cfg.blockKwargs) };
}

/** timm's `calculate_drop_path_rates(rate, depths, stagewise=True)`: linear over all blocks, split by stage. */
export function stageDropPathRates(rate: number, depths: readonly number[]): number[][] {
  const total = depths.reduce((a, b) => a + b, 0);
  const all = Array.from({ length: total }, (_, i) => (total > 1 ? (rate * i) / (total - 1) : 0));
  let at = 0;
  return depths.map((d) => all.slice(at, (at += d)));
}

export interface ByoStagesOptions {
  dropPathRate?: number;
  outputStride?: number;
  /** The stem's last feature (its channels and reduction start the stages). */
  stemFeat: FeatureInfoEntry;
  featSize?: [number, number] | null;
  layers: ByoLayers;
  /** A hook over each block's arguments before it is made (timm's `block_kwargs_fn`). */
  blockArgsFn?: (args: ByoBlockArgs, block: ByoBlockCfg, cfg: ResolvedByoModelCfg) => ByoBlockArgs;
}

/**
 * timm's `create_byob_stages`: a Sequential of stages (each a Sequential of blocks), the feature info of every
 * stage that ends before a stride (and of the last), and the feature size after the stages.
 */
export function createByobStages(cfg: ResolvedByoModelCfg, o: ByoStagesOptions): { stages: Sequential; featureInfo: FeatureInfoEntry[]; featSize: [number, number] | null } {
  const outputStride = o.outputStride ?? 32;
  if (![8, 16, 32].includes(outputStride)) throw new Error(`ByobNet: outputStride must be 8, 16 or 32, got ${outputStride}`);
  const blockCfgs = cfg.blocks.map((s) => expandBlocksCfg(s));
  const dpr = stageDropPathRates(o.dropPathRate ?? 0, blockCfgs.map((s) => s.length));
  const featureInfo: FeatureInfoEntry[] = [];
  let featSize = o.featSize ?? null;
  let dilation = 1;
  let netStride = o.stemFeat.reduction;
  let prevChs = o.stemFeat.numChs;
  let prevFeat: FeatureInfoEntry | null = o.stemFeat;
  const stages = new Sequential();
  blockCfgs.forEach((stageCfgs, stageIdx) => {
    const wanted = stageCfgs[0]!.s ?? 2;
    if (wanted !== 1 && prevFeat) featureInfo.push(prevFeat);
    const at = stageDilation(netStride, outputStride, wanted, dilation);
    const stride = at.stride;
    dilation = at.dilation;
    netStride = at.netStride;
    let firstDilation = at.firstDilation;
    const blocks = new Sequential();
    stageCfgs.forEach((b, blockIdx) => {
      const outChs = makeDivisible(b.c * cfg.widthFactor);
      const { layers, kwargs } = blockLayers(o.layers, b, cfg);
      let args: ByoBlockArgs = {
        inChs: prevChs,
        outChs,
        stride: blockIdx === 0 ? stride : 1,
        dilation: [firstDilation, dilation],
        groupSize: resolveGroupSize(b.gs, outChs, blockIdx),
        bottleRatio: b.br ?? 1,
        downsample: cfg.downsample,
        dropPathRate: dpr[stageIdx]![blockIdx]!,
        ...(b.type === 'self_attn' ? { featSize } : {}),
        ...kwargs,
        layers,
      };
      if (o.blockArgsFn) args = o.blockArgsFn(args, b, cfg);
      blocks.append(createByoBlock(b.type, args));
      firstDilation = dilation;
      prevChs = outChs;
      if (stride > 1 && blockIdx === 0 && featSize) featSize = [Math.floor(featSize[0] / stride), Math.floor(featSize[1] / stride)];
    });
    stages.append(blocks);
    prevFeat = { numChs: prevChs, reduction: netStride, module: `stages.${stageIdx}`, stage: stageIdx + 1 };
  });
  featureInfo.push(prevFeat!);
  return { stages, featureInfo, featSize };
}
