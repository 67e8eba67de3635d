import type * as tf from '@tensorflow/tfjs-core';
import type { FeatureInfoEntry } from '../../features/feature-info.js';
import { type Module, Sequential } from '../../module.js';
import { Conv2d } from '../conv.js';
import { AvgPool2d, MaxPool2d } from '../pool.js';
import { ByoMobileOneBlock, ByoRepVggBlock } from './blocks.js';
import type { ByoLayers } from './layers.js';

export interface ByoStemOptions {
  kernelSize?: number;
  /** 2 or 4 (default 4). */
  stride?: number;
  /** 'maxpool' / 'max', 'avgpool' / 'avg', 'max2', 'avg2', or '' for none. */
  pool?: string | null;
  numRep?: number;
  /** How many of the last convs have norm + act (default all). */
  numAct?: number | null;
  chsDecay?: number;
  layers: ByoLayers;
}

/**
 * timm's byobnet Stem: a stack of convs (`conv1` … `convN`, the first strided) and an optional pool. Its feature info
 * names the map before the last stride; `forwardIntermediates` returns it with the output.
 */
export class ByoStem extends Sequential {
  readonly stride: number;
  readonly featureInfo: FeatureInfoEntry[] = [];
  readonly lastFeatIdx: number | null;

  constructor(inChs: number, outChs: number | readonly number[], o: ByoStemOptions) {
    super();
    const stride = o.stride ?? 4;
    if (stride !== 2 && stride !== 4) throw new Error(`ByobNet stem: stride must be 2 or 4, got ${stride}`);
    this.stride = stride;
    let numRep = o.numRep ?? 3;
    let stemChs: number[];
    if (typeof outChs === 'number') {
      const decay = o.chsDecay ?? 0.5;
      stemChs = Array.from({ length: numRep }, (_, i) => Math.round(outChs * decay ** i)).reverse();
    } else {
      stemChs = [...outChs];
      numRep = stemChs.length;
    }
    const pool = o.pool ? o.pool.toLowerCase() : '';
    const strides = [2, ...Array(numRep - 1).fill(1)] as number[];
    if (stride === 4 && !pool) strides[numRep - 1] = 2;
    const numAct = o.numAct ?? numRep;
    let prevChs = inChs;
    let currStride = 1;
    let lastFeatIdx = -1;
    let prevFeat = '';
    stemChs.forEach((ch, i) => {
      const s = strides[i]!;
      const name = `conv${i + 1}`;
      if (i > 0 && s > 1) {
        lastFeatIdx = i - 1;
        this.featureInfo.push({ numChs: prevChs, reduction: currStride, module: prevFeat, stage: 0 });
      }
      const k = o.kernelSize ?? 3;
      this.addModule(name, i >= numRep - numAct ? o.layers.convNormAct(prevChs, ch, k, { stride: s }) : new Conv2d(prevChs, ch, k, { stride: s }));
      prevChs = ch;
      currStride *= s;
      prevFeat = name;
    });
    if (pool) {
      lastFeatIdx = numRep - 1;
      this.featureInfo.push({ numChs: prevChs, reduction: currStride, module: prevFeat, stage: 0 });
      this.addModule('pool', stemPool(pool));
      currStride *= 2;
      prevFeat = 'pool';
    }
    this.lastFeatIdx = lastFeatIdx >= 0 ? lastFeatIdx : null;
    this.featureInfo.push({ numChs: prevChs, reduction: currStride, module: prevFeat, stage: 0 });
    if (currStride !== stride) throw new Error(`ByobNet stem: the convs and pool give stride ${currStride}, not ${stride}`);
  }

  /** The stem's output and the map timm's `forward_intermediates` takes from it (before the last stride), if any. */
  forwardIntermediates(x: tf.Tensor): [tf.Tensor, tf.Tensor | null] {
    let inter: tf.Tensor | null = null;
    this.namedChildren().forEach(([, m], i) => {
      x = m.forward(x);
      if (i === this.lastFeatIdx) inter = x;
    });
    return [x, inter];
  }
}

function stemPool(pool: string): Module {
  if (pool === 'max2') return new MaxPool2d(2);
  if (pool === 'avg2') return new AvgPool2d(2);
  if (pool === 'max' || pool === 'maxpool') return new MaxPool2d(3, { stride: 2, padding: 1 });
  if (pool === 'avg' || pool === 'avgpool') return new AvgPool2d(3, { stride: 2, padding: 1, countIncludePad: false });
  throw new Error(`ByobNet stem: pool must be 'max', 'maxpool', 'avg', 'avgpool', 'max2' or 'avg2', got '${pool}'`);
}

const STEM_TYPES = ['', 'quad', 'quad2', 'tiered', 'deep', 'rep', 'one', '7x7', '3x3'];

/** timm's `create_byob_stem`: the stem for `stemType` and its feature info (module names under `featPrefix`). */
export function createByobStem(inChs: number, outChs: number | readonly number[], stemType: string, poolType: string | null, layers: ByoLayers, featPrefix = 'stem'): { stem: Module; featureInfo: FeatureInfoEntry[] } {
  if (!STEM_TYPES.includes(stemType)) throw new Error(`ByobNet: stemType must be one of ${STEM_TYPES.map((s) => `'${s}'`).join(', ')}, got '${stemType}'`);
  const pool = poolType || '';
  const single = (): number => {
    if (typeof outChs !== 'number') throw new Error(`ByobNet: stemType '${stemType}' takes one stem width, got ${JSON.stringify(outChs)}`);
    return outChs;
  };
  let stem: Module;
  if (stemType.includes('quad')) stem = new ByoStem(inChs, outChs, { numRep: 4, numAct: stemType.includes('quad2') ? 2 : null, pool, layers });
  else if (stemType.includes('tiered')) {
    const c = single();
    stem = new ByoStem(inChs, [Math.floor((3 * c) / 8), Math.floor(c / 2), c], { pool, layers });
  } else if (stemType.includes('deep')) stem = new ByoStem(inChs, outChs, { numRep: 3, chsDecay: 1, pool, layers });
  else if (stemType.includes('rep')) stem = new ByoRepVggBlock({ inChs, outChs: single(), stride: 2, layers });
  else if (stemType.includes('one')) stem = new ByoMobileOneBlock({ inChs, outChs: single(), kernelSize: 3, stride: 2, layers });
  else if (stemType.includes('7x7')) {
    stem = pool ? new ByoStem(inChs, outChs, { kernelSize: 7, numRep: 1, pool, layers }) : layers.convNormAct(inChs, single(), 7, { stride: 2 });
  } else if (typeof outChs !== 'number') stem = new ByoStem(inChs, outChs, { kernelSize: 3, pool, layers });
  else stem = pool ? new ByoStem(inChs, outChs, { kernelSize: 3, numRep: 1, pool, layers }) : layers.convNormAct(inChs, outChs, 3, { stride: 2 });

  const featureInfo = stem instanceof ByoStem
    ? stem.featureInfo.map((f) => ({ ...f, module: `${featPrefix}.${f.module}` }))
    : [{ numChs: single(), reduction: 2, module: featPrefix, stage: 0 }];
  return { stem, featureInfo };
}
