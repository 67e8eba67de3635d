import * as tf from '@tensorflow/tfjs-core';
import {
  Activation, AvgPool2d, AvgPool2dSame, ClassifierHead, createAttn, DropPath, GammaAct, Identity, MaxPool2d, Module, makeDivisible,
  nonlinGamma, type Param, resolveAct, ScaledStdConv2d, ScaledStdConv2dSame, type SEOptions, Sequential, stageDilation, VisionModel,
} from '@zoo/core';

/** timm's `NfCfg`: the design of one Normalization-Free network (NFNet-F/L, NF-RegNet, NF-ResNet). */
export interface NfCfg {
  depths: number[];
  channels: number[];
  /** Residual branch scale (timm's alpha). */
  alpha?: number;
  /** '', 'deep', 'deep_tiered', 'deep_quad', '3x3', '7x7', 'deep_pool', '3x3_pool' or '7x7_pool'. */
  stemType?: string;
  stemChs?: number | null;
  groupSize?: number | null;
  /** Channel attention by timm's name ('se', 'eca'), or null. */
  attnLayer?: string | null;
  attnKwargs?: SEOptions | null;
  /** NF correction gain applied to the attention output. */
  attnGain?: number;
  widthFactor?: number;
  bottleRatio?: number;
  /** Width of a final 1×1 conv before the head (0: none). */
  numFeatures?: number;
  chDiv?: number;
  /** RegNet-style blocks: bottleneck from the input width, attention between conv2 and conv3. */
  reg?: boolean;
  /** An extra grouped 3×3 conv in each block (NFNet-F/L). */
  extraConv?: boolean;
  /** Apply the activation gamma in the activations (DeepMind's way) instead of folding it into the convs' scale. */
  gammaInAct?: boolean;
  /** TensorFlow SAME padding (ScaledStdConv2dSame), as the DeepMind weights were trained. */
  samePadding?: boolean;
  stdConvEps?: number;
  /** A learnable scalar `skipinit_gain` on each residual branch. */
  skipinit?: boolean;
  /** timm's init option for the classifier; no effect on loaded weights. */
  zeroInitFc?: boolean;
  actLayer?: string;
}

/** The model's options: timm's `NormFreeNet(cfg, …, **kwargs)`, where the kwargs overlay fields of `cfg`. */
export interface NormFreeNetArgs extends Omit<Partial<NfCfg>, 'depths' | 'channels'> {
  cfg: NfCfg;
  depths?: number[];
  channels?: number[];
  numClasses?: number;
  inChans?: number;
  globalPool?: string;
  outputStride?: number;
  dropRate?: number;
  dropPathRate?: number;
}

const CFG_DEFAULTS: Required<Omit<NfCfg, 'depths' | 'channels'>> = {
  alpha: 0.2, stemType: '3x3', stemChs: null, groupSize: null, attnLayer: null, attnKwargs: null, attnGain: 2.0,
  widthFactor: 1.0, bottleRatio: 0.5, numFeatures: 0, chDiv: 8, reg: false, extraConv: false, gammaInAct: false,
  samePadding: false, stdConvEps: 1e-5, skipinit: false, zeroInitFc: false, actLayer: 'silu',
};
const CFG_FIELDS = ['depths', 'channels', ...Object.keys(CFG_DEFAULTS)] as (keyof NfCfg)[];
const STEM_TYPES = ['', 'deep', 'deep_tiered', 'deep_quad', '3x3', '7x7', 'deep_pool', '3x3_pool', '7x7_pool'];

type ConvFactory = (inChs: number, outChs: number, kernel: number, o?: { stride?: number; dilation?: number; groups?: number; gainInit?: number }) => ScaledStdConv2d;
type ActFactory = (inplace?: boolean) => Module;

/** An activation timm runs in place (`act_layer(inplace=True)`): features_only returns the map before it activated. */
class InplaceActivation extends Activation {
  readonly inplace = true;
}

