import type * as tf from '@tensorflow/tfjs-core';
import * as tfc from '@tensorflow/tfjs-core';
import {Activation, type ActName, AvgPool2d, ClassifierHead, Conv2d, createConv2d, 
  type ForwardIntermediatesOptions, 
  type GroupMatcher, Identity, type IntermediatesResult, LayerNorm, MATCH_PREV_GROUP, Mlp, Module,makeDivisible, 
  type NormFactory, NormMlpClassifierHead, type OutIndices, type Param, PointwiseMlp, RmsNorm, resolveAct, Sequential,
  SimpleNorm, type StateDict, VisionModel,
} from '@zoo/core';

/** Norm kinds timm's ConvNeXt takes by name. Over NHWC maps the '2d' (channels-first) and plain kinds are one computation. */
export type ConvNeXtNorm = 'layernorm' | 'layernorm2d' | 'rmsnorm' | 'rmsnorm2d' | 'simplenorm' | 'simplenorm2d';
export type StemType = 'patch' | 'overlap' | 'overlap_tiered' | 'overlap_act';

export interface ConvNeXtArgs {
  inChans?: number;
  numClasses?: number;
  globalPool?: string;
  outputStride?: 8 | 16 | 32;
  depths?: readonly number[];
  dims?: readonly number[];
  kernelSizes?: number | readonly number[];
  /** LayerScale init value; `null` disables LayerScale (ConvNeXt-V2). */
  lsInitValue?: number | null;
  stemType?: StemType;
  patchSize?: number;
  headInitScale?: number;
  /** Norm before the pool (`norm_pre`) and a plain classifier head, instead of the pool → norm → fc head. */
  headNormFirst?: boolean;
  headHiddenSize?: number | null;
  /** 1×1 convs in the MLP (state-dict shapes `[out, in, 1, 1]`) instead of linears. */
  convMlp?: boolean;
  convBias?: boolean;
  /** Global Response Norm in the MLP (ConvNeXt-V2). */
  useGrn?: boolean;
  actLayer?: string;
  normLayer?: ConvNeXtNorm;
  normEps?: number | null;
  dropRate?: number;
  dropPathRate?: number;
}

const ARG_NAMES: readonly (keyof ConvNeXtArgs)[] = [
  'inChans', 'numClasses', 'globalPool', 'outputStride', 'depths', 'dims', 'kernelSizes', 'lsInitValue', 'stemType',
  'patchSize', 'headInitScale', 'headNormFirst', 'headHiddenSize', 'convMlp', 'convBias', 'useGrn', 'actLayer',
  'normLayer', 'normEps', 'dropRate', 'dropPathRate',
];

/** The norm factory for a timm norm name (default eps 1e-6, as timm's LayerNorm / RmsNorm / SimpleNorm). */
export function convnextNorm(kind: ConvNeXtNorm | undefined, eps?: number | null): NormFactory {
  const e = eps ?? 1e-6;
  switch (kind ?? 'layernorm') {
    case 'layernorm':
    case 'layernorm2d':
      return (d) => new LayerNorm(d, { eps: e });
    case 'rmsnorm':
    case 'rmsnorm2d':
      return (d) => new RmsNorm(d, { eps: e });
    case 'simplenorm':
    case 'simplenorm2d':
      return (d) => new SimpleNorm(d, { eps: e });
    default:
      throw new Error(`ConvNeXt: unknown normLayer '${kind}'. Use one of: layernorm, rmsnorm, simplenorm (or their '2d' names)`);
  }
}

/** timm's ConvNeXt shortcut Downsample (only when a block changes width or stride; timm's models never do). */
class Downsample extends Module {
  constructor(inChs: number, outChs: number, stride: number, dilation: number) {
    super();
    const avgStride = dilation === 1 ? stride : 1;
    this.addModule('pool', stride > 1 || dilation > 1 ? new AvgPool2d(2, { stride: avgStride, ceilMode: true, countIncludePad: false }) : new Identity());
    this.addModule('conv', inChs !== outChs ? createConv2d(inChs, outChs, 1) : new Identity());
  }
  override forward(x: tf.Tensor): tf.Tensor {
    return this.getChild('conv')!.forward(this.getChild('pool')!.forward(x));
  }
}

interface BlockArgs {
  inChs: number;
  outChs: number;
  kernelSize: number;
  dilation: number;
  mlpRatio: number;
  convMlp: boolean;
  convBias: boolean;
  useGrn: boolean;
  lsInitValue: number | null;
  act: ActName;
  norm: NormFactory;
}

