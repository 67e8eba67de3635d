/**
 * timm's Bring-Your-Own-Blocks configuration language (`ByoBlockCfg` / `ByoModelCfg` of byobnet.py) as plain data:
 * a model is a stem and stages of blocks named by type ('basic', 'bottle', 'dark', 'edge', 'rep', 'one',
 * 'self_attn', or a registered one), each stage a block cfg repeated `d` times or a list of them.
 */

/** A block type of the block registry (see `registerByoBlock`). */
export type ByoBlockType = 'basic' | 'bottle' | 'dark' | 'edge' | 'rep' | 'one' | 'self_attn' | (string & {});

/**
 * A stage's group size: a number (0/null: a plain conv, 1: depthwise), or RepVGG's alternating groups (timm's
 * `_rep_vgg_bcfg` lambda: `chs / groups` channels per group on every second block, a plain conv on the others).
 */
export type ByoGroupSize = number | null | { type: 'alternate'; groups: number };

/** Keyword arguments for a layer or block, camelCase (`rdRatio`, `bottleIn`, …). */
export type ByoKwargs = Readonly<Record<string, unknown>>;

/** timm's ByoBlockCfg: one block (or `d` repeats of it) of a stage. */
export interface ByoBlockCfg {
  type: ByoBlockType;
  /** Block repeats. */
  d: number;
  /** Output channels (before the model's width factor). */
  c: number;
  /** Stride of the stage's first block (default 2). */
  s?: number;
  gs?: ByoGroupSize;
  /** Bottleneck ratio (default 1). */
  br?: number;
  /** Overrides of the model's attention layer for this block ('' turns it off; null: the model's). */
  attnLayer?: string | null;
  attnKwargs?: ByoKwargs | null;
  selfAttnLayer?: string | null;
  selfAttnKwargs?: ByoKwargs | null;
  /** Extra block arguments; when set they replace (not merge with) the model's `blockKwargs`. */
  blockKwargs?: ByoKwargs | null;
}

/** A norm layer of a ByobNet: BatchNorm (+act), or timm's EvoNorm2dS0a partial (`group_size` / `groups`). */
export type ByoNormLayer = 'batchnorm' | { type: 'evonorms0a'; groupSize?: number; groups?: number };

/** timm's ByoModelCfg: the whole network. */
export interface ByoModelCfg {
  /** Stages: a block cfg (repeated `d` times) or a list of block cfgs each. */
  blocks: readonly (ByoBlockCfg | readonly ByoBlockCfg[])[];
  /** Shortcut projection: 'conv1x1', 'avg' (avg pool then 1×1) or '' (no shortcut where shapes change). */
  downsample?: string;
  /** '' / '3x3', '7x7', 'quad', 'quad2', 'tiered', 'deep', 'rep', 'one'. */
  stemType?: string;
  /** 'maxpool', 'avgpool', 'max2', 'avg2', '' / null for none. */
  stemPool?: string | null;
  stemChs?: number | readonly number[];
  widthFactor?: number;
  /** Channels of a final 1×1 ConvNormAct (0: none). */
  numFeatures?: number;
  zeroInitLast?: boolean;
  fixedInputSize?: boolean;
  actLayer?: string;
  normLayer?: ByoNormLayer;
  aaLayer?: string;
  headHiddenSize?: number | null;
  /** 'classifier', 'mlp' (NormMlpClassifierHead), 'attn_abs' (AttentionPool2d), 'attn_rot' or ''. */
  headType?: string;
  attnLayer?: string | null;
  attnKwargs?: ByoKwargs;
  selfAttnLayer?: string | null;
  selfAttnKwargs?: ByoKwargs;
  blockKwargs?: ByoKwargs;
}

/** ByoModelCfg's defaults, as timm's dataclass declares them. */
export const BYO_MODEL_DEFAULTS = {
  downsample: 'conv1x1',
  stemType: '3x3',
  stemPool: 'maxpool',
  stemChs: 32,
  widthFactor: 1,
  numFeatures: 0,
  zeroInitLast: true,
  fixedInputSize: false,
  actLayer: 'relu',
  normLayer: 'batchnorm',
  aaLayer: '',
  headHiddenSize: null,
  headType: 'classifier',
  attnLayer: null,
  attnKwargs: {},
  selfAttnLayer: null,
  selfAttnKwargs: {},
  blockKwargs: {},
} as const satisfies Omit<Required<ByoModelCfg>, 'blocks'>;