/** timm's DownsampleAvg: 2×2 average pool (SAME-padded, stride 1, in dilated stages) then a 1×1 scaled std conv. */
class DownsampleAvg extends Module {
  readonly pool: Module;
  readonly conv: ScaledStdConv2d;
  constructor(inChs: number, outChs: number, stride: number, dilation: number, conv: ConvFactory) {
    super();
    const avgStride = dilation === 1 ? stride : 1;
    let pool: Module = new Identity();
    if (stride > 1 || dilation > 1) {
      pool = avgStride === 1 && dilation > 1
        ? new AvgPool2dSame(2, { stride: avgStride, ceilMode: true })
        : new AvgPool2d(2, { stride: avgStride, ceilMode: true, countIncludePad: false });
    }
    this.pool = this.addModule('pool', pool);
    this.conv = this.addModule('conv', conv(inChs, outChs, 1));
  }
  override forward(x: tf.Tensor): tf.Tensor {
    return this.conv.forward(this.pool.forward(x));
  }
}

interface BlockArgs {
  stride: number;
  dilation: number;
  firstDilation: number;
  alpha: number;
  beta: number;
  bottleRatio: number;
  groupSize: number | null;
  chDiv: number;
  reg: boolean;
  extraConv: boolean;
  skipinit: boolean;
  attn: ((chs: number) => Module | null) | null;
  attnGain: number;
  act: ActFactory;
  conv: ConvFactory;
  /** Stochastic depth of the residual branch (training only). */
  dropPathRate: number;
}

/**
 * timm's NormFreeBlock: a pre-activation bottleneck without normalisation. The input, activated and scaled by `beta`,
 * feeds the residual branch (1×1 → grouped 3×3 [→ 3×3] → 1×1, attention between or after) and the downsample
 * shortcut; the branch is scaled by `alpha` (and the learnable `skipinit_gain`) and added to the shortcut.
 */
export class NormFreeBlock extends Module {
  readonly alpha: number;
  readonly beta: number;
  readonly attnGain: number;
  readonly skipinitGain: Param | null;
  readonly downsample: DownsampleAvg | null;
  readonly convs: [Module, ScaledStdConv2d][];
  readonly attn: Module | null;
  readonly attnLast: Module | null;
  readonly act1: Module;
  readonly act3: Module;
  readonly conv3: ScaledStdConv2d;
  readonly dropPath: DropPath;

  constructor(inChs: number, outChs: number, a: BlockArgs) {
    super();
    const mid0 = makeDivisible(a.reg ? inChs * a.bottleRatio : outChs * a.bottleRatio, a.chDiv);
    const groups = a.groupSize ? Math.floor(mid0 / a.groupSize) : 1;
    const mid = a.groupSize && a.groupSize % a.chDiv === 0 ? a.groupSize * groups : mid0;
    this.alpha = a.alpha;
    this.beta = a.beta;
    this.attnGain = a.attnGain;
    this.skipinitGain = a.skipinit ? this.addParam('skipinit_gain', [], { init: { kind: 'zeros' } }) : null;
    this.downsample = inChs !== outChs || a.stride !== 1 || a.dilation !== a.firstDilation
      ? this.addModule('downsample', new DownsampleAvg(inChs, outChs, a.stride, a.dilation, a.conv))
      : null;
    this.act1 = this.addModule('act1', a.act());
    const conv1 = this.addModule('conv1', a.conv(inChs, mid, 1));
    const act2 = this.addModule('act2', a.act(true));
    const conv2 = this.addModule('conv2', a.conv(mid, mid, 3, { stride: a.stride, dilation: a.firstDilation, groups }));
    this.convs = [[new Identity(), conv1], [act2, conv2]];
    if (a.extraConv) {
      const act2b = this.addModule('act2b', a.act(true));
      this.convs.push([act2b, this.addModule('conv2b', a.conv(mid, mid, 3, { dilation: a.dilation, groups }))]);
    }
    this.attn = a.reg && a.attn ? this.addModule('attn', a.attn(mid)) : null;
    this.act3 = this.addModule('act3', a.act());
    this.conv3 = this.addModule('conv3', a.conv(mid, outChs, 1, { gainInit: a.skipinit ? 1 : 0 }));
    this.attnLast = !a.reg && a.attn ? this.addModule('attn_last', a.attn(outChs)) : null;
    this.dropPath = this.addModule('drop_path', new DropPath(a.dropPathRate));
  }

