import * as tf from '@tensorflow/tfjs-core';
import {
  Activation, AvgPool2d, BatchNorm2d, Conv2d, convNormAct, createClassifier, Dropout, FusedSequential, type
  GroupMatcher, Identity, MaxPool2d, Module, runFused, Sequential, splitTensor, VisionModel,
} from '@zoo/core';

/** timm's DLA block kinds: DlaBasic, DlaBottleneck (DLA-X with cardinality), DlaBottle2neck (Res2Net / Res2NeXt). */
export type DlaBlock = 'basic' | 'bottleneck' | 'bottle2neck';

export interface DLAArgs {
  /** Per level (0 … 5): conv count for levels 0–1, tree depth for levels 2–5. */
  levels: number[];
  channels: number[];
  /** Only 32 (timm asserts it). */
  outputStride?: number;
  numClasses?: number;
  inChans?: number;
  globalPool?: string;
  cardinality?: number;
  baseWidth?: number;
  block?: DlaBlock;
  shortcutRoot?: boolean;
  dropRate?: number;
}

/** A DLA block: `forward(x, shortcut)` adds `shortcut` (default: the input) before the last ReLU. */
abstract class DlaBlockModule extends Module {
  protected abstract residual(x: tf.Tensor): tf.Tensor;
  forwardBlock(x: tf.Tensor, shortcut?: tf.Tensor): tf.Tensor {
    return tf.relu(tf.add(this.residual(x), shortcut ?? x));
  }
  override forward(x: tf.Tensor): tf.Tensor {
    return this.forwardBlock(x);
  }
}

/** nn.Conv2d as DLA writes it: no bias, padding = dilation for 3×3. */
const conv3 = (inChs: number, outChs: number, stride: number, dilation: number, groups = 1) =>
  new Conv2d(inChs, outChs, 3, { stride, padding: dilation, dilation, groups });

/** timm's DlaBasic: conv3×3-BN-ReLU → conv3×3-BN, plus the shortcut, ReLU. */
export class DlaBasic extends DlaBlockModule {
  readonly conv1: Conv2d;
  readonly bn1: BatchNorm2d;
  readonly conv2: Conv2d;
  readonly bn2: BatchNorm2d;
  constructor(inChs: number, outChs: number, stride: number, dilation: number) {
    super();
    this.conv1 = this.addModule('conv1', conv3(inChs, outChs, stride, dilation));
    this.bn1 = this.addModule('bn1', new BatchNorm2d(outChs));
    this.conv2 = this.addModule('conv2', conv3(outChs, outChs, 1, dilation));
    this.bn2 = this.addModule('bn2', new BatchNorm2d(outChs));
  }
  protected residual(x: tf.Tensor): tf.Tensor {
    return convNormAct(convNormAct(x, this.conv1, this.bn1, 'relu'), this.conv2, this.bn2);
  }
}

/** The middle width of timm's DLA bottlenecks: ⌊out · baseWidth / 64⌋ · cardinality / expansion (2). */
const midPlanes = (outChs: number, cardinality: number, baseWidth: number) => Math.floor((Math.floor(outChs * (baseWidth / 64)) * cardinality) / 2);

/** timm's DlaBottleneck: 1×1 → grouped 3×3 → 1×1 (each with BN, ReLU but the last), plus the shortcut, ReLU. */
export class DlaBottleneck extends DlaBlockModule {
  readonly conv1: Conv2d;
  readonly bn1: BatchNorm2d;
  readonly conv2: Conv2d;
  readonly bn2: BatchNorm2d;
  readonly conv3: Conv2d;
  readonly bn3: BatchNorm2d;
  constructor(inChs: number, outChs: number, stride: number, dilation: number, cardinality: number, baseWidth: number) {
    super();
    const mid = midPlanes(outChs, cardinality, baseWidth);
    this.conv1 = this.addModule('conv1', new Conv2d(inChs, mid, 1));
    this.bn1 = this.addModule('bn1', new BatchNorm2d(mid));
    this.conv2 = this.addModule('conv2', conv3(mid, mid, stride, dilation, cardinality));
    this.bn2 = this.addModule('bn2', new BatchNorm2d(mid));
    this.conv3 = this.addModule('conv3', new Conv2d(mid, outChs, 1));
    this.bn3 = this.addModule('bn3', new BatchNorm2d(outChs));
  }
  protected residual(x: tf.Tensor): tf.Tensor {
    const y = convNormAct(convNormAct(x, this.conv1, this.bn1, 'relu'), this.conv2, this.bn2, 'relu');
    return convNormAct(y, this.conv3, this.bn3);
  }
}