/** timm's ConvNeXtBlock: depthwise k×k conv → norm over channels → MLP (×4) → LayerScale, plus the residual. */
export class ConvNeXtBlock extends Module {
  readonly gamma: Param | null;
  readonly convDw: Conv2d;
  readonly norm: Module;
  readonly mlp: Module;
  readonly shortcut: Module;
  constructor(a: BlockArgs) {
    super();
    this.gamma = a.lsInitValue !== null ? this.addParam('gamma', [a.outChs], { init: { kind: 'const', value: a.lsInitValue } }) : null;
    this.convDw = this.addModule('conv_dw', createConv2d(a.inChs, a.outChs, a.kernelSize, { dilation: a.dilation, depthwise: true, bias: a.convBias }));
    this.norm = this.addModule('norm', a.norm(a.outChs));
    const hidden = Math.trunc(a.mlpRatio * a.outChs);
    this.mlp = this.addModule(
      'mlp',
      a.useGrn || a.convMlp
        ? new PointwiseMlp(a.outChs, { hiddenFeatures: hidden, actLayer: a.act, useConv: a.convMlp, useGrn: a.useGrn })
        : new Mlp(a.outChs, { hiddenFeatures: hidden, actLayer: a.act }),
    );
    this.shortcut = this.addModule('shortcut', a.inChs !== a.outChs ? new Downsample(a.inChs, a.outChs, 1, a.dilation) : new Identity());
  }
  override forward(x: tf.Tensor): tf.Tensor {
    let y = this.mlp.forward(this.norm.forward(this.convDw.forward(x)));
    if (this.gamma) y = tfc.mul(y, this.gamma.value);
    return tfc.add(y, this.shortcut.forward(x));
  }
}

/** timm's ConvNeXtStage: an optional downsample (norm → k2/s2 conv) then the blocks. Keys: downsample.{0,1}, blocks.N. */
export class ConvNeXtStage extends Module {
  readonly downsample: Module;
  readonly blocks: Sequential;
  constructor(inChs: number, outChs: number, o: { stride: number; depth: number; dilation: [number, number] } & Omit<BlockArgs, 'inChs' | 'outChs' | 'dilation' | 'mlpRatio'> & { dsNorm: NormFactory }) {
    super();
    const [d0, d1] = o.dilation;
    if (inChs !== outChs || o.stride > 1 || d0 !== d1) {
      const dsKs = o.stride > 1 || d0 !== d1 ? 2 : 1;
      this.downsample = this.addModule('downsample', new Sequential([
        o.dsNorm(inChs),
        new Conv2d(inChs, outChs, dsKs, { stride: o.stride, dilation: d0, padding: d1 > 1 ? 'same' : 0, bias: o.convBias }),
      ]));
      inChs = outChs;
    } else {
      this.downsample = this.addModule('downsample', new Identity());
    }
    const blocks: Module[] = [];
    for (let i = 0; i < o.depth; i++) {
      blocks.push(new ConvNeXtBlock({ ...o, inChs, outChs, dilation: d1, mlpRatio: 4 }));
      inChs = outChs;
    }
    this.blocks = this.addModule('blocks', new Sequential(blocks));
  }
  override forward(x: tf.Tensor): tf.Tensor {
    return this.blocks.forward(this.downsample.forward(x));
  }
}

/**
 * timm's ConvNeXt (V1 and V2) on NHWC input. Channels are already last, so the LayerNorm / RmsNorm / SimpleNorm over
 * channels is a norm over the last axis, and the MLP runs as matmuls whether timm holds it as linears or 1×1 convs.
 * State-dict keys are timm's: stem.N, stages.N.downsample.N, stages.N.blocks.M.{gamma,conv_dw,norm,mlp.*}, norm_pre,
 * head.{norm,pre_logits.fc,fc}.
 */
export class ConvNeXt extends VisionModel {
  static readonly argNames: readonly (keyof ConvNeXtArgs)[] = ARG_NAMES;
  numClasses: number;
  numFeatures: number;
  headHiddenSize: number;
  readonly inChans: number;
  readonly dropRate: number;
  readonly headNormFirst: boolean;
  readonly stem: Sequential;
  readonly stages: Sequential;
  normPre: Module;
  head: ClassifierHead | NormMlpClassifierHead;
  private readonly numStages: number;