  override forward(x: tf.Tensor): tf.Tensor {
    let out = this.act1.forward(x);
    if (this.beta !== 1) out = tf.mul(out, this.beta);
    const shortcut = this.downsample ? this.downsample.forward(out) : x;
    for (const [act, conv] of this.convs) out = conv.forward(act.forward(out));
    if (this.attn) out = tf.mul(this.attn.forward(out), this.attnGain);
    out = this.conv3.forward(this.act3.forward(out));
    if (this.attnLast) out = tf.mul(this.attnLast.forward(out), this.attnGain);
    out = this.dropPath.forward(out);
    if (this.skipinitGain) out = tf.mul(out, this.skipinitGain.value);
    return tf.add(tf.mul(out, this.alpha), shortcut);
  }
}

/** timm's `create_stem`: the stem Sequential, its stride, and its feature-info entry. */
function createStem(inChs: number, outChs: number, stemType: string, conv: ConvFactory, act: ActFactory): { stem: Sequential; stride: number; feature: { numChs: number; reduction: number; module: string } } {
  if (!STEM_TYPES.includes(stemType)) throw new Error(`NormFreeNet: stemType must be one of ${STEM_TYPES.map((s) => `'${s}'`).join(', ')}, got '${stemType}'`);
  const stem = new Sequential();
  let stride = 2;
  let feature = { numChs: outChs, reduction: 2, module: 'stem.conv' };
  if (stemType.includes('deep')) {
    let chs: number[];
    let strides: number[];
    if (stemType.includes('quad')) {
      // NFNet-F's four 3×3 convs.
      chs = [outChs >> 3, outChs >> 2, outChs >> 1, outChs];
      strides = [2, 1, 1, 2];
      stride = 4;
      feature = { numChs: outChs >> 1, reduction: 2, module: 'stem.conv3' };
    } else {
      chs = stemType.includes('tiered') ? [Math.floor((3 * outChs) / 8), outChs >> 1, outChs] : [outChs >> 1, outChs >> 1, outChs];
      strides = [2, 1, 1];
      feature = { numChs: outChs >> 1, reduction: 2, module: 'stem.conv2' };
    }
    let prev = inChs;
    chs.forEach((c, i) => {
      stem.addModule(`conv${i + 1}`, conv(prev, c, 3, { stride: strides[i]! }));
      if (i !== chs.length - 1) stem.addModule(`act${i + 2}`, act(true));
      prev = c;
    });
  } else {
    stem.addModule('conv', conv(inChs, outChs, stemType.includes('3x3') ? 3 : 7, { stride: 2 }));
  }
  if (stemType.includes('pool')) {
    stem.addModule('pool', new MaxPool2d(3, { stride: 2, padding: 1 }));
    stride = 4;
  }
  return { stem, stride, feature };
}

const ARG_NAMES: readonly (keyof NormFreeNetArgs)[] = ['cfg', 'numClasses', 'inChans', 'globalPool', 'outputStride', 'dropRate', 'dropPathRate', ...CFG_FIELDS];

/**
 * timm's NormFreeNet (NFNet-F, the DeepMind-compatible dm_nfnet-F, NFNet-L / ECA-NFNet-L, NF-RegNet-B and the
 * pre-activation NF-ResNets) on NHWC input: no normalisation layers; every conv is a {@link ScaledStdConv2d} (weight
 * standardisation with learnable gains). Children as timm's: `stem`, `stages` (Sequential of Sequentials of
 * {@link NormFreeBlock}), `final_conv`, `final_act`, `head` (ClassifierHead).
 */
export class NormFreeNet extends VisionModel {
  static readonly argNames: readonly (keyof NormFreeNetArgs)[] = ARG_NAMES;
  numClasses: number;
  numFeatures: number;
  headHiddenSize: number;
  readonly inChans: number;
  readonly cfg: Required<NfCfg>;