/**
 * timm's DlaBottle2neck (Res2Net): the 1×1 output is split into `scale` groups of channels; each but the last goes
 * through its own 3×3 conv, fed the previous group's result too (unless the block strides); the last group passes
 * (average-pooled when striding); then 1×1 conv-BN, the shortcut, ReLU.
 */
export class DlaBottle2neck extends DlaBlockModule {
  readonly isFirst: boolean;
  readonly width: number;
  readonly conv1: Conv2d;
  readonly bn1: BatchNorm2d;
  readonly convs: Sequential;
  readonly bns: Sequential;
  readonly pool: AvgPool2d | null;
  readonly conv3: Conv2d;
  readonly bn3: BatchNorm2d;
  constructor(inChs: number, outChs: number, stride: number, dilation: number, cardinality: number, baseWidth: number, readonly scale = 4) {
    super();
    this.isFirst = stride > 1;
    const mid = midPlanes(outChs, cardinality, baseWidth);
    this.width = mid;
    this.conv1 = this.addModule('conv1', new Conv2d(inChs, mid * scale, 1));
    this.bn1 = this.addModule('bn1', new BatchNorm2d(mid * scale));
    const n = Math.max(1, scale - 1);
    this.convs = this.addModule('convs', new Sequential(Array.from({ length: n }, () => conv3(mid, mid, stride, dilation, cardinality))));
    this.bns = this.addModule('bns', new Sequential(Array.from({ length: n }, () => new BatchNorm2d(mid))));
    this.pool = this.isFirst ? new AvgPool2d(3, { stride, padding: 1 }) : null;
    this.conv3 = this.addModule('conv3', new Conv2d(mid * scale, outChs, 1));
    this.bn3 = this.addModule('bn3', new BatchNorm2d(outChs));
  }
  protected residual(x: tf.Tensor): tf.Tensor {
    const spx = splitTensor(convNormAct(x, this.conv1, this.bn1, 'relu'), this.scale, 3);
    const spo: tf.Tensor[] = [];
    let sp = spx[0]!;
    const n = this.convs.length;
    for (let i = 0; i < n; i++) {
      sp = i === 0 || this.isFirst ? spx[i]! : tf.add(sp, spx[i]!);
      sp = convNormAct(sp, this.convs.at(i) as Conv2d, this.bns.at(i) as BatchNorm2d, 'relu');
      spo.push(sp);
    }
    if (this.scale > 1) spo.push(this.pool ? this.pool.forward(spx[this.scale - 1]!) : spx[this.scale - 1]!);
    return convNormAct(tf.concat(spo, 3), this.conv3, this.bn3);
  }
}

function makeBlock(kind: DlaBlock, inChs: number, outChs: number, stride: number, dilation: number, cardinality: number, baseWidth: number): DlaBlockModule {
  if (kind === 'basic') return new DlaBasic(inChs, outChs, stride, dilation);
  if (kind === 'bottleneck') return new DlaBottleneck(inChs, outChs, stride, dilation, cardinality, baseWidth);
  if (kind === 'bottle2neck') return new DlaBottle2neck(inChs, outChs, stride, dilation, cardinality, baseWidth);
  throw new Error(`DLA: block must be 'basic', 'bottleneck' or 'bottle2neck', got '${String(kind)}'`);
}

/** timm's DlaRoot: 1×1 conv-BN over the concatenated children (+ the first child with `shortcut`), ReLU. */
export class DlaRoot extends Module {
  readonly conv: Conv2d;
  readonly bn: BatchNorm2d;
  constructor(inChs: number, outChs: number, readonly shortcut: boolean) {
    super();
    this.conv = this.addModule('conv', new Conv2d(inChs, outChs, 1, { padding: 0 }));
    this.bn = this.addModule('bn', new BatchNorm2d(outChs));
  }
  forwardChildren(children: tf.Tensor[]): tf.Tensor {
    const y = convNormAct(tf.concat(children, 3), this.conv, this.bn);
    return tf.relu(this.shortcut ? tf.add(y, children[0]!) : y);
  }
  override forward(x: tf.Tensor): tf.Tensor {
    return this.forwardChildren([x]);
  }
}