/** A ByoModelCfg with every default filled in. */
export type ResolvedByoModelCfg = Omit<Required<ByoModelCfg>, 'normLayer'> & { normLayer: ByoNormLayer };

export function resolveByoModelCfg(cfg: ByoModelCfg, overrides: Partial<ByoModelCfg> = {}): ResolvedByoModelCfg {
  const out = { ...BYO_MODEL_DEFAULTS, ...cfg, ...overrides } as ResolvedByoModelCfg;
  if (!Array.isArray(out.blocks) || !out.blocks.length) throw new Error('ByoModelCfg: blocks must list at least one stage');
  return out;
}

/** timm's `expand_blocks_cfg`: a stage's block cfgs, each repeated `d` times, as single blocks. */
export function expandBlocksCfg(stage: ByoBlockCfg | readonly ByoBlockCfg[]): ByoBlockCfg[] {
  const cfgs = Array.isArray(stage) ? (stage as readonly ByoBlockCfg[]) : [stage as ByoBlockCfg];
  return cfgs.flatMap((c) => Array.from({ length: c.d }, () => ({ ...c, d: 1 })));
}

/** A block's group size from its stage's `gs` (RepVGG's alternating groups resolved for block `blockIdx`). */
export function resolveGroupSize(gs: ByoGroupSize | undefined, outChs: number, blockIdx: number): number | null {
  if (gs === undefined || gs === null || typeof gs === 'number') return gs ?? null;
  if (gs.type === 'alternate') return (blockIdx + 1) % 2 === 0 ? Math.floor(outChs / gs.groups) : 0;
  throw new Error(`ByobNet: unknown group size ${JSON.stringify(gs)}`);
}

/** timm's `_rep_vgg_bcfg`: RepVGG's four 'rep' stages (64/128/256/512 channels × width factors). */
export function repVggBlocks(d: readonly number[] = [4, 6, 16, 1], wf: readonly number[] = [1, 1, 1, 1], groups = 0): ByoBlockCfg[] {
  const c = [64, 128, 256, 512];
  const gs: ByoGroupSize = groups > 0 ? { type: 'alternate', groups } : 0;
  return d.map((depth, i) => ({ type: 'rep', d: depth, c: c[i]! * wf[i]!, s: 2, gs, br: 1 }));
}

/** timm's `_mobileone_bcfg`: MobileOne stages of depthwise + pointwise 'one' block pairs (SE on the last `se` pairs). */
export function mobileOneBlocks(d: readonly number[] = [2, 8, 10, 1], wf: readonly number[] = [1, 1, 1, 1], seBlocks: readonly number[] = [], numConvBranches = 1): ByoBlockCfg[][] {
  const c = [64, 128, 256, 512];
  let prev = Math.min(64, c[0]! * wf[0]!);
  return d.map((depth, s) => {
    const stage: ByoBlockCfg[] = [];
    const se = seBlocks[s] ?? 0;
    for (let i = 0; i < depth; i++) {
      const out = c[s]! * wf[s]!;
      const attn = i >= depth - se ? { attnLayer: 'se' } : {};
      stage.push({ type: 'one', d: 1, c: prev, s: 2, gs: 1, br: 1, blockKwargs: { numConvBranches }, ...attn });
      stage.push({ type: 'one', d: 1, c: out, s: 2, gs: 0, br: 1, blockKwargs: { kernelSize: 1, numConvBranches }, ...attn });
      prev = out;
    }
    return stage;
  });
}

/** timm's `interleave_blocks`: `d` single blocks of `types[0]`, with `types[1]` every `every`-th (or at the listed indices). */
export function interleaveBlocks(types: readonly [string, string], d: number, o: { every?: number | readonly number[]; first?: boolean } & Omit<ByoBlockCfg, 'type' | 'd'>): ByoBlockCfg[] {
  const { every: e = 1, first = false, ...rest } = o;
  let every: number[];
  if (typeof e === 'number') {
    every = [];
    for (let i = first ? 0 : e; i < d; i += e + 1) every.push(i);
    if (!every.length) every = [d - 1];
  } else every = [...e];
  return Array.from({ length: d }, (_, i) => ({ ...rest, type: every.includes(i) ? types[1] : types[0], d: 1 }));
}