  constructor(args: NormFreeNetArgs) {
    super();
    const { cfg: base, numClasses = 1000, inChans = 3, globalPool = 'avg', outputStride = 32, dropRate = 0, dropPathRate = 0, ...overlay } = args;
    if (![8, 16, 32].includes(outputStride)) throw new Error(`NormFreeNet: outputStride must be 8, 16 or 32, got ${outputStride}`);
    // timm's `replace(cfg, **kwargs)`: model kwargs overlay the architecture's cfg.
    const cfg = { ...CFG_DEFAULTS, ...base } as Required<NfCfg>;
    for (const [k, v] of Object.entries(overlay)) if (v !== undefined) (cfg as unknown as Record<string, unknown>)[k] = v;
    if (cfg.depths?.length !== 4 || cfg.channels?.length !== 4) throw new Error('NormFreeNet: cfg.depths and cfg.channels must have 4 entries (one per stage)');
    this.cfg = cfg;
    this.inChans = inChans;
    this.numClasses = numClasses;

    const actName = resolveAct(cfg.actLayer);
    const gamma = nonlinGamma(actName);
    const Conv = cfg.samePadding ? ScaledStdConv2dSame : ScaledStdConv2d;
    // The activation gamma goes either into each activation (DeepMind's) or into the convs' weight scale (timm's default).
    const convGamma = cfg.gammaInAct ? 1 : gamma;
    const conv: ConvFactory = (i, o, k, opts = {}) => new Conv(i, o, k, { ...opts, gamma: convGamma, eps: cfg.stdConvEps });
    const act: ActFactory = cfg.gammaInAct
      ? (inplace = false) => new GammaAct(actName, gamma, inplace)
      : (inplace = false) => (inplace ? new InplaceActivation(actName) : new Activation(actName));
    const attnKwargs = cfg.attnKwargs ?? {};
    const attn = cfg.attnLayer ? (chs: number) => createAttn(cfg.attnLayer, chs, attnKwargs) : null;

    const stemChs = makeDivisible((cfg.stemChs || cfg.channels[0]!) * cfg.widthFactor, cfg.chDiv);
    const { stem, stride: stemStride, feature } = createStem(inChans, stemChs, cfg.stemType, conv, act);
    this.addModule('stem', stem);
    this.featureInfo = [feature];

    const stages = this.addModule('stages', new Sequential());
    let prev = stemChs;
    let netStride = stemStride;
    let dilation = 1;
    let expectedVar = 1.0;
    // timm's calculate_drop_path_rates: 0 … dropPathRate linearly over all blocks.
    const totalBlocks = cfg.depths.reduce((a, b) => a + b, 0);
    let blockIdx = 0;
    cfg.depths.forEach((depth, si) => {
      const at = stageDilation(netStride, outputStride, si === 0 && stemStride > 2 ? 1 : 2, dilation);
      const stride = at.stride;
      dilation = at.dilation;
      netStride = at.netStride;
      let firstDilation = at.firstDilation;
      const blocks = new Sequential();
      for (let bi = 0; bi < depth; bi++) {
        const out = makeDivisible(cfg.channels[si]! * cfg.widthFactor, cfg.chDiv);
        blocks.addModule(String(bi), new NormFreeBlock(prev, out, {
          stride: bi === 0 ? stride : 1, dilation, firstDilation, alpha: cfg.alpha, beta: 1 / Math.sqrt(expectedVar),
          bottleRatio: cfg.reg && si === 0 && bi === 0 ? 1 : cfg.bottleRatio, groupSize: cfg.groupSize, chDiv: cfg.chDiv,
          reg: cfg.reg, extraConv: cfg.extraConv, skipinit: cfg.skipinit, attn, attnGain: cfg.attnGain, act, conv,
          dropPathRate: totalBlocks > 1 ? (dropPathRate * blockIdx++) / (totalBlocks - 1) : 0,
        }));
        // The expected variance resets after each stage's first block, and grows by alpha² with every block.
        if (bi === 0) expectedVar = 1;
        expectedVar += cfg.alpha ** 2;
        firstDilation = dilation;
        prev = out;
      }
      this.featureInfo.push({ numChs: prev, reduction: netStride, module: `stages.${si}` });
      stages.addModule(String(si), blocks);
    });

    if (cfg.numFeatures) {
      this.numFeatures = makeDivisible(cfg.widthFactor * cfg.numFeatures, cfg.chDiv);
      this.addModule('final_conv', conv(prev, this.numFeatures, 1));
      this.featureInfo[this.featureInfo.length - 1] = { numChs: this.numFeatures, reduction: netStride, module: 'final_conv' };
    } else {
      this.numFeatures = prev;
      this.addModule('final_conv', new Identity());
    }
    this.addModule('final_act', act(cfg.numFeatures > 0));
    this.headHiddenSize = this.numFeatures;
    this.setClassifierHead('head', new ClassifierHead(this.numFeatures, numClasses, { poolType: globalPool, dropRate }), numClasses);
  }

  protected computeFeatures(x: tf.Tensor): tf.Tensor {
    for (const name of ['stem', 'stages', 'final_conv', 'final_act']) x = this.getChild(name)!.forward(x);
    return x;
  }
}