interface TreeOptions {
  block: DlaBlock;
  dilation: number;
  cardinality: number;
  baseWidth: number;
  rootShortcut: boolean;
}

/**
 * timm's DlaTree: a binary tree of blocks of depth `levels`; each level-1 tree aggregates its two blocks (and the
 * children handed down) in a DlaRoot. `level_root` trees also hand their (pooled) input to the root.
 */
export class DlaTree extends Module {
  readonly downsample: Module;
  readonly project: Module;
  readonly tree1: DlaTree | DlaBlockModule;
  readonly tree2: DlaTree | DlaBlockModule;
  readonly root: DlaRoot | null;
  readonly levelRoot: boolean;
  constructor(levels: number, inChs: number, outChs: number, stride: number, o: TreeOptions, levelRoot = false, rootDim = 0) {
    super();
    let dim = rootDim === 0 ? 2 * outChs : rootDim;
    if (levelRoot) dim += inChs;
    this.levelRoot = levelRoot;
    this.downsample = this.addModule('downsample', stride > 1 ? new MaxPool2d(stride, { stride }) : new Identity());
    // timm sets `project` before the trees and replaces it after them: the state dict lists it first.
    this.project = this.addModule('project', levels === 1 && inChs !== outChs
      ? new Sequential([new Conv2d(inChs, outChs, 1), new BatchNorm2d(outChs)])
      : new Identity());
    if (levels === 1) {
      this.tree1 = this.addModule('tree1', makeBlock(o.block, inChs, outChs, stride, o.dilation, o.cardinality, o.baseWidth));
      this.tree2 = this.addModule('tree2', makeBlock(o.block, outChs, outChs, 1, o.dilation, o.cardinality, o.baseWidth));
      this.root = this.addModule('root', new DlaRoot(dim, outChs, o.rootShortcut));
    } else {
      this.tree1 = this.addModule('tree1', new DlaTree(levels - 1, inChs, outChs, stride, o, false, 0));
      this.tree2 = this.addModule('tree2', new DlaTree(levels - 1, outChs, outChs, 1, o, false, dim + outChs));
      this.root = null;
    }
  }

  forwardTree(x: tf.Tensor, children: tf.Tensor[] = []): tf.Tensor {
    const bottom = this.downsample.forward(x);
    const shortcut = this.project instanceof Sequential ? runFused(bottom, this.project.namedChildren().map(([, m]) => m)) : this.project.forward(bottom);
    if (this.levelRoot) children.push(bottom);
    const t1 = this.tree1;
    const x1 = t1 instanceof DlaTree ? t1.forwardTree(x) : t1.forwardBlock(x, shortcut);
    if (this.root) {
      const x2 = (this.tree2 as DlaBlockModule).forwardBlock(x1);
      return this.root.forwardChildren([x2, x1, ...children]);
    }
    children.push(x1);
    return (this.tree2 as DlaTree).forwardTree(x1, children);
  }

  override forward(x: tf.Tensor): tf.Tensor {
    return this.forwardTree(x);
  }
}

/** An nn.Sequential of conv → BN → ReLU triples (DLA's base layer and levels 0–1), each triple run as one fused op. */
class ConvLevel extends FusedSequential {
  constructor(inChs: number, outChs: number, convs: number, stride = 1, kernel = 3) {
    super();
    for (let i = 0; i < convs; i++) {
      const pad = kernel === 7 ? 3 : 1;
      this.append(new Conv2d(i === 0 ? inChs : outChs, outChs, kernel, { stride: i === 0 ? stride : 1, padding: pad }));
      this.append(new BatchNorm2d(outChs));
      this.append(new Activation('relu'));
    }
  }
}

const ARG_NAMES = [
  'levels', 'channels', 'outputStride', 'numClasses', 'inChans', 'globalPool', 'cardinality', 'baseWidth', 'block',
  'shortcutRoot', 'dropRate',
] as const;