  constructor(args: ConvNeXtArgs = {}) {
    super();
    const {
      inChans = 3, numClasses = 1000, globalPool = 'avg', outputStride = 32, depths = [3, 3, 9, 3], dims = [96, 192, 384, 768],
      kernelSizes = 7, lsInitValue = 1e-6, stemType = 'patch', patchSize = 4, headNormFirst = false, headHiddenSize = null,
      convMlp = false, convBias = true, useGrn = false, actLayer = 'gelu', normLayer, normEps = null, dropRate = 0,
    } = args;
    if (![8, 16, 32].includes(outputStride)) throw new RangeError(`outputStride must be 8, 16 or 32, got ${outputStride}`);
    if (depths.length !== 4 || dims.length !== 4) throw new Error(`ConvNeXt takes 4 depths and 4 dims, got ${JSON.stringify({ depths, dims })}`);
    const ks = typeof kernelSizes === 'number' ? [kernelSizes, kernelSizes, kernelSizes, kernelSizes] : kernelSizes;
    if (ks.length !== 4) throw new Error(`kernelSizes must be one number or 4, got ${JSON.stringify(kernelSizes)}`);
    const norm = convnextNorm(normLayer, normEps);
    const act = resolveAct(actLayer);
    this.numClasses = numClasses;
    this.inChans = inChans;
    this.dropRate = dropRate;
    this.headNormFirst = headNormFirst;
    this.numStages = 4;

    let stemStride: number;
    if (stemType === 'patch') {
      this.stem = this.addModule('stem', new Sequential([
        new Conv2d(inChans, dims[0]!, patchSize, { stride: patchSize, padding: 0, bias: convBias }),
        norm(dims[0]!),
      ]));
      stemStride = patchSize;
    } else if (stemType === 'overlap' || stemType === 'overlap_tiered' || stemType === 'overlap_act') {
      const mid = stemType.includes('tiered') ? makeDivisible(Math.floor(dims[0]! / 2)) : dims[0]!;
      this.stem = this.addModule('stem', new Sequential([
        new Conv2d(inChans, mid, 3, { stride: 2, padding: 1, bias: convBias }),
        ...(stemType.includes('act') ? [new Activation(act)] : []),
        new Conv2d(mid, dims[0]!, 3, { stride: 2, padding: 1, bias: convBias }),
        norm(dims[0]!),
      ]));
      stemStride = 4;
    } else {
      throw new Error(`ConvNeXt: unknown stemType '${stemType}'. Use patch, overlap, overlap_tiered or overlap_act`);
    }

    const stages: Module[] = [];
    let prevChs = dims[0]!;
    let currStride = stemStride;
    let dilation = 1;
    for (let i = 0; i < 4; i++) {
      let stride = currStride === 2 || i > 0 ? 2 : 1;
      if (currStride >= outputStride && stride > 1) {
        dilation *= stride;
        stride = 1;
      }
      currStride *= stride;
      const firstDilation = dilation === 1 || dilation === 2 ? 1 : 2;
      stages.push(new ConvNeXtStage(prevChs, dims[i]!, {
        stride, depth: depths[i]!, dilation: [firstDilation, dilation], kernelSize: ks[i]!, lsInitValue, convMlp, convBias,
        useGrn, act, norm, dsNorm: norm,
      }));
      prevChs = dims[i]!;
      this.featureInfo.push({ numChs: prevChs, reduction: currStride, module: `stages.${i}` });
    }
    this.stages = this.addModule('stages', new Sequential(stages));
    this.numFeatures = this.headHiddenSize = prevChs;
    if (headNormFirst) {
      if (headHiddenSize) throw new Error('ConvNeXt: headHiddenSize is not supported with headNormFirst');
      this.normPre = this.addModule('norm_pre', norm(this.numFeatures));
      this.head = this.setClassifierHead('head', new ClassifierHead(this.numFeatures, numClasses, { poolType: globalPool, dropRate }), numClasses);
    } else {
      this.normPre = this.addModule('norm_pre', new Identity());
      const head = new NormMlpClassifierHead(this.numFeatures, numClasses, { hiddenSize: headHiddenSize, poolType: globalPool, dropRate, normLayer: norm, actLayer: 'gelu' });
      this.head = this.setClassifierHead('head', head, numClasses);
      this.headHiddenSize = head.numFeatures;
    }
  }

