import type * as tf from '@tensorflow/tfjs-core';
import {
  Activation, type ActName, AvgPool2d, AvgPool2dSame, BasicBlock, BlurPool2d, Bottleneck, Conv2d, convNormAct, createAa, createNorm,
  type ForwardIntermediatesOptions, getPadding, type GroupMatcher, Identity, type IntermediatesResult, MaxPool2d, type Module,
  type NormLayer, type OutIndices, type ResBlockArgs, resolveAct, runFused, Sequential, VisionModel,
} from '@zoo/core';

export type BlockType = 'basic' | 'bottleneck';
/** Anti-aliasing layer for strided convs and the stem: a blur pool, or a 2×2 average pool. */
export type AaLayer = 'blurpool' | 'avgpool' | null;
/** Channel attention in each block: 'se', 'eca', or SE with a reduction ratio (ResNet-RS). */
export type AttnLayer = 'se' | 'eca' | { type: 'se'; rdRatio: number } | null;

export interface ResNetArgs {
  block: BlockType | BlockType[];
  layers: number[];
  numClasses?: number;
  inChans?: number;
  outputStride?: 8 | 16 | 32;
  globalPool?: string;
  cardinality?: number;
  baseWidth?: number;
  stemWidth?: number;
  /** '' (7×7 conv), 'deep' (three 3×3 convs) or 'deep_tiered'. */
  stemType?: '' | 'deep' | 'deep_tiered';
  replaceStemPool?: boolean;
  blockReduceFirst?: number;
  downKernelSize?: number;
  avgDown?: boolean;
  channels?: number[];
  actLayer?: string;
  normLayer?: NormLayer;
  aaLayer?: AaLayer;
  dropRate?: number;
  dropPathRate?: number;
  dropBlockRate?: number;
  zeroInitLast?: boolean;
  blockArgs?: { attnLayer?: AttnLayer };
}

const EXPANSION: Record<BlockType, number> = { basic: 1, bottleneck: 4 };

/** timm's `get_norm_layer(norm_layer)(chs)`. */
function makeNorm(kind: NormLayer, chs: number): Module {
  return createNorm(kind, chs);
}

function downsampleConv(inC: number, outC: number, kernel: number, stride: number, dilation: number, firstDilation: number, norm: NormLayer): Module {
  const k = stride === 1 && dilation === 1 ? 1 : kernel;
  const fd = k > 1 ? firstDilation || dilation : 1;
  const p = getPadding(k, stride, fd);
  return new Sequential([new Conv2d(inC, outC, k, { stride, padding: p, dilation: fd }), makeNorm(norm, outC)]);
}

function downsampleAvg(inC: number, outC: number, stride: number, dilation: number, norm: NormLayer): Module {
  // Strided stages pool 2×2 with stride 2 (ceil mode, pads left out); dilated ones (output_stride < 32) keep the size.
  let pool: Module;
  if (stride === 1 && dilation === 1) pool = new Identity();
  // timm's AvgPool2dSame(2, stride=1): the padded zero row and column count in the mean.
  else if (dilation > 1) pool = new AvgPool2dSame(2, { stride: 1, ceilMode: true });
  else pool = new AvgPool2d(2, { stride, ceilMode: true, countIncludePad: false });
  return new Sequential([pool, new Conv2d(inC, outC, 1, { padding: 0 }), makeNorm(norm, outC)]);
}

const ARG_NAMES: readonly (keyof ResNetArgs)[] = [
  'block', 'layers', 'numClasses', 'inChans', 'outputStride', 'globalPool', 'cardinality', 'baseWidth', 'stemWidth',
  'stemType', 'replaceStemPool', 'blockReduceFirst', 'downKernelSize', 'avgDown', 'channels', 'actLayer', 'normLayer',
  'aaLayer', 'dropRate', 'dropPathRate', 'dropBlockRate', 'zeroInitLast', 'blockArgs',
];

/**
 * timm's ResNet (and ResNeXt, SE-/ECA-ResNet, ResNet-D/S/T, ResNet-RS, blur/AA variants) on NHWC input.
 * State-dict keys are timm's: conv1, bn1, layer1.0.conv1, …, fc.
 */