/**
 * timm's DLA (Deep Layer Aggregation, and its Res2Net / Res2NeXt variants) on NHWC input: `base_layer` (7×7 conv),
 * `level0` / `level1` (3×3 convs), `level2` … `level5` (DlaTrees), then a global pool and a 1×1 conv classifier
 * (`fc`), flattened. Six feature levels (reductions 1 … 32); `featuresOnly` takes levels 1–5 by default.
 */
export class DLA extends VisionModel {
  static readonly argNames: readonly (keyof DLAArgs)[] = ARG_NAMES;
  numClasses: number;
  numFeatures: number;
  headHiddenSize: number;
  readonly inChans: number;
  private flatten = true;

  constructor(args: DLAArgs) {
    super();
    const {
      levels, channels, outputStride = 32, numClasses = 1000, inChans = 3, globalPool = 'avg', cardinality = 1,
      baseWidth = 64, block = 'bottle2neck', shortcutRoot = false,
    } = args;
    if (!Array.isArray(levels) || levels.length !== 6 || !Array.isArray(channels) || channels.length !== 6) {
      throw new Error('DLA: levels and channels must each list six values (levels 0 … 5)');
    }
    if (outputStride !== 32) throw new Error(`DLA: outputStride must be 32, got ${outputStride}`);
    this.numClasses = numClasses;
    this.inChans = inChans;
    const c = channels;
    this.addModule('base_layer', new ConvLevel(inChans, c[0]!, 1, 1, 7));
    this.addModule('level0', new ConvLevel(c[0]!, c[0]!, levels[0]!));
    this.addModule('level1', new ConvLevel(c[0]!, c[1]!, levels[1]!, 2));
    const o: TreeOptions = { block, dilation: 1, cardinality, baseWidth, rootShortcut: shortcutRoot };
    for (let i = 2; i <= 5; i++) this.addModule(`level${i}`, new DlaTree(levels[i]!, c[i - 1]!, c[i]!, 2, o, i > 2));
    this.featureInfo = c.map((numChs, i) => ({ numChs, reduction: 2 ** i, module: `level${i}` }));
    this.numFeatures = this.headHiddenSize = c[5]!;
    this.buildHead(numClasses, globalPool);
  }

  /** timm's `create_classifier(..., use_conv=True)`: pool (kept 4-D) → 1×1 conv; flattened unless there is no pool. */
  private buildHead(numClasses: number, globalPool: string): void {
    const head = createClassifier(this.numFeatures, numClasses, globalPool, { useConv: true });
    this.numClasses = numClasses;
    this.addModule('global_pool', head.globalPool);
    if (!this.getChild('head_drop')) this.addModule('head_drop', new Dropout());
    this.addModule('fc', head.fc);
    this.flatten = globalPool !== '';
  }

  private flat(x: tf.Tensor): tf.Tensor {
    return this.flatten && x.rank === 4 ? tf.reshape(x, [x.shape[0]!, -1]) : x;
  }

  /** timm's `DLA.group_matcher`: layer groups for layer-wise lr decay. */
  override groupMatcher(coarse = false): GroupMatcher {
    return {
      stem: '^base_layer',
      blocks: coarse
        ? String.raw`^level(\d+)`
        : [
            [String.raw`^level(\d+)\.tree(\d+)`, null],
            [String.raw`^level(\d+)\.root`, [2]],
            [String.raw`^level(\d+)`, [1]],
          ],
    };
  }

  protected computeFeatures(x: tf.Tensor): tf.Tensor {
    for (const name of ['base_layer', 'level0', 'level1', 'level2', 'level3', 'level4', 'level5']) x = this.getChild(name)!.forward(x);
    return x;
  }

  protected override computeHead(x: tf.Tensor, preLogits: boolean): tf.Tensor {
    x = this.getChild('global_pool')!.forward(x);
    return this.flat(preLogits ? x : this.getChild('fc')!.forward(x));
  }

  /** timm's `reset_classifier` (DLA's pool defaults to 'avg'). */
  override resetClassifier(numClasses: number, globalPool = 'avg'): void {
    this.buildHead(numClasses, globalPool);
  }

  override getClassifier(): Module {
    return this.getChild('fc')!;
  }
}