  /** timm's `ConvNeXt.group_matcher`: layer groups for layer-wise lr decay. */
  override groupMatcher(coarse = false): GroupMatcher {
    return {
      stem: '^stem',
      blocks: coarse
        ? String.raw`^stages\.(\d+)`
        : [
            [String.raw`^stages\.(\d+)\.downsample`, [0]],
            [String.raw`^stages\.(\d+)\.blocks\.(\d+)`, null],
            ['^norm_pre', [MATCH_PREV_GROUP]],
          ],
    };
  }

  protected computeFeatures(x: tf.Tensor): tf.Tensor {
    return this.normPre.forward(this.stages.forward(this.stem.forward(x)));
  }

  protected override computeIntermediates(x: tf.Tensor, o: ForwardIntermediatesOptions): IntermediatesResult {
    const { indices, stop } = this.takeIndices(this.numStages, o);
    const last = this.numStages - 1;
    const intermediates: tf.Tensor[] = [];
    x = this.stem.forward(x);
    let idx = 0;
    for (; idx < stop; idx++) {
      x = this.stages.at(idx).forward(x);
      if (indices.includes(idx)) intermediates.push(o.norm && idx === last ? this.normPre.forward(x) : x);
    }
    if (idx - 1 === last) x = this.normPre.forward(x);
    return { final: x, intermediates };
  }

  override pruneIntermediateLayers(indices: OutIndices = 1, pruneNorm = false, pruneHead = true): number[] {
    return this.pruneLevels(this.numStages, indices, pruneHead, (maxIndex) => {
      for (let i = maxIndex + 1; i < this.numStages; i++) this.stages.addModule(String(i), new Identity());
      if (pruneNorm) this.normPre = this.addModule('norm_pre', new Identity());
    });
  }
}

/**
 * timm's `checkpoint_filter_fn` for ConvNeXt: timm-format checkpoints pass through; original FAIR (and CLIP trunk)
 * checkpoints are renamed to timm's keys.
 */
export function checkpointFilterFn(sd: StateDict, model: { stateDict(): StateDict }): StateDict {
  if ('head.norm.weight' in sd || 'norm_pre.weight' in sd) return sd;
  const out: StateDict = {};
  if ('visual.trunk.stem.0.weight' in sd) {
    for (const [k, v] of Object.entries(sd)) if (k.startsWith('visual.trunk.')) out[k.slice('visual.trunk.'.length)] = v;
    const proj = sd['visual.head.proj.weight'];
    const fc2 = sd['visual.head.mlp.fc2.weight'];
    if (proj) {
      out['head.fc.weight'] = proj;
      out['head.fc.bias'] = { dtype: 'float32', shape: [proj.shape[0]!], data: new Float32Array(proj.shape[0]!) };
    } else if (fc2) {
      out['head.pre_logits.fc.weight'] = sd['visual.head.mlp.fc1.weight']!;
      out['head.pre_logits.fc.bias'] = sd['visual.head.mlp.fc1.bias']!;
      out['head.fc.weight'] = fc2;
      out['head.fc.bias'] = { dtype: 'float32', shape: [fc2.shape[0]!], data: new Float32Array(fc2.shape[0]!) };
    }
    return out;
  }
  let shapes: StateDict | null = null;
  for (let [k, v] of Object.entries(sd)) {
    if (k.startsWith('projectors.') || k.startsWith('norms.')) continue;
    k = k.replace('downsample_layers.0.', 'stem.');
    k = k.replace(/stages\.([0-9]+)\.([0-9]+)/, 'stages.$1.blocks.$2');
    k = k.replace(/downsample_layers\.([0-9]+)\.([0-9]+)/, 'stages.$1.downsample.$2');
    k = k.replace('dwconv', 'conv_dw').replace('pwconv', 'mlp.fc');
    if (k.includes('grn')) {
      k = k.replace('grn.beta', 'mlp.grn.bias').replace('grn.gamma', 'mlp.grn.weight');
      v = { ...v, shape: [v.shape[v.shape.length - 1]!] };
    }
    k = k.replace('head.', 'head.fc.');
    if (k.startsWith('norm.')) k = k.replace('norm', 'head.norm');
    if (v.shape.length === 2 && !k.includes('head')) {
      shapes ??= model.stateDict();
      const target = shapes[k];
      if (target) v = { ...v, shape: [...target.shape] };
    }
    out[k] = v;
  }
  return out;
}