export class ResNet extends VisionModel {
  static readonly argNames: readonly (keyof ResNetArgs)[] = ARG_NAMES;
  numClasses: number;
  numFeatures: number;
  headHiddenSize: number;
  readonly inChans: number;
  readonly dropRate: number;
  private readonly act: ActName;
  private readonly stageNames = ['layer1', 'layer2', 'layer3', 'layer4'];

  constructor(args: ResNetArgs) {
    super();
    const {
      block, layers, numClasses = 1000, inChans = 3, outputStride = 32, globalPool = 'avg', cardinality = 1,
      baseWidth = 64, stemWidth = 64, stemType = '', replaceStemPool = false, blockReduceFirst = 1,
      downKernelSize = 1, avgDown = false, channels = [64, 128, 256, 512], actLayer = 'relu',
      normLayer = 'batchnorm', aaLayer = null, dropRate = 0, dropPathRate = 0, blockArgs = {},
    } = args;
    if (![8, 16, 32].includes(outputStride)) throw new RangeError(`outputStride must be 8, 16 or 32, got ${outputStride}`);
    if (!Array.isArray(layers) || layers.length !== channels.length) {
      throw new Error(`layers (${JSON.stringify(layers)}) must list one depth per stage (${channels.length} stages)`);
    }
    this.numClasses = numClasses;
    this.inChans = inChans;
    this.dropRate = dropRate;
    const act = resolveAct(actLayer);
    this.act = act;

    const deep = stemType.includes('deep');
    let inplanes = deep ? stemWidth * 2 : 64;
    if (deep) {
      const stemChs = stemType.includes('tiered') ? [3 * Math.floor(stemWidth / 4), stemWidth] : [stemWidth, stemWidth];
      this.addModule('conv1', new Sequential([
        new Conv2d(inChans, stemChs[0]!, 3, { stride: 2, padding: 1 }),
        makeNorm(normLayer, stemChs[0]!),
        new Activation(act),
        new Conv2d(stemChs[0]!, stemChs[1]!, 3, { stride: 1, padding: 1 }),
        makeNorm(normLayer, stemChs[1]!),
        new Activation(act),
        new Conv2d(stemChs[1]!, inplanes, 3, { stride: 1, padding: 1 }),
      ]));
    } else {
      this.addModule('conv1', new Conv2d(inChans, inplanes, 7, { stride: 2, padding: 3 }));
    }
    this.addModule('bn1', makeNorm(normLayer, inplanes));
    this.addModule('act1', new Activation(act));
    this.featureInfo = [{ numChs: inplanes, reduction: 2, module: 'act1' }];

    let maxpool: Module;
    if (replaceStemPool) {
      maxpool = new Sequential([
        new Conv2d(inplanes, inplanes, 3, { stride: aaLayer ? 1 : 2, padding: 1 }),
        ...(aaLayer ? [createAa(aaLayer, inplanes, 2, true, 'identity')] : []),
        makeNorm(normLayer, inplanes),
        new Activation(act),
      ]);
    } else if (aaLayer === 'avgpool') {
      maxpool = new AvgPool2d(2);
    } else if (aaLayer === 'blurpool') {
      maxpool = new Sequential([new MaxPool2d(3, { stride: 1, padding: 1 }), new BlurPool2d(inplanes, { stride: 2 })]);
    } else {
      maxpool = new MaxPool2d(3, { stride: 2, padding: 1 });
    }
    this.addModule('maxpool', maxpool);

    // Stages (timm's make_blocks).
    const blockTypes = Array.isArray(block) ? block : channels.map(() => block);
    const netNumBlocks = layers.reduce((a, b) => a + b, 0);
    let netBlockIdx = 0;
    let netStride = 4;
    let dilation = 1;
    let prevDilation = 1;
    channels.forEach((planes, stageIdx) => {
      const bt = blockTypes[stageIdx]!;
      const expansion = EXPANSION[bt];
      let stride = stageIdx === 0 ? 1 : 2;
      if (netStride >= outputStride) {
        dilation *= stride;
        stride = 1;
      } else netStride *= stride;
      let downsample: Module | null = null;
      if (stride !== 1 || inplanes !== planes * expansion) {
        downsample = avgDown
          ? downsampleAvg(inplanes, planes * expansion, stride, dilation, normLayer)
          : downsampleConv(inplanes, planes * expansion, downKernelSize, stride, dilation, prevDilation, normLayer);
      }
      const blocks: Module[] = [];
      for (let bi = 0; bi < layers[stageIdx]!; bi++) {
        const dpr = netNumBlocks > 1 ? (dropPathRate * netBlockIdx) / (netNumBlocks - 1) : 0;
        const a: ResBlockArgs = {
          inplanes, planes, stride: bi === 0 ? stride : 1, downsample: bi === 0 ? downsample : null, cardinality,
          baseWidth, reduceFirst: blockReduceFirst, dilation, firstDilation: prevDilation, actLayer: act, normLayer,
          attnLayer: blockArgs.attnLayer, aaLayer, dropPath: dpr,
        };
        blocks.push(bt === 'basic' ? new BasicBlock(a) : new Bottleneck(a));
        prevDilation = dilation;
        inplanes = planes * expansion;
        netBlockIdx++;
      }
      this.addModule(`layer${stageIdx + 1}`, new Sequential(blocks));
      this.featureInfo.push({ numChs: inplanes, reduction: netStride, module: `layer${stageIdx + 1}` });
    });
    this.stageNames = channels.map((_, i) => `layer${i + 1}`);
    this.numFeatures = this.headHiddenSize = inplanes;
    this.setPoolClassifier('fc', numClasses, globalPool);
  }

  private stem(x: tf.Tensor): tf.Tensor {
    const conv1 = this.getChild('conv1')!;
    const bn1 = this.getChild('bn1')!;
    if (conv1 instanceof Conv2d) x = convNormAct(x, conv1, bn1, this.act);
    else x = runFused(x, [...(conv1 as Sequential).namedChildren().map(([, m]) => m), bn1, this.getChild('act1')!]);
    return x;
  }

  private maxpoolForward(x: tf.Tensor): tf.Tensor {
    const mp = this.getChild('maxpool')!;
    return mp instanceof Sequential ? runFused(x, mp.namedChildren().map(([, m]) => m)) : mp.forward(x);
  }

  /** timm's `ResNet.group_matcher`: layer groups for layer-wise lr decay. */
  override groupMatcher(coarse = false): GroupMatcher {
    return { stem: '^conv1|bn1|maxpool', blocks: coarse ? String.raw`^layer(\d+)` : String.raw`^layer(\d+)\.(\d+)` };
  }

  protected computeFeatures(x: tf.Tensor): tf.Tensor {
    x = this.maxpoolForward(this.stem(x));
    for (const n of this.stageNames) x = this.getChild(n)!.forward(x);
    return x;
  }

  protected override computeIntermediates(x: tf.Tensor, o: ForwardIntermediatesOptions): IntermediatesResult {
    const { indices, maxIndex } = this.takeIndices(this.stageNames.length + 1, o);
    const intermediates: tf.Tensor[] = [];
    x = this.stem(x);
    if (indices.includes(0)) intermediates.push(x);
    x = this.maxpoolForward(x);
    const names = o.stopEarly ? this.stageNames.slice(0, maxIndex) : this.stageNames;
    names.forEach((n, i) => {
      x = this.getChild(n)!.forward(x);
      if (indices.includes(i + 1)) intermediates.push(x);
    });
    return { final: x, intermediates };
  }

  override pruneIntermediateLayers(indices: OutIndices = 1, _pruneNorm = false, pruneHead = true): number[] {
    return this.pruneLevels(this.stageNames.length + 1, indices, pruneHead, (maxIndex) => {
      for (const n of this.stageNames.slice(maxIndex)) this.addModule(n, new Identity());
    });
  }
}
